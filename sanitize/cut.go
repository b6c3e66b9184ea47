package sanitize

import "github.com/rivo/uniseg"

// Ellipsis ends a string that Cut shortened.
const Ellipsis = "…"

// Cut shortens a single-line string (already sanitized) to at most cols
// display columns, by whole grapheme clusters as the UI lays them out,
// ending it with an ellipsis when it was cut. It reads no further into s
// than the columns it keeps, so a huge string costs no more than a short
// one. It never panics.
func Cut(s string, cols int) string {
	if cols <= 0 {
		return ""
	}
	if len(s) <= cols && isPlain(s) {
		return s
	}
	width := 0
	keep := -1 // bytes of s that fit in cols-1 columns, with room for the ellipsis
	state := -1
	rest := s
	for len(rest) > 0 {
		var w int
		start := len(s) - len(rest)
		_, rest, w, state = uniseg.FirstGraphemeClusterInString(rest, state)
		if keep < 0 && width+w > cols-1 {
			keep = start
		}
		width += w
		if width > cols {
			return s[:keep] + Ellipsis
		}
	}
	return s
}

// Width is how many display columns a single-line string takes, as the
// UI lays it out.
func Width(s string) int {
	if isPlain(s) {
		return len(s)
	}
	return uniseg.StringWidth(s)
}
