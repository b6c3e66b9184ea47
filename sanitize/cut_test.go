package sanitize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCut(t *testing.T) {
	cases := []struct {
		in   string
		cols int
		want string
	}{
		{"alice", 10, "alice"},
		{"alice", 5, "alice"},
		{"alice", 4, "ali…"},
		{"alice", 1, "…"},
		{"alice", 0, ""},
		{"漢字漢字", 8, "漢字漢字"},
		{"漢字漢字", 7, "漢字漢…"},
		{"漢字漢字", 6, "漢字…"},                       // a wide character never half-shown
		{"e\u0301e\u0301e\u0301", 2, "e\u0301…"}, // clusters stay whole
		{"👩\u200d💻👩\u200d💻", 3, "👩\u200d💻…"},
	}
	for _, c := range cases {
		if got := Cut(c.in, c.cols); got != c.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", c.in, c.cols, got, c.want)
		}
	}
}

// TestCutReadsOnlyWhatItKeeps: cutting a 10 MB name costs about what
// cutting a short one does (the work is bounded by the columns kept).
func TestCutReadsOnlyWhatItKeeps(t *testing.T) {
	huge := strings.Repeat("é", 5<<20)
	allocs := testing.AllocsPerRun(3, func() { _ = Cut(huge, 64) })
	if got := Cut(huge, 64); Width(got) != 64 || !strings.HasSuffix(got, Ellipsis) {
		t.Fatalf("cut to %d columns: %q", Width(got), got)
	}
	t.Logf("allocations per cut of a 10 MB string: %.0f", allocs)
}

// FuzzCut: the cut is a prefix of whole clusters plus the ellipsis,
// valid UTF-8, within the columns, and the whole string when it fits.
func FuzzCut(f *testing.F) {
	for _, s := range []string{"", "alice", "漢字漢字", "e\u0301e\u0301", "👩\u200d💻x", "\xff\xfe", strings.Repeat("a", 300)} {
		f.Add(s, 4)
	}
	f.Fuzz(func(t *testing.T, in string, cols int) {
		in = Line(in)
		cols %= 300
		got := Cut(in, cols)
		if !utf8.ValidString(got) {
			t.Fatalf("Cut(%q, %d) = %q: invalid UTF-8", in, cols, got)
		}
		if cols <= 0 {
			if got != "" {
				t.Fatalf("Cut(%q, %d) = %q, want empty", in, cols, got)
			}
			return
		}
		if Width(in) <= cols {
			if got != in {
				t.Fatalf("Cut(%q, %d) = %q, but it fits", in, cols, got)
			}
			return
		}
		if !strings.HasSuffix(got, Ellipsis) || !strings.HasPrefix(in, strings.TrimSuffix(got, Ellipsis)) {
			t.Fatalf("Cut(%q, %d) = %q: not a prefix and an ellipsis", in, cols, got)
		}
		if Width(got) > cols {
			t.Fatalf("Cut(%q, %d) = %q takes %d columns", in, cols, got, Width(got))
		}
	})
}
