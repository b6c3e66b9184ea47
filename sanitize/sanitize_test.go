package sanitize

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

func TestText(t *testing.T) {
	tests := []struct {
		name, in, text, line string
	}{
		{"plain", "hello [red]world", "hello [red]world", "hello [red]world"},
		{"escape sequence", "a\x1b[31mred\x1b[0m", "a[31mred[0m", "a[31mred[0m"},
		{"osc title", "\x1b]0;pwned\x07x", "]0;pwnedx", "]0;pwnedx"},
		{"c1 csi", "a\u009b31mb", "a31mb", "a31mb"},
		{"newlines", "a\nb\r\nc\rd", "a\nb\nc\nd", "a b c d"},
		{"tab", "a\tb", "a b", "a b"},
		{"bidi override", "abc\u202egnp.exe", "abcgnp.exe", "abcgnp.exe"},
		{"bidi isolates", "\u2066x\u2069\u200e\u200f\u061c", "x", "x"},
		{"zero width", "a\u200bb\ufeffc\u00add", "abcd", "abcd"},
		{"zwj kept", "👩\u200d💻", "👩\u200d💻", "👩\u200d💻"},
		{"zwj family", "👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"},
		{"zwj after skin tone", "👩🏽\u200d🚀", "👩🏽\u200d🚀", "👩🏽\u200d🚀"},
		{"zwj after vs16", "🏳\ufe0f\u200d🌈", "🏳\ufe0f\u200d🌈", "🏳\ufe0f\u200d🌈"},
		{"zwj after a letter", "min: b\u200dc 漢字テスト end", "min: bc 漢字テスト end", "min: bc 漢字テスト end"},
		{"zwj before cjk", "\u200d漢\u200d漢", "漢漢", "漢漢"},
		{"zwj emoji then letter", "👩\u200dx", "👩x", "👩x"},
		{"zwj letter then emoji", "x\u200d💻", "x💻", "x💻"},
		{"zwj at the end", "👩\u200d", "👩", "👩"},
		{"zwj before newline", "👩\u200d\n💻", "👩\n💻", "👩 💻"},
		{"zwj doubled", "👩\u200d\u200d💻", "👩\u200d💻", "👩\u200d💻"},
		{"zwj around separators", "│\u200d│\u200d│", "│││", "│││"},
		{"zwnj persian", "می\u200cخواهم", "می\u200cخواهم", "می\u200cخواهم"},
		{"zwnj devanagari", "क्\u200cष", "क्\u200cष", "क्\u200cष"},
		{"zwnj latin", "a\u200cb", "ab", "ab"},
		{"zwnj mixed scripts", "می\u200cx", "میx", "میx"},
		{"invalid utf8", "a\xffb\xc3", "a\ufffdb\ufffd", "a\ufffdb\ufffd"},
		{"del and nul", "a\x7fb\x00c", "abc", "abc"},
		{"zalgo capped", "e" + strings.Repeat("\u0301", 20), "e" + strings.Repeat("\u0301", maxCombining), "e" + strings.Repeat("\u0301", maxCombining)},
		{"line separator", "a\u2028b", "ab", "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.text {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.text)
			}
			if got := Line(tt.in); got != tt.line {
				t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.line)
			}
		})
	}
}

// checkSafe fails if s holds anything a terminal could act on.
func checkSafe(t *testing.T, in, s string, single bool) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("output of %q is not valid UTF-8: %q", in, s)
	}
	for _, r := range s {
		if r == '\n' && !single {
			continue
		}
		if Dropped(r) {
			t.Fatalf("output of %q holds %U: %q", in, r, s)
		}
	}
	// A ZWJ never ends a grapheme cluster: where one is kept, the layout
	// joins what follows it as a terminal does (F9).
	for rest := s; rest != ""; {
		var c string
		c, rest, _, _ = uniseg.FirstGraphemeClusterInString(rest, -1)
		if strings.HasSuffix(c, "\u200d") {
			t.Fatalf("output of %q has a cluster ending in ZWJ: %q in %q", in, c, s)
		}
	}
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"", "hello", "\x1b[2J\x1b]0;x\x07", "\u202eabc", "a\xff\xfe", "[red]x[-]", "\u009b1m",
		"min: b\u200dc 漢字", "👩\u200d💻", "👩🏽\u200d🚀", "👩\u200d\u200d💻", "\u200d", "x\u200d💻", "می\u200cخواهم", "a\u200cb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkSafe(t, in, Text(in), false)
		checkSafe(t, in, Line(in), true)
		if strings.ContainsRune(Line(in), '\n') {
			t.Fatalf("Line(%q) keeps a newline", in)
		}
		// Sanitizing is idempotent.
		if Text(Text(in)) != Text(in) {
			t.Fatalf("Text is not idempotent on %q", in)
		}
	})
}

func TestLongModifierRunIsLinear(t *testing.T) {
	in := "😀" + strings.Repeat("🏻\u200d", 200000)
	out := Text(in) // quadratic work here would take minutes
	if strings.Contains(out, "\u200d") {
		t.Errorf("a ZWJ between skin tones was kept")
	}
}

func BenchmarkText(b *testing.B) {
	s := strings.Repeat("hello wörld \x1b[31m\u202e ", 40)
	for b.Loop() {
		Text(s)
	}
}
