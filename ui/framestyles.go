package ui

import "github.com/gdamore/tcell/v2"

// styleTable numbers the styles a frameScreen's cells use, so that a cell
// holds a 4-byte number instead of a 72-byte tcell.Style: the two frames of
// a 160×48 terminal took 1.5 MB with styles by value, 0.4 MB numbered.
// Number 0 is tcell.StyleDefault. A remote party can make many styles
// (colours in formatted messages), so the table is renumbered from the
// cells in use once it holds more than maxFrameStyles (compact).
type styleTable struct {
	styles []tcell.Style
	index  map[tcell.Style]uint32
	// last is the style numbered most recently: runs of cells share one.
	last   tcell.Style
	lastID uint32
}

// maxFrameStyles is how many styles a table holds before compact.
const maxFrameStyles = 1024

// id numbers a style, adding it if new.
func (t *styleTable) id(s tcell.Style) uint32 {
	if t.index == nil {
		t.styles = []tcell.Style{tcell.StyleDefault}
		t.index = map[tcell.Style]uint32{tcell.StyleDefault: 0}
	}
	if s == t.last {
		return t.lastID
	}
	n, ok := t.index[s]
	if !ok {
		n = uint32(len(t.styles))
		t.styles = append(t.styles, s)
		t.index[s] = n
	}
	t.last, t.lastID = s, n
	return n
}

// style is the style numbered n.
func (t *styleTable) style(n uint32) tcell.Style {
	if int(n) >= len(t.styles) {
		return tcell.StyleDefault
	}
	return t.styles[n]
}

// compact renumbers the styles the frames use, if the table grew past
// maxFrameStyles, dropping the others. Cells equal before are equal after.
func (t *styleTable) compact(frames ...[]frameCell) {
	if len(t.styles) <= maxFrameStyles {
		return
	}
	old := t.styles
	*t = styleTable{}
	for _, cells := range frames {
		for i := range cells {
			cells[i].style = t.id(old[cells[i].style])
		}
	}
}
