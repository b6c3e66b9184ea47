package ui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/uniseg"
)

// frameScreen sits between tview and the terminal's tcell.Screen and
// passes on only the cells a frame really changed.
//
// tview clears the whole screen before every frame and each box fills its
// background before its text is drawn; tcell (v2.13) marks a cell for
// output whenever new content differs from what the cell held earlier in
// the same frame, so every non-blank cell was written to the terminal on
// every frame (about 14 KB a frame on 160×48), whatever changed. This
// screen keeps the frame being drawn and the last frame shown; Show hands
// tcell only the cells whose final content differs, so a frame that
// changes nothing visible writes nothing, and one new line writes about
// that line.
//
// A frame may also redraw only some widgets (keepFrame): its Clear keeps
// what the last frame drew, the UI draws the widgets that changed over it,
// and Show compares only the rows they wrote.
//
// Only tview's draw (the UI goroutine) uses it: a frame starts with Clear,
// which also follows the terminal's size, and ends with Show.
type frameScreen struct {
	tcell.Screen

	w, h    int
	cur     []frameCell // the frame being drawn
	shown   []frameCell // the last frame handed to the terminal
	styles  styleTable  // the styles of cur's and shown's cells
	fresh   bool        // shown no longer mirrors the terminal: pass on every cell
	keep    bool        // the next Clear keeps the last frame (keepFrame)
	partial bool        // this frame started from the last one
	rows    []span      // in a partial frame, the columns written to in each row
	// firstShown, when not nil, is called once after the first frame was
	// handed to the terminal.
	firstShown func()
	// opened: the screen was initialised before it was wrapped, and the
	// next Init (tview's, when it takes the screen) has nothing to do.
	opened bool
	// tty, if not nil, is the terminal device under the screen: each
	// frame goes to it in one write.
	tty *frameTty
}

// span is the columns lo..hi-1 of a row (none when hi is 0).
type span struct{ lo, hi int }

// frameCell is one cell's grapheme cluster, style (numbered in the
// screen's styleTable) and width.
type frameCell struct {
	str   string
	style uint32
	width int32
}

// blankCell is a space in tcell.StyleDefault (style number 0).
var blankCell = frameCell{str: " ", style: 0, width: 1}

// newFrameScreen wraps a screen.
func newFrameScreen(s tcell.Screen) *frameScreen { return &frameScreen{Screen: s, fresh: true} }

// Init initialises the terminal's screen, unless it was opened already.
func (f *frameScreen) Init() error {
	if f.opened {
		f.opened = false
		return nil
	}
	return f.Screen.Init()
}

// fit sizes the buffers to the terminal; a new size redraws everything.
func (f *frameScreen) fit() {
	w, h := f.Screen.Size()
	if w == f.w && h == f.h && f.cur != nil {
		return
	}
	f.w, f.h = w, h
	f.cur = make([]frameCell, w*h)
	f.shown = make([]frameCell, w*h)
	f.rows = make([]span, h)
	for i := range f.cur {
		f.cur[i] = blankCell
	}
	f.fresh = true
}

func (f *frameScreen) at(x, y int) *frameCell {
	if x < 0 || y < 0 || x >= f.w || y >= f.h {
		return nil
	}
	return &f.cur[y*f.w+x]
}

// keepFrame makes the next frame start from the last one instead of a
// blank screen: the UI then draws only what changed. A new terminal size
// or a frame still to be passed on whole (fresh) blanks it all the same.
func (f *frameScreen) keepFrame() { f.keep = true }

// Partial says whether the frame being drawn started from the last one
// (keepFrame), so that only what changed needs drawing.
func (f *frameScreen) Partial() bool { return f.partial }

// Clear blanks the frame being drawn (not the terminal), unless keepFrame
// asked to keep the last one.
func (f *frameScreen) Clear() {
	keep := f.keep
	f.keep = false
	if keep && !f.fresh && f.cur != nil {
		if w, h := f.Screen.Size(); w == f.w && h == f.h {
			f.partial = true
			return
		}
	}
	f.Fill(' ', tcell.StyleDefault)
}

// Fill fills the frame being drawn.
func (f *frameScreen) Fill(r rune, style tcell.Style) {
	f.fit()
	f.partial = false
	c := frameCell{str: runeString(r), style: f.styles.id(style), width: 1}
	for i := range f.cur {
		f.cur[i] = c
	}
}

// ascii holds every ASCII character: a cell's one-character string is cut
// from it rather than allocated (string(rune) allocates when kept).
const ascii = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f" +
	"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f" +
	" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\x7f"

// runeString is string(r), without allocating for ASCII.
func runeString(r rune) string {
	if r >= 0 && r < 0x80 {
		return ascii[r : r+1]
	}
	return string(r)
}

// SetContent sets one cell of the frame.
func (f *frameScreen) SetContent(x, y int, primary rune, combining []rune, style tcell.Style) {
	str := runeString(primary)
	if primary == 0 {
		str = " "
	}
	if len(combining) > 0 {
		str += string(combining)
	}
	f.put(x, y, str, style)
}

// Put sets one cell to the first grapheme cluster of str and returns the
// rest and the cluster's width, as tcell does.
func (f *frameScreen) Put(x, y int, str string, style tcell.Style) (string, int) {
	g, rest, w, _ := uniseg.FirstGraphemeClusterInString(str, -1)
	if g == "" {
		return "", 0
	}
	f.put(x, y, g, style)
	return rest, w
}

// PutStr and PutStrStyled draw a string from x along row y.
func (f *frameScreen) PutStr(x, y int, str string) { f.PutStrStyled(x, y, str, tcell.StyleDefault) }

// PutStrStyled draws a string in a style from x along row y.
func (f *frameScreen) PutStrStyled(x, y int, str string, style tcell.Style) {
	for str != "" {
		var w int
		str, w = f.Put(x, y, str, style)
		x += max(w, 1)
	}
}

// SetCell sets a cell from runes (the first the primary).
func (f *frameScreen) SetCell(x, y int, style tcell.Style, ch ...rune) {
	if len(ch) == 0 {
		return
	}
	f.SetContent(x, y, ch[0], ch[1:], style)
}

func (f *frameScreen) put(x, y int, str string, style tcell.Style) {
	if c := f.at(x, y); c != nil {
		if str == "" {
			str = " "
		}
		w := 1
		if len(str) > 1 || str[0] >= 0x80 {
			w = max(uniseg.StringWidth(str), 1)
		}
		*c = frameCell{str: str, style: f.styles.id(style), width: int32(w)}
		if r := &f.rows[y]; r.hi == 0 {
			*r = span{x, x + 1}
		} else {
			r.lo, r.hi = min(r.lo, x), max(r.hi, x+1)
		}
	}
}

// Get reads a cell of the frame being drawn.
func (f *frameScreen) Get(x, y int) (string, tcell.Style, int) {
	c := f.at(x, y)
	if c == nil {
		return "", tcell.StyleDefault, 1
	}
	return c.str, f.styles.style(c.style), int(c.width)
}

// GetContent reads a cell of the frame being drawn.
func (f *frameScreen) GetContent(x, y int) (rune, []rune, tcell.Style, int) {
	str, style, width := f.Get(x, y)
	var primary rune
	var comb []rune
	for i, r := range str {
		if i == 0 {
			primary = r
		} else {
			comb = append(comb, r)
		}
	}
	return primary, comb, style, width
}

// Show hands the terminal the cells this frame changed, then shows. A
// partial frame compares only the cells written to, and when none changed
// the terminal is not asked to show anything (the cursor is where the last
// whole frame put it).
func (f *frameScreen) Show() {
	f.fit()
	if f.fresh {
		f.partial = false
	}
	partial, put := f.partial, 0
	for y := 0; y < f.h; y++ {
		lo, hi := 0, f.w
		if partial {
			lo, hi = f.rows[y].lo, f.rows[y].hi
		}
		f.rows[y] = span{}
		for x := lo; x < hi; x++ {
			i := y*f.w + x
			c := f.cur[i]
			if !f.fresh && c == f.shown[i] {
				continue
			}
			f.shown[i] = c
			f.Screen.Put(x, y, c.str, f.styles.style(c.style))
			put++
		}
	}
	f.styles.compact(f.cur, f.shown)
	f.fresh, f.partial, f.keep = false, false, false
	if !partial || put > 0 {
		f.tty.hold()
		f.Screen.Show()
		f.tty.flush()
		if first := f.firstShown; first != nil {
			f.firstShown = nil
			first()
		}
	}
}

// Sync repaints the whole terminal from what was last shown.
func (f *frameScreen) Sync() {
	f.fresh = true
	f.Show()
	f.Screen.Sync()
}
