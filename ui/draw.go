package ui

import (
	"unicode/utf8"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/uniseg"

	"github.com/termatrix/termatrix/sanitize"
)

// cell is one grapheme cluster on the screen. Rows of cells are cached
// for every message drawn, so a cell is kept small: the cluster's text,
// its width and its style, which the cells of one run of text share (a
// tcell.Style is 72 bytes: held by value, it made a cell 96 bytes, and 30
// folded rows of a long message some 400 KB); its runes are taken apart
// only when it is drawn.
type cell struct {
	text  string
	style *tcell.Style
	width int
}

// defaultStyle is the style of cells made with tcell.StyleDefault. Never
// written to: cells share it.
var defaultStyle = new(tcell.Style)

// newCell makes a cell with its own copy of style; cells(l) shares one
// per segment instead.
func newCell(text string, width int, style tcell.Style) cell {
	if style == tcell.StyleDefault {
		return cell{text: text, width: width, style: defaultStyle}
	}
	return cell{text: text, width: width, style: &style}
}

// withStyle returns c drawn in style (a copy: the cell's style may be
// shared).
func (c cell) withStyle(style tcell.Style) cell {
	return newCell(c.text, c.width, style)
}

// row is one screen row of cells.
type row []cell

// cells splits a line into grapheme cells. Zero-width clusters join the
// cell before them; control characters that slipped through become "?".
func cells(l Line) row {
	n := 0
	for _, seg := range l {
		n += len(seg.Text)
	}
	out := make(row, 0, n)
	for _, seg := range l {
		s := seg.Text
		style := defaultStyle
		if seg.Style != tcell.StyleDefault {
			st := seg.Style
			style = &st
		}
		state := -1
		for len(s) > 0 {
			// Printable ASCII before ASCII is a cluster of its own, one
			// column wide: most text takes this way, not uniseg's.
			if s[0] >= 0x20 && s[0] < 0x7f && (len(s) == 1 || s[1] < 0x80) {
				out = append(out, cell{text: s[:1], width: 1, style: style})
				s, state = s[1:], -1
				continue
			}
			var c string
			var w int
			c, s, w, state = uniseg.FirstGraphemeClusterInString(s, state)
			if w == 0 {
				if len(out) > 0 {
					p := &out[len(out)-1]
					p.text += c
				}
				continue
			}
			if r, _ := utf8.DecodeRuneInString(c); c != "" && sanitize.Dropped(r) {
				c, w = "?", 1
			}
			out = append(out, cell{text: c, width: w, style: style})
		}
	}
	return out
}

// wrapLine wraps a line to width columns, breaking after spaces where it
// can; continuation rows are indented by indent columns.
func wrapLine(l Line, width, indent int) []row {
	all := cells(l)
	if width < 1 {
		width = 1
	}
	if indent >= width/2 {
		indent = 0
	}
	var rows []row
	for first := true; first || len(all) > 0; first = false {
		avail := width
		var cur row
		if !first {
			avail -= indent
			for i := 0; i < indent; i++ {
				cur = append(cur, newCell(" ", 1, tcell.StyleDefault))
			}
		}
		used, n, lastSpace := 0, 0, -1
		for n < len(all) && used+all[n].width <= avail {
			if all[n].text == " " {
				lastSpace = n
			}
			used += all[n].width
			n++
		}
		if n == 0 && len(all) > 0 {
			n = 1 // a cluster wider than the row: show it anyway
		}
		take := n
		if n < len(all) && lastSpace > 0 {
			take = lastSpace + 1
		}
		cur = append(cur, all[:take]...)
		all = all[take:]
		// A row starting a continuation does not start with a space.
		if len(all) > 0 && all[0].text == " " {
			all = all[1:]
		}
		rows = append(rows, cur)
	}
	return rows
}

// drawRow draws cells from (x, y), clipped to width columns.
func drawRow(screen tcell.Screen, x, y, width int, r row) int {
	col := 0
	for _, c := range r {
		if col+c.width > width {
			break
		}
		main, size := utf8.DecodeRuneInString(c.text)
		if main == 0 || size == 0 {
			continue
		}
		var comb []rune
		if size < len(c.text) {
			comb = []rune(c.text[size:])
		}
		screen.SetContent(x+col, y, main, comb, *c.style)
		for k := 1; k < c.width; k++ {
			screen.SetContent(x+col+k, y, ' ', nil, *c.style)
		}
		col += c.width
	}
	return col
}

// drawText draws a single-line string (sanitized here) in one style,
// clipped to width, and returns the columns used.
func drawText(screen tcell.Screen, x, y, width int, text string, style tcell.Style) int {
	if n, ok := drawPlain(screen, x, y, width, text, style); ok {
		return n
	}
	return drawRow(screen, x, y, width, cells(Line{{sanitize.Line(text), style}}))
}

// drawPlain draws text as drawText does when it is all printable ASCII
// (sanitizing leaves it as it is, and each byte is a cell one column
// wide), or such text cut by sanitize.Cut (its Ellipsis, one cell of its
// own, at the end), without making its cells: the room list draws every
// visible row this way for each message that arrives. ok is false for any
// other text.
func drawPlain(screen tcell.Screen, x, y, width int, text string, style tcell.Style) (int, bool) {
	plain, cut := text, false
	if len(text) > len(sanitize.Ellipsis) && text[len(text)-len(sanitize.Ellipsis):] == sanitize.Ellipsis {
		plain, cut = text[:len(text)-len(sanitize.Ellipsis)], true
	}
	for i := 0; i < len(plain); i++ {
		if c := plain[i]; c < 0x20 || c >= 0x7f {
			return 0, false
		}
	}
	n := min(len(plain), max(width, 0))
	for i := 0; i < n; i++ {
		screen.SetContent(x+i, y, rune(plain[i]), nil, style)
	}
	if cut && n == len(plain) && n < width {
		r, _ := utf8.DecodeRuneInString(sanitize.Ellipsis)
		screen.SetContent(x+n, y, r, nil, style)
		n++
	}
	return n, true
}

// fillRow paints a row's background.
func fillRow(screen tcell.Screen, x, y, width int, style tcell.Style) {
	for i := 0; i < width; i++ {
		screen.SetContent(x+i, y, ' ', nil, style)
	}
}

// textWidth is the display width of a string.
func textWidth(s string) int { return uniseg.StringWidth(s) }
