package sanitize

import (
	"strings"
	"testing"
	"unicode/utf8"
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
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"", "hello", "\x1b[2J\x1b]0;x\x07", "\u202eabc", "a\xff\xfe", "[red]x[-]", "\u009b1m"} {
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

func BenchmarkText(b *testing.B) {
	s := strings.Repeat("hello wörld \x1b[31m\u202e ", 40)
	for b.Loop() {
		Text(s)
	}
}
