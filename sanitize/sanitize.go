// Package sanitize makes remote strings safe to put on a terminal: it removes
// C0 and C1 control characters (and so every escape sequence), bidi
// overrides and isolates, and other invisible format characters that can
// spoof what a line seems to say, and keeps the joiners ZWJ and ZWNJ only
// where they join emoji or letters (see joinsEmoji). It never panics,
// whatever the input.
//
// Escaping of tview's "[...]" tags is not done here: the UI does it after
// sanitizing, where it uses tview's tag syntax at all.
package sanitize

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
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
	// baseAt is where in b the last base character (one that starts a
	// grapheme cluster, not a mark or modifier) begins, -1 before any.
	baseAt := -1
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size <= 1 {
			baseAt = b.Len()
			b.WriteRune(unicode.ReplacementChar)
			combining = 0
			continue
		}
		if r == zwj || r == zwnj {
			next, _ := utf8.DecodeRuneInString(s[i:])
			if (r == zwj && joinsEmoji(b.String(), baseAt, next)) || (r == zwnj && joinsScript(b.String(), baseAt, next)) {
				b.WriteRune(r)
			}
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
			baseAt = b.Len()
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
		if !extends(r) {
			baseAt = b.Len()
		}
		b.WriteRune(r)
	}
	return b.String()
}

// The joiners. ZWJ and ZWNJ are invisible, and a terminal may join the
// character after a ZWJ into the cell of the one before it while the UI's
// layout (grapheme clusters as uniseg and tview see them) does not: every
// later cell of the row is then off by one, and a remote message makes the
// screen show characters it does not hold. So they are kept only where
// they do their job and the layout agrees:
//   - ZWJ only inside an emoji sequence (an Extended_Pictographic emoji,
//     perhaps with modifiers or VS16, then ZWJ, then another emoji: 👩‍💻),
//     where uniseg makes the whole sequence one cluster. A ZWJ elsewhere,
//     including the one some Indic texts use for half forms, is dropped;
//     the text still reads the same, with the conjunct's usual form.
//   - ZWNJ only between two letters (or marks) of scripts that need it to
//     stop a join or conjunct (Arabic script for Persian and Urdu, Syriac,
//     N'Ko, Mongolian, the Indic scripts, Khmer, Myanmar, Tibetan); it is
//     zero-width there for both uniseg and terminals.
const (
	zwnj = '\u200c'
	zwj  = '\u200d'
)

// extends reports whether r continues the grapheme cluster before it
// rather than starting one: combining marks, variation selectors, emoji
// skin tone modifiers and the joiners.
func extends(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) ||
		(r >= 0xfe00 && r <= 0xfe0f) || (r >= 0x1f3fb && r <= 0x1f3ff) ||
		r == zwj || r == zwnj
}

// maxEmojiPart bounds one emoji of a ZWJ sequence with its modifiers, in
// bytes (a person with a skin tone and VS16 is 11), so that a hostile run
// of modifiers cannot make sanitizing quadratic.
const maxEmojiPart = 32

// grinning is an Extended_Pictographic emoji, to probe whether uniseg
// treats a character as an emoji that a ZWJ may join.
const grinning = "\U0001F600"

// oneCluster reports whether s is a single grapheme cluster for uniseg.
func oneCluster(s string) bool {
	_, rest, _, _ := uniseg.FirstGraphemeClusterInString(s, -1)
	return rest == ""
}

// joinsEmoji reports whether a ZWJ between out (the output so far, whose
// last cluster starts at baseAt) and next is part of an emoji sequence:
// the cluster so far begins with an emoji and uniseg keeps it, the ZWJ and
// next (an emoji too) in one cluster.
func joinsEmoji(out string, baseAt int, next rune) bool {
	if baseAt < 0 || baseAt >= len(out) || next == utf8.RuneError || extends(next) || Dropped(next) {
		return false
	}
	cluster := out[baseAt:]
	if len(cluster) > maxEmojiPart {
		return false
	}
	base, _ := utf8.DecodeRuneInString(cluster)
	if base < 0x80 {
		return false // ASCII (digits and # of keycaps aside) never joins
	}
	return oneCluster(string(base)+string(zwj)+grinning) &&
		oneCluster(cluster+string(zwj)+string(next))
}

// zwnjScripts are the scripts that use ZWNJ between letters.
var zwnjScripts = []*unicode.RangeTable{
	unicode.Arabic, unicode.Syriac, unicode.Nko, unicode.Mongolian,
	unicode.Devanagari, unicode.Bengali, unicode.Gurmukhi, unicode.Gujarati,
	unicode.Oriya, unicode.Tamil, unicode.Telugu, unicode.Kannada,
	unicode.Malayalam, unicode.Sinhala, unicode.Khmer, unicode.Myanmar,
	unicode.Tibetan,
}

// joinsScript reports whether a ZWNJ between out (whose last cluster
// starts at baseAt) and next sits between two letters of a script that
// uses it.
func joinsScript(out string, baseAt int, next rune) bool {
	if baseAt < 0 || baseAt >= len(out) {
		return false
	}
	prev, _ := utf8.DecodeRuneInString(out[baseAt:])
	inScript := func(r rune) bool {
		return (unicode.IsLetter(r) || unicode.In(r, unicode.Mn, unicode.Mc)) && unicode.In(r, zwnjScripts...)
	}
	return inScript(prev) && inScript(next)
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
// (zero-width spaces, the word joiner, soft hyphens,
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
	case r == zwnj, r == zwj:
		// Kept by Text and Line only where they join emoji or letters
		// of scripts that need them (see joinsEmoji, joinsScript).
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
