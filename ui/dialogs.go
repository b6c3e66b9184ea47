package ui

import (
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// dialog is a centred box over the main view with styled lines and its
// own keys. It takes the whole screen as its rect and draws a box in the
// middle; everything outside stays as the main view drew it.
type dialog struct {
	*tview.Box
	title   string
	lines   []Line
	hint    string
	onKey   func(ev *tcell.EventKey) bool // true: handled
	onClose func()
	offset  int
	maxW    int
}

func newDialog(title string, lines []Line, hint string) *dialog {
	return &dialog{Box: tview.NewBox(), title: title, lines: lines, hint: hint, maxW: 100}
}

// Draw draws the box centred in the dialog's rect.
func (d *dialog) Draw(screen tcell.Screen) {
	sx, sy, sw, sh := d.GetRect()
	w := min(sw-2, d.maxW)
	inner := w - 4
	var rows []row
	for _, l := range d.lines {
		rows = append(rows, wrapLine(l, max(inner, 1), 0)...)
	}
	h := min(len(rows)+4, sh-2)
	if w < 10 || h < 4 {
		return
	}
	x, y := sx+(sw-w)/2, sy+(sh-h)/2
	box := tcell.StyleDefault.Background(tcell.ColorBlack)
	for i := 0; i < h; i++ {
		fillRow(screen, x, y+i, w, box)
	}
	border := box.Foreground(tcell.ColorTeal)
	for i := 0; i < w; i++ {
		screen.SetContent(x+i, y, '─', nil, border)
		screen.SetContent(x+i, y+h-1, '─', nil, border)
	}
	for i := 0; i < h; i++ {
		screen.SetContent(x, y+i, '│', nil, border)
		screen.SetContent(x+w-1, y+i, '│', nil, border)
	}
	screen.SetContent(x, y, '┌', nil, border)
	screen.SetContent(x+w-1, y, '┐', nil, border)
	screen.SetContent(x, y+h-1, '└', nil, border)
	screen.SetContent(x+w-1, y+h-1, '┘', nil, border)
	if d.title != "" {
		drawText(screen, x+2, y, w-4, " "+d.title+" ", border.Bold(true))
	}
	if d.hint != "" {
		drawText(screen, x+2, y+h-1, w-4, " "+d.hint+" ", border)
	}
	avail := h - 4
	if d.offset > max(len(rows)-avail, 0) {
		d.offset = max(len(rows)-avail, 0)
	}
	for i := 0; i < avail && d.offset+i < len(rows); i++ {
		r := rows[d.offset+i]
		for k := range r {
			if r[k].style == styleText {
				r[k].style = box
			}
		}
		drawRow(screen, x+2, y+2+i, inner, r)
	}
}

// InputHandler gives keys to onKey first, then scrolls or closes.
func (d *dialog) InputHandler() func(event *tcell.EventKey, setFocus func(p tview.Primitive)) {
	return d.WrapInputHandler(func(ev *tcell.EventKey, setFocus func(p tview.Primitive)) {
		if d.onKey != nil && d.onKey(ev) {
			return
		}
		switch ev.Key() {
		case tcell.KeyEscape, tcell.KeyEnter:
			d.close()
		case tcell.KeyUp:
			if d.offset > 0 {
				d.offset--
			}
		case tcell.KeyDown:
			d.offset++
		case tcell.KeyPgUp:
			d.offset = max(d.offset-10, 0)
		case tcell.KeyPgDn:
			d.offset += 10
		case tcell.KeyRune:
			if ev.Rune() == 'q' {
				d.close()
			}
		}
	})
}

func (d *dialog) close() {
	if d.onClose != nil {
		d.onClose()
	}
}

// MouseHandler keeps clicks from reaching the view below and scrolls.
func (d *dialog) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (consumed bool, capture tview.Primitive) {
	return d.WrapMouseHandler(func(action tview.MouseAction, ev *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		switch action {
		case tview.MouseScrollUp:
			if d.offset > 0 {
				d.offset--
			}
		case tview.MouseScrollDown:
			d.offset++
		}
		return true, nil
	})
}

// plain makes a line of trusted text in one style.
func plain(text string, style tcell.Style) Line { return Line{{text, style}} }

// textLines turns trusted multi-line text into lines.
func textLines(text string, style tcell.Style) []Line {
	var out []Line
	for _, l := range strings.Split(text, "\n") {
		out = append(out, plain(l, style))
	}
	return out
}
