package ui

import (
	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// A message of the timeline can be selected, to act on it (reply, edit,
// react, delete, open, copy: see msgactions.go). Selection starts on the
// newest message; moving it walks the messages (state events and hidden
// events are skipped) and scrolls so that the selected one is in view; a
// click on a message selects it. The selected message's rows are drawn
// highlighted.

// styleSelected is the background of the selected message's rows.
var styleSelected = tcell.StyleDefault.Background(tcell.ColorDarkBlue)

// selection is the timeline's selected message and what the last draw put
// on each screen row (for clicks).
type selection struct {
	on bool
	it *tlItem
	// rows[k] is the item drawn on screen row top+k by the last Draw.
	rows []*tlItem
	top  int
	// onClick runs after a click selected a message.
	onClick func()
}

// selectable says whether an item is a message that can be selected.
func (t *TimelineView) selectable(it *tlItem) bool {
	switch it.ev.Type.Type {
	case event.EventMessage.Type, event.EventSticker.Type, event.EventEncrypted.Type:
	default:
		return false
	}
	t.render(it)
	return len(it.lines) > 0
}

// indexOf is an item's index, or -1 if it is no longer loaded.
func (t *TimelineView) indexOf(it *tlItem) int {
	for i := len(t.items) - 1; i >= 0; i-- {
		if t.items[i] == it {
			return i
		}
	}
	return -1
}

// StartSelection selects the newest message; false if there is none.
func (t *TimelineView) StartSelection() bool {
	for i := len(t.items) - 1; i >= 0; i-- {
		if t.selectable(t.items[i]) {
			t.sel.on, t.sel.it = true, t.items[i]
			t.ensureVisible(i)
			return true
		}
	}
	return false
}

// EndSelection leaves selection.
func (t *TimelineView) EndSelection() { t.sel.on, t.sel.it = false, nil }

// Selecting says whether a message is selected (still loaded and shown).
func (t *TimelineView) Selecting() bool {
	if t.sel.on && (t.sel.it == nil || t.indexOf(t.sel.it) < 0 || !t.selectable(t.sel.it)) {
		t.EndSelection()
	}
	return t.sel.on
}

// Selected returns the selected message and what the timeline knows of it
// (its newest edit, whether it is still being sent).
func (t *TimelineView) Selected() (*event.Event, ItemState, bool) {
	if !t.Selecting() {
		return nil, ItemState{}, false
	}
	return t.sel.it.ev, t.sel.it.st, true
}

// MoveSelection moves the selection n messages down (n > 0, newer) or up.
func (t *TimelineView) MoveSelection(n int) {
	if !t.Selecting() {
		return
	}
	i := t.indexOf(t.sel.it)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for j := i + step; n > 0 && j >= 0 && j < len(t.items); j += step {
		if t.selectable(t.items[j]) {
			i, n = j, n-1
		}
	}
	t.sel.it = t.items[i]
	t.ensureVisible(i)
}

// PageSelection moves the selection by about a screenful of rows, down
// (dir > 0) or up.
func (t *TimelineView) PageSelection(dir int) {
	if !t.Selecting() {
		return
	}
	i := t.indexOf(t.sel.it)
	step := 1
	if dir < 0 {
		step = -1
	}
	rows, page := 0, max(t.height-1, 1)
	for j := i + step; j >= 0 && j < len(t.items) && rows < page; j += step {
		if t.selectable(t.items[j]) {
			rows += len(t.rowsOf(j))
			i = j
		}
	}
	t.sel.it = t.items[i]
	t.ensureVisible(i)
}

// ensureVisible scrolls so that item i is wholly in view (or starts at
// the top, if it is taller than the view).
func (t *TimelineView) ensureVisible(i int) {
	if t.width <= 0 || t.height <= 0 || i < 0 || i >= len(t.items) {
		return
	}
	bottom, skip := t.anchor, t.anchorSkip
	if t.follow || bottom >= len(t.items) {
		bottom, skip = len(t.items)-1, 0
	}
	if i > bottom || (i == bottom && skip > 0) {
		if i == len(t.items)-1 {
			t.follow, t.anchorSkip = true, 0
			return
		}
		t.follow, t.anchor, t.anchorSkip = false, i, 0
		return
	}
	// Rows from the top of item i to the bottom of the view.
	need := len(t.rowsOf(i))
	for j := i + 1; j <= bottom; j++ {
		need += len(t.rowsOf(j))
	}
	need -= skip
	if need <= t.height {
		return // in view
	}
	// Put item i's first row on the view's top row.
	total := 0
	for j := i; j < len(t.items); j++ {
		total += len(t.rowsOf(j))
		if total >= t.height {
			t.follow, t.anchor, t.anchorSkip = false, j, total-t.height
			return
		}
	}
	t.follow, t.anchorSkip = true, 0
}

// beginDraw readies the row map for a draw of h rows from y.
func (t *TimelineView) beginDraw(y, h int) {
	if cap(t.sel.rows) >= h {
		t.sel.rows = t.sel.rows[:h]
		clear(t.sel.rows)
	} else {
		t.sel.rows = make([]*tlItem, h)
	}
	t.sel.top = y
}

// drawItemRow draws row k of item i on screen row y, highlighted when the
// item is selected (its day separator aside), and notes what is there.
func (t *TimelineView) drawItemRow(screen tcell.Screen, x, y, w, i, k int, r row) {
	it := t.items[i]
	if n := y - t.sel.top; n >= 0 && n < len(t.sel.rows) {
		t.sel.rows[n] = it
	}
	if !t.sel.on || t.sel.it != it || (k == 0 && t.hasDaySeparator(i)) {
		drawRow(screen, x, y, w, r)
		return
	}
	fillRow(screen, x, y, w, styleSelected)
	hl := make(row, len(r))
	for n, c := range r {
		hl[n] = c.withStyle(c.style.Background(tcell.ColorDarkBlue))
	}
	drawRow(screen, x, y, w, hl)
}

// hasDaySeparator says whether item i's first row is a day separator.
func (t *TimelineView) hasDaySeparator(i int) bool {
	it := t.items[i]
	day := t.dayOf(it)
	return len(it.lines) > 0 && day != "" && day != t.prevDay(i)
}

// SetOnSelectClick sets what runs after a click selected a message.
func (t *TimelineView) SetOnSelectClick(f func()) { t.sel.onClick = f }

// clickSelect selects the message drawn at screen row y; false if none is.
func (t *TimelineView) clickSelect(y int) bool {
	n := y - t.sel.top
	if n < 0 || n >= len(t.sel.rows) || t.sel.rows[n] == nil || !t.selectable(t.sel.rows[n]) {
		return false
	}
	t.sel.on, t.sel.it = true, t.sel.rows[n]
	if t.sel.onClick != nil {
		t.sel.onClick()
	}
	return true
}

// LastOwnMessage is the user's newest sent message that is not deleted.
func (t *TimelineView) LastOwnMessage(own id.UserID) (*event.Event, ItemState, bool) {
	for i := len(t.items) - 1; i >= 0; i-- {
		it := t.items[i]
		if it.ev.Sender == own && it.ev.Type.Type == event.EventMessage.Type && sentID(it.ev) &&
			!it.st.Redacted && it.ev.Unsigned.RedactedBecause == nil && t.selectable(it) {
			return it.ev, it.st, true
		}
	}
	return nil, ItemState{}, false
}

// OwnSending says the user's newest message in the view is still being
// sent (a local echo without its event ID yet).
func (t *TimelineView) OwnSending(own id.UserID) bool {
	for i := len(t.items) - 1; i >= 0; i-- {
		it := t.items[i]
		if it.ev.Sender == own && it.ev.Type.Type == event.EventMessage.Type {
			return !sentID(it.ev)
		}
	}
	return false
}

// LastMessage is the room's newest sent message that is not deleted.
func (t *TimelineView) LastMessage() (*event.Event, ItemState, bool) {
	for i := len(t.items) - 1; i >= 0; i-- {
		it := t.items[i]
		if sentID(it.ev) && !it.st.Redacted && it.ev.Unsigned.RedactedBecause == nil && t.selectable(it) {
			return it.ev, it.st, true
		}
	}
	return nil, ItemState{}, false
}
