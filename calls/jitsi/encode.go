package jitsi

import "strings"

// EncodeURIComponent encodes s exactly as JavaScript's encodeURIComponent
// does: A–Z a–z 0–9 and - _ . ! ~ * ' ( ) stay as they are, every other
// UTF-8 byte becomes %XX with upper-case hex. Invalid UTF-8 (which a
// JavaScript string cannot hold) is first replaced by U+FFFD.
func EncodeURIComponent(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	n := 0
	for i := 0; i < len(s); i++ {
		if !uriUnreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if uriUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		writePercent(&b, c)
	}
	return b.String()
}

// uriUnreserved is the set encodeURIComponent leaves alone.
func uriUnreserved(c byte) bool {
	switch {
	case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '_', '.', '!', '~', '*', '\'', '(', ')':
		return true
	}
	return false
}

// upperHexDigits are the digits of a percent escape.
const upperHexDigits = "0123456789ABCDEF"

// writePercent writes c as a percent escape (%XX, upper case).
func writePercent(b *strings.Builder, c byte) {
	b.WriteByte('%')
	b.WriteByte(upperHexDigits[c>>4])
	b.WriteByte(upperHexDigits[c&15])
}
