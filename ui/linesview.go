package ui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// linesView draws a few styled lines, wrapped or clipped, with an optional
// background and click targets. It backs the header, banners, call panel,
// typing line, status line, footer and member list.
type linesView struct {
	*tview.Box
	lines   []Line
	wrap    bool
	bg      tcell.Style
	offset  int
	onClick func(row, col int)
	// fit, when set on a wrapping view, is told the rows its lines need
	// at the width it was drawn with, when that differs from its height
	// (the terminal was resized): the owner resizes it.
	fit func(rows int)
}

func newLinesView() *linesView {
	return &linesView{Box: tview.NewBox()}
}

// SetLines replaces the shown lines.
func (v *linesView) SetLines(lines ...Line) *linesView {
	v.lines = lines
	if v.offset >= len(lines) {
		v.offset = 0
	}
	return v
}

// SetText shows one line of remote-safe text in one style.
func (v *linesView) SetText(text string, style tcell.Style) *linesView {
	return v.SetLines(Line{{text, style}})
}

// innerWidth is the width the view was last laid out with.
func (v *linesView) innerWidth() int {
	_, _, w, _ := v.GetInnerRect()
	return w
}

// Rows is how many rows the lines take at a width.
func (v *linesView) Rows(width int) int {
	if !v.wrap {
		return len(v.lines)
	}
	n := 0
	for _, l := range v.lines {
		n += len(wrapLine(l, width, 2))
	}
	return n
}

// Draw draws the lines from the scroll offset.
func (v *linesView) Draw(screen tcell.Screen) {
	v.Box.DrawForSubclass(screen, v)
	x, y, w, h := v.GetInnerRect()
	if v.fit != nil && v.wrap && len(v.lines) > 0 && w > 0 {
		if need := v.Rows(w); need != h {
			v.fit(need)
		}
	}
	if v.bg != (tcell.Style{}) {
		for i := 0; i < h; i++ {
			fillRow(screen, x, y+i, w, v.bg)
		}
	}
	rowY := y
	for _, l := range v.lines[min(v.offset, len(v.lines)):] {
		var rows []row
		if v.wrap {
			rows = wrapLine(l, w, 2)
		} else {
			rows = []row{cells(l)}
		}
		for _, r := range rows {
			if rowY >= y+h {
				return
			}
			if v.bg != (tcell.Style{}) {
				for i := range r {
					if *r[i].style == styleText {
						r[i].style = &v.bg
					}
				}
			}
			drawRow(screen, x, rowY, w, r)
			rowY++
		}
	}
}

// MouseHandler scrolls long content and reports clicks.
func (v *linesView) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (consumed bool, capture tview.Primitive) {
	return v.WrapMouseHandler(func(action tview.MouseAction, ev *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		mx, my := ev.Position()
		if !v.InRect(mx, my) {
			return false, nil
		}
		x, y, _, _ := v.GetInnerRect()
		switch action {
		case tview.MouseLeftClick:
			if v.onClick != nil {
				v.onClick(my-y+v.offset, mx-x)
				return true, nil
			}
		case tview.MouseScrollUp:
			if v.offset > 0 {
				v.offset--
			}
			return true, nil
		case tview.MouseScrollDown:
			if v.offset < len(v.lines)-1 {
				v.offset++
			}
			return true, nil
		}
		return false, nil
	})
}
