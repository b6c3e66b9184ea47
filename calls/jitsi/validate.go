package jitsi

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Limits on values taken from widgets.
const (
	maxDomainLength       = 253 + 6 // host name plus ":65535"
	maxConferenceIDLength = 256
	maxRoomNameLength     = 255 // runes
)

// ValidateDomain checks that d is a bare host[:port]: ASCII letters,
// digits, '-' and '.' in non-empty labels, and an optional port 1–65535.
// Schemes, paths, userinfo, queries, fragments, spaces and IPv6 literals
// are refused.
func ValidateDomain(d string) error {
	if d == "" {
		return errors.New("empty domain")
	}
	if len(d) > maxDomainLength {
		return errors.New("domain is too long")
	}
	host, port, hasPort := strings.Cut(d, ":")
	if hasPort {
		if port == "" || len(port) > 5 {
			return fmt.Errorf("domain %s has a bad port", quote(d))
		}
		for i := 0; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return fmt.Errorf("domain %s is not a bare host[:port]", quote(d))
			}
		}
		p, _ := strconv.Atoi(port)
		if p < 1 || p > 65535 || port[0] == '0' {
			return fmt.Errorf("domain %s has a bad port", quote(d))
		}
	}
	if host == "" || len(host) > 253 {
		return fmt.Errorf("domain %s has no valid host", quote(d))
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("domain %s has an empty or overlong label", quote(d))
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("domain %s has a label starting or ending with '-'", quote(d))
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				return fmt.Errorf("domain %s is not a bare host[:port]", quote(d))
			}
		}
	}
	return nil
}

// NormalizeDomain turns a configured domain such as "https://meet.example.org/"
// into the bare "meet.example.org" Element writes into data.domain, and
// validates it. It is for our own configuration and the homeserver's
// well-known, never for a widget's data.domain, which must already be bare.
func NormalizeDomain(d string) (string, error) {
	d = strings.TrimSpace(d)
	lower := strings.ToLower(d)
	for _, scheme := range []string{"https://", "http://"} {
		if strings.HasPrefix(lower, scheme) {
			d = d[len(scheme):]
			break
		}
	}
	d = strings.TrimRight(d, "/")
	if err := ValidateDomain(d); err != nil {
		return "", err
	}
	return d, nil
}

// ValidateConferenceID checks that id is 1–256 characters of A–Z a–z 0–9
// '.', '_' and '-', which covers every ID Element, its mobile apps, the
// base32 form and integration managers make.
func ValidateConferenceID(id string) error {
	if id == "" {
		return errors.New("no conference ID")
	}
	if len(id) > maxConferenceIDLength {
		return errors.New("conference ID is too long")
	}
	if !safeToken(id) {
		return fmt.Errorf("conference ID %s has unsafe characters", quote(id))
	}
	return nil
}

// safeToken reports whether s holds only A–Z a–z 0–9 '.', '_' and '-'.
func safeToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '-' || c == '_' || c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// quote shows a remote value in an error, shortened; the UI sanitizes it.
func quote(s string) string {
	const max = 64
	r := []rune(s)
	if len(r) > max {
		s = string(r[:max]) + "…"
	}
	return strconv.Quote(s)
}
