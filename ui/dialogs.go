package ui

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// dialog is a centred box over the main view with styled lines and its
// own keys. It takes the whole screen as its rect and draws a box in the
// middle; everything outside stays as the main view drew it.
//
// Three kinds of lines are drawn specially, so that what they hold stays
// usable: a line of a label padded with spaces and its text (as in help)
// wraps under the text; a line that is one unbreakable word wider than the
// box (a URL) is drawn across the whole screen on rows of its own, with no
// border in it, so a terminal selection gets the word and nothing else; and
// rows of a figure (a QR code of block characters) are shown only when the
// whole figure fits, else v shows the figure alone.
type dialog struct {
	*tview.Box
	title   string
	lines   []Line
	hint    string
	onKey   func(ev *tcell.EventKey) bool // true: handled
	onClose func()
	offset  int
	maxW    int

	hasFigure  bool // a figure is among the lines
	figureOnly bool // v: the figure fills the screen

	// tail is where the last row of the lines was drawn (x, y, width),
	// ok false when it was not: a prompt puts its field there.
	tail struct {
		x, y, w int
		ok      bool
	}
}

// modal is what showDialog shows: a dialog, or a primitive built on one.
type modal interface {
	tview.Primitive
	base() *dialog
}

func (d *dialog) base() *dialog { return d }

// dialogRow is one row of a dialog: wide rows span the screen.
type dialogRow struct {
	r      row
	wide   bool
	figure bool
}

func newDialog(title string, lines []Line, hint string) *dialog {
	d := &dialog{Box: tview.NewBox(), title: title, lines: lines, hint: hint, maxW: 100}
	for _, l := range lines {
		if isFigureLine(l) {
			d.hasFigure = true
		}
	}
	return d
}

// isFigureLine says whether a line is a row of a block-character figure.
func isFigureLine(l Line) bool {
	text := l.String()
	if utf8.RuneCountInString(text) < 8 || strings.Trim(text, " ") == "" {
		return false
	}
	return strings.Trim(text, " █▀▄") == ""
}

// hangIndent is the column continuation rows of a line start at: under
// the text after a space-padded label, else 0.
func hangIndent(l Line) int {
	if len(l) < 2 || !strings.HasSuffix(l[0].Text, " ") {
		return 0
	}
	return textWidth(l[0].Text)
}

// rows lays the lines out for a box inner columns wide on a screen
// screenW columns wide.
func (d *dialog) rows(inner, screenW int) []dialogRow {
	var out []dialogRow
	for _, l := range d.lines {
		switch {
		case isFigureLine(l):
			out = append(out, dialogRow{r: cells(l), figure: true})
		case len(l) == 1 && !strings.ContainsAny(l[0].Text, " \t") && textWidth(l[0].Text) > inner:
			for _, r := range wrapLine(l, max(screenW, 1), 0) {
				out = append(out, dialogRow{r: r, wide: true})
			}
		default:
			for _, r := range wrapLine(l, max(inner, 1), hangIndent(l)) {
				out = append(out, dialogRow{r: r})
			}
		}
	}
	return out
}

// Draw draws the box centred in the dialog's rect.
func (d *dialog) Draw(screen tcell.Screen) {
	sx, sy, sw, sh := d.GetRect()
	if d.figureOnly {
		d.drawFigure(screen, sx, sy, sw, sh)
		return
	}
	w := min(sw-2, d.maxW)
	inner := w - 4
	rows := d.rows(inner, sw)
	hint := d.hint
	if d.hasFigure {
		var figure int
		for _, r := range rows {
			if r.figure {
				figure++
			}
		}
		if len(rows)+4 > sh-2 {
			// The figure does not fit: a half-shown QR code is no use.
			var kept []dialogRow
			for _, r := range rows {
				if !r.figure {
					kept = append(kept, r)
				} else if figure > 0 {
					note := fmt.Sprintf("(press v to show it: %d rows high, too high to fit here)", figure)
					kept = append(kept, dialogRow{r: cells(plain(note, styleDim))})
					figure = 0
				}
			}
			rows = kept
		}
		hint = strings.TrimSuffix(hint, " · Esc close") + " · v QR code only · Esc close"
	}
	h := min(len(rows)+4, sh-2)
	d.tail.ok = false
	if w < 10 || h < 4 {
		return
	}
	x, y := sx+(sw-w)/2, sy+(sh-h)/2
	box := tcell.StyleDefault.Background(tcell.ColorBlack)
	avail := h - 4
	if d.offset > max(len(rows)-avail, 0) {
		d.offset = max(len(rows)-avail, 0)
	}
	wideAt := func(i int) bool { // box row i holds a wide row
		k := d.offset + i - 2
		return i >= 2 && i < h-2 && k >= 0 && k < len(rows) && rows[k].wide
	}
	for i := 0; i < h; i++ {
		if wideAt(i) {
			fillRow(screen, sx, y+i, sw, box)
		} else {
			fillRow(screen, x, y+i, w, box)
		}
	}
	border := box.Foreground(tcell.ColorTeal)
	for i := 0; i < w; i++ {
		screen.SetContent(x+i, y, '─', nil, border)
		screen.SetContent(x+i, y+h-1, '─', nil, border)
	}
	for i := 0; i < h; i++ {
		if wideAt(i) {
			continue
		}
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
	if hint != "" {
		drawText(screen, x+2, y+h-1, w-4, " "+hint+" ", border)
	}
	boxStyle := &box
	for i := 0; i < avail && d.offset+i < len(rows); i++ {
		r := rows[d.offset+i]
		for k := range r.r {
			if *r.r[k].style == styleText {
				r.r[k].style = boxStyle
			}
		}
		if r.wide {
			drawRow(screen, sx, y+2+i, sw, r.r)
		} else {
			drawRow(screen, x+2, y+2+i, inner, r.r)
		}
		if d.offset+i == len(rows)-1 {
			d.tail.x, d.tail.y, d.tail.w, d.tail.ok = x+2, y+2+i, inner, true
		}
	}
}

// drawFigure fills the rect with the figure alone, centred.
func (d *dialog) drawFigure(screen tcell.Screen, sx, sy, sw, sh int) {
	var fig []Line
	for _, l := range d.lines {
		if isFigureLine(l) {
			fig = append(fig, l)
		}
	}
	bg := tcell.StyleDefault.Background(tcell.ColorBlack).Foreground(tcell.ColorWhite)
	for i := 0; i < sh; i++ {
		fillRow(screen, sx, sy+i, sw, bg)
	}
	fw := 0
	for _, l := range fig {
		fw = max(fw, textWidth(l.String()))
	}
	note := "v or Esc: back to the link"
	if len(fig) > sh-1 || fw > sw {
		note = fmt.Sprintf("the QR code needs %d×%d, the terminal is %d×%d: enlarge it · v or Esc: back", fw, len(fig)+1, sw, sh)
	}
	top := sy + max((sh-1-len(fig))/2, 0)
	left := sx + max((sw-fw)/2, 0)
	for i, l := range fig {
		if top+i >= sy+sh-1 {
			break
		}
		drawRow(screen, left, top+i, sw-(left-sx), cells(l))
	}
	drawText(screen, sx, sy+sh-1, sw, note, bg.Foreground(tcell.ColorTeal))
}

// InputHandler gives keys to onKey first, then scrolls or closes.
func (d *dialog) InputHandler() func(event *tcell.EventKey, setFocus func(p tview.Primitive)) {
	return d.WrapInputHandler(func(ev *tcell.EventKey, setFocus func(p tview.Primitive)) {
		if d.onKey != nil && d.onKey(ev) {
			return
		}
		switch ev.Key() {
		case tcell.KeyEscape, tcell.KeyEnter:
			if d.figureOnly {
				d.figureOnly = false
				return
			}
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
			switch {
			case ev.Rune() == 'q':
				d.close()
			case ev.Rune() == 'v' && d.hasFigure:
				d.figureOnly = !d.figureOnly
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
