package jitsi

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// CleanURL rebuilds an https URL for the browser from its parsed and
// validated parts, so what is opened (or shown, copied, put in a QR code)
// is exactly what was checked: the scheme is https; the host a DNS name
// (international names in their ASCII xn-- form, lower case), an IPv4
// address or a bracketed IPv6 address, with an optional port 1–65535;
// there is no user info; and path, query and fragment are percent-encoded
// with only the characters RFC 3986 allows there left as they are (valid
// %XX escapes are kept, upper-cased; a stray '%', spaces, quotes, '<',
// '>', '\', '^', '`', '{', '|', '}', control and non-ASCII bytes are
// encoded). An empty path becomes "/". The result is at most
// MaxURLLength bytes, and CleanURL(result) is result.
func CleanURL(raw string) (string, error) {
	if len(raw) > MaxURLLength {
		return "", ErrTooLong
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("widget URL cannot be parsed")
	}
	if !strings.EqualFold(u.Scheme, "https") {
		return "", errors.New("only https URLs are opened")
	}
	if u.Opaque != "" || u.Host == "" || u.User != nil {
		return "", errors.New("widget URL has no plain host")
	}
	host, err := cleanHost(u.Hostname(), u.Port(), strings.HasPrefix(u.Host, "["))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("https://")
	b.WriteString(host)
	path := encodePart(u.EscapedPath(), false)
	if path == "" {
		path = "/"
	}
	b.WriteString(path)
	if u.ForceQuery || u.RawQuery != "" {
		b.WriteByte('?')
		b.WriteString(encodePart(u.RawQuery, true))
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		b.WriteByte('#')
		b.WriteString(encodePart(u.EscapedFragment(), true))
	}
	if b.Len() > MaxURLLength {
		return "", ErrTooLong
	}
	return b.String(), nil
}

// cleanHost validates a URL's host and port and returns them as host[:port].
func cleanHost(host, port string, bracketed bool) (string, error) {
	if port != "" {
		if err := ValidateDomain("x:" + port); err != nil {
			return "", errors.New("widget URL has a bad port")
		}
		port = ":" + port
	}
	if ip := net.ParseIP(host); ip != nil && !strings.Contains(host, "%") {
		if ip4 := ip.To4(); ip4 != nil && !bracketed {
			return ip4.String() + port, nil
		}
		if bracketed && strings.Contains(host, ":") {
			return "[" + ip.String() + "]" + port, nil
		}
	}
	if bracketed {
		return "", errors.New("widget URL has a bad IPv6 address")
	}
	ascii, err := idna.Lookup.ToASCII(host)
	if err == nil && utf8.ValidString(host) {
		// The ASCII form must stand on its own (read back the same).
		var again string
		if again, err = idna.Lookup.ToASCII(ascii); err == nil && again != ascii {
			err = errors.New("unstable")
		}
	}
	if err != nil || !utf8.ValidString(host) {
		return "", fmt.Errorf("widget URL host %s is not a valid host name", quote(host))
	}
	ascii = strings.ToLower(ascii)
	if err := ValidateDomain(ascii); err != nil || strings.Contains(ascii, ":") || numericLabel(ascii) {
		return "", fmt.Errorf("widget URL host %s is not a valid host name", quote(host))
	}
	return ascii + port, nil
}

// numericLabel reports whether a host name's last label is a number
// (digits, or 0x and hex digits): browsers read such a name as an IPv4
// address in another notation ("0x7f.1", "010.0.0.1"), which
// net.ParseIP has already refused.
func numericLabel(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	digits := last
	if strings.HasPrefix(last, "0x") {
		digits = last[2:]
		return strings.Trim(digits, "0123456789abcdef") == ""
	}
	return digits != "" && strings.Trim(digits, "0123456789") == ""
}

// encodePart percent-encodes an already escaped path (query: false) or a
// query or fragment (query: true), keeping valid %XX escapes (upper-cased)
// and the characters RFC 3986 allows there.
func encodePart(s string, query bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte('%')
			b.WriteByte(upperHex(s[i+1]))
			b.WriteByte(upperHex(s[i+2]))
			i += 2
			continue
		}
		if c != '%' && (uriUnreserved(c) || strings.IndexByte("!$&'()*+,;=:@/", c) >= 0 || query && c == '?') {
			b.WriteByte(c)
			continue
		}
		writePercent(&b, c)
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func upperHex(c byte) byte {
	if 'a' <= c && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}
