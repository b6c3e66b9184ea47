// Package sanitize makes remote strings safe to put on a terminal: it removes
// C0 and C1 control characters (and so every escape sequence), bidi
// overrides and isolates, and other invisible format characters that can
// spoof what a line seems to say. It never panics, whatever the input.
//
// Escaping of tview's "[...]" tags is not done here: the UI does it after
// sanitizing, where it uses tview's tag syntax at all.
package sanitize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxCombining caps the combining marks kept after one base character, so
// that "Zalgo" text cannot smear over neighbouring lines.
const maxCombining = 4

// Text sanitizes a multi-line string: newlines and tabs are kept (tabs
// become spaces, "\r\n" and lone "\r" become "\n"), every other control or
// spoofing character is removed, and invalid UTF-8 becomes U+FFFD.
func Text(s string) string {
	return clean(s, false)
}

// Line sanitizes a string for a single-line context (names, topics, room
// names): as Text, but newlines and tabs become spaces.
func Line(s string) string {
	return clean(s, true)
}

func clean(s string, singleLine bool) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	combining := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size <= 1 {
			b.WriteRune(unicode.ReplacementChar)
			combining = 0
			continue
		}
		switch {
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue // the "\n" that follows is written next
			}
			r = '\n'
		case r == '\t':
			r = ' '
		}
		if r == '\n' {
			if singleLine {
				b.WriteByte(' ')
			} else {
				b.WriteByte('\n')
			}
			combining = 0
			continue
		}
		if Dropped(r) {
			continue
		}
		if unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) {
			combining++
			if combining > maxCombining {
				continue
			}
		} else {
			combining = 0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isPlain reports whether s is printable ASCII only, the common case that
// needs no copy.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// Dropped reports whether r is never shown: C0 and C1 controls (other than
// the newline and tab that Text turns into layout), DEL, bidi embeddings,
// overrides, isolates and marks, and other invisible format characters
// (zero-width spaces and joiners aside from ZWJ in emoji, soft hyphens,
// interlinear annotations, tag characters, noncharacters and private
// surrogates that UTF-8 cannot carry anyway).
func Dropped(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, // LRE RLE PDF LRO RLO
		r >= 0x2066 && r <= 0x2069, // LRI RLI FSI PDI
		r == 0x200e, r == 0x200f,   // LRM RLM
		r == 0x061c: // ALM
		return true
	case r == 0x200b, // zero width space
		r == 0x2060,                  // word joiner
		r >= 0x2061 && r <= 0x2064,   // invisible operators
		r >= 0x206a && r <= 0x206f,   // deprecated format controls
		r == 0x00ad,                  // soft hyphen
		r == 0x180e,                  // Mongolian vowel separator
		r == 0xfeff,                  // BOM / zero width no-break space
		r >= 0xfff9 && r <= 0xfffb,   // interlinear annotation
		r >= 0xe0000 && r <= 0xe007f, // tag characters
		r == 0x2028, r == 0x2029:     // line and paragraph separators
		return true
	case r == 0x200c, r == 0x200d:
		// ZWNJ and ZWJ are needed by scripts and emoji sequences.
		return false
	case r >= 0xfdd0 && r <= 0xfdef, r&0xfffe == 0xfffe:
		return true // noncharacters
	case unicode.Is(unicode.Cf, r):
		// Any other format character (e.g. U+2066-family relatives added
		// in later Unicode versions) is invisible and can spoof.
		return true
	case unicode.Is(unicode.Cs, r):
		return true
	}
	return false
}
