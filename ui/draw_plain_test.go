package ui

import (
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/sanitize"
)

// TestDrawTextPlainMatchesCells checks that drawText's ASCII shortcut
// draws what the general path (sanitize, cells, drawRow) draws, for text
// that takes the shortcut (ASCII, ASCII cut with an ellipsis) and text
// that does not.
func TestDrawTextPlainMatchesCells(t *testing.T) {
	style := tcell.StyleDefault.Foreground(tcell.ColorTeal).Bold(true)
	texts := []string{"", "a", "# ", "Room name 42!", "~tilde and {braces}", "café", "tab\there", "bell\x07", "e\u0301", "漢字", "Bench room 0001 wor" + sanitize.Ellipsis, sanitize.Ellipsis, "a" + sanitize.Ellipsis, "é" + sanitize.Ellipsis, "a\u0301" + sanitize.Ellipsis}
	for _, text := range texts {
		for _, width := range []int{-1, 0, 1, 3, 8, 40} {
			fast, slow := tcell.NewSimulationScreen("UTF-8"), tcell.NewSimulationScreen("UTF-8")
			for _, s := range []tcell.SimulationScreen{fast, slow} {
				if err := s.Init(); err != nil {
					t.Fatal(err)
				}
				s.SetSize(50, 1)
			}
			nFast := drawText(fast, 2, 0, width, text, style)
			nSlow := drawRow(slow, 2, 0, width, cells(Line{{sanitize.Line(text), style}}))
			if nFast != nSlow {
				t.Errorf("drawText(%q, width %d) used %d columns, the general path %d", text, width, nFast, nSlow)
			}
			for x := 0; x < 50; x++ {
				m1, c1, s1, _ := fast.GetContent(x, 0)
				m2, c2, s2, _ := slow.GetContent(x, 0)
				if m1 != m2 || string(c1) != string(c2) || s1 != s2 {
					t.Errorf("drawText(%q, width %d) column %d: %q%q %v, general path %q%q %v", text, width, x, m1, c1, s1, m2, c2, s2)
				}
			}
			fast.Fini()
			slow.Fini()
		}
	}
}
