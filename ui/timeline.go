package ui

import (
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
)

// tlItem is one event of a timeline with its render caches.
type tlItem struct {
	ev    *event.Event
	st    ItemState
	txnID string
	// thread is the root of the thread the event is in (timeline_threads.go).
	thread id.EventID

	lines    []Line
	tail     int // the last lines are reactions and a thread summary: never folded
	rendered bool
	rows     []row
	rowsW    int
	// folded: the message is longer than its rows show (timeline_fold.go);
	// expanded: the user asked to see more of it.
	folded, expanded bool
	// kept is the last draw that kept it laid out (timeline_evict.go).
	kept uint64
	// cut is what the event, held compact, left out (timeline_compact.go);
	// nil when it is held whole.
	cut *cutText
}

// TimelineView is a room's timeline. It keeps every loaded event but draws
// only what is visible: Draw walks up from the bottom row, rendering and
// wrapping only the events it reaches, and caches each event's lines (and
// their wrapping per width), so drawing costs the same with a hundred or
// ten thousand events loaded.
type TimelineView struct {
	*tview.Box

	items  []*tlItem
	byID   map[id.EventID]*tlItem
	byTxn  map[string]*tlItem
	orphan map[id.EventID]orphanState // edits and redactions whose target is not loaded
	// lastState is the newest loaded state event per type and state key,
	// to give a state event without unsigned.prev_content its previous
	// content (so a removed widget reads "ended", not "removed a widget").
	lastState map[string]*event.Event
	// callInvites finds a call's invite by call ID; callPending holds
	// answers and ends whose invite is not loaded yet.
	callInvites map[string]*tlItem
	callPending map[string][]*tlItem

	rc       RenderContext
	retryKey string
	// quotes are replied-to events fetched for their quote.
	quotes quotes
	// reactions are the loaded reactions by target (timeline_reactions.go).
	reactions reactionIndex
	// sel is the selected message (timeline_select.go).
	sel selection
	// receipts are the room's read receipts and where they are shown
	// (receipts.go).
	receipts receiptState
	// threads are the loaded thread events by root; threadRoot is set on
	// a thread pane's view (timeline_threads.go).
	threads    threadIndex
	threadRoot id.EventID

	// The bottom row shows row (len(rows)-1-anchorSkip) of items[anchor],
	// unless follow is set, when the newest row is at the bottom.
	follow     bool
	anchor     int
	anchorSkip int
	width      int
	height     int

	reachedStart bool
	loading      bool
	// building: the events are being read from the store (timeline_load.go).
	building   bool
	built      []func() // run once built (whenBuilt)
	onReachTop func()

	// names is each user's name after the newest loaded member event.
	names map[id.UserID]string
	// history indexes every name the loaded member events give.
	history *matrix.NameIndex

	// laid holds the items with lines or rows, layoutGen counts draws
	// (timeline_evict.go).
	laid      map[*tlItem]struct{}
	layoutGen uint64

	// reload reads an event again from the store (timeline_compact.go).
	reload func(id.EventID) *event.Event
}

// NewTimelineView makes an empty timeline that follows new events.
func NewTimelineView(rc RenderContext) *TimelineView {
	t := &TimelineView{
		Box:         tview.NewBox(),
		byID:        map[id.EventID]*tlItem{},
		byTxn:       map[string]*tlItem{},
		orphan:      map[id.EventID]orphanState{},
		lastState:   map[string]*event.Event{},
		callInvites: map[string]*tlItem{},
		callPending: map[string][]*tlItem{},
		follow:      true,
	}
	t.SetRenderContext(rc)
	return t
}

// SetRenderContext sets how events are rendered and drops the caches.
func (t *TimelineView) SetRenderContext(rc RenderContext) {
	rc.Lookup = t.quoted
	t.rc = rc
	t.Invalidate()
}

// SetRetryKey names the key shown with messages that failed to send.
func (t *TimelineView) SetRetryKey(k string) { t.retryKey = k; t.refreshEchoes(); t.Invalidate() }

// SetOnReachTop sets what is called (on the UI goroutine) when the top of
// the loaded history becomes visible and more may exist.
func (t *TimelineView) SetOnReachTop(f func()) { t.onReachTop = f }

// Invalidate drops every render cache (e.g. after display names changed).
func (t *TimelineView) Invalidate() {
	for _, it := range t.items {
		it.rendered, it.rows = false, nil
	}
}

// Len is the number of loaded events, hidden ones included.
func (t *TimelineView) Len() int { return len(t.items) }

// Append adds live events at the bottom. An event already loaded (by ID,
// or a local echo by transaction ID) is replaced in place.
func (t *TimelineView) Append(evs ...*event.Event) {
	var added []*tlItem
	members := false
	for _, ev := range evs {
		if ev == nil {
			continue
		}
		if t.replace(ev) {
			continue
		}
		cev, cut := compactEvent(ev, keepFolded)
		it := &tlItem{ev: withPrevState(t.lastState, cev), cut: cut}
		t.items = append(t.items, it)
		t.index(it)
		added = append(added, it)
		members = members || ev.Type == event.StateMember
	}
	if members {
		t.recomputeNames()
	} else {
		t.nameNew(added)
	}
}

// Reset replaces what the view shows after a gap in the room's timeline
// (matrix.TimelineAppended.Reset): every loaded event is dropped except
// the user's own messages still sending or failed, the room's start is
// no longer reached, and evs (oldest first) become the whole view. Older
// events then come again through Prepend, from right above evs.
func (t *TimelineView) Reset(evs []*event.Event) {
	var echoes []*tlItem
	for _, it := range t.items {
		if it.txnID != "" && (it.st.Pending || it.st.Failed) {
			echoes = append(echoes, it)
		}
	}
	t.items = nil
	t.byID = map[id.EventID]*tlItem{}
	t.byTxn = map[string]*tlItem{}
	t.orphan = map[id.EventID]orphanState{}
	t.reactions, t.threads = nil, nil
	t.lastState = map[string]*event.Event{}
	t.callInvites = map[string]*tlItem{}
	t.callPending = map[string][]*tlItem{}
	t.names, t.history = nil, nil
	t.reachedStart, t.loading, t.building = false, false, false
	t.follow, t.anchor, t.anchorSkip = true, 0, 0
	t.Append(evs...)
	sent := map[string]bool{}
	for _, ev := range evs {
		if ev != nil && ev.Unsigned.TransactionID != "" {
			sent[ev.Unsigned.TransactionID] = true
		}
	}
	for _, it := range echoes {
		if sent[it.txnID] {
			continue // the batch holds its sent copy
		}
		it.rendered, it.rows = false, nil
		t.items = append(t.items, it)
		t.byTxn[it.txnID] = it
		t.index(it)
	}
	t.refreshEchoes()
}

// withPrevState fills in a state event's missing prev_content from the
// previous state event of the same type and key in last, and records it.
func withPrevState(last map[string]*event.Event, ev *event.Event) *event.Event {
	if ev.StateKey == nil {
		return ev
	}
	key := ev.Type.Type + "\x00" + *ev.StateKey
	if prev := last[key]; prev != nil && ev.Unsigned.PrevContent == nil {
		cp := *ev
		content := prev.Content
		cp.Unsigned.PrevContent = &content
		ev = &cp
	}
	last[key] = ev
	return ev
}

// Prepend adds older events above what is loaded.
func (t *TimelineView) Prepend(evs []*event.Event, reachedStart bool) {
	t.loading = false
	if reachedStart {
		t.reachedStart = true
	}
	var add []*tlItem
	batchState := map[string]*event.Event{}
	for _, ev := range evs {
		if ev == nil || (ev.ID != "" && t.byID[ev.ID] != nil) {
			continue
		}
		cev, cut := compactEvent(ev, keepFolded)
		add = append(add, &tlItem{ev: withPrevState(batchState, cev), cut: cut})
	}
	if len(add) == 0 {
		return
	}
	if len(t.items) > 0 {
		t.items[0].rows = nil // its day separator depends on what is above it
	}
	t.items = append(add, t.items...)
	if !t.follow {
		t.anchor += len(add)
	}
	for _, it := range add {
		t.index(it)
	}
	t.recomputeNames()
}

// ReachedStart says whether the room's first event is loaded.
func (t *TimelineView) ReachedStart() bool { return t.reachedStart }

// SetLoading marks a history fetch as started or ended.
func (t *TimelineView) SetLoading(on bool) { t.loading = on }

// LastEventID returns the newest event with a server ID (for receipts).
func (t *TimelineView) LastEventID() id.EventID {
	for i := len(t.items) - 1; i >= 0; i-- {
		if e := t.items[i].ev.ID; e != "" && e[0] == '$' && !t.items[i].st.Pending {
			return e
		}
	}
	return ""
}

func (t *TimelineView) remove(it *tlItem) {
	for i, x := range t.items {
		if x == it {
			t.items = append(t.items[:i], t.items[i+1:]...)
			if !t.follow && t.anchor >= i && t.anchor > 0 {
				t.anchor--
			}
			break
		}
	}
	if it.txnID != "" && t.byTxn[it.txnID] == it {
		delete(t.byTxn, it.txnID)
	}
	t.unindexThread(it)
}

// replace swaps in a newer copy of an event that is already shown.
func (t *TimelineView) replace(ev *event.Event) bool {
	it := t.byID[ev.ID]
	if it == nil && ev.Unsigned.TransactionID != "" {
		it = t.byTxn[ev.Unsigned.TransactionID]
	}
	if it == nil || ev.ID == "" {
		return false
	}
	it.ev, it.cut = compactEvent(ev, it.keep())
	wasEcho := it.st.Pending || it.st.Failed
	it.st.Pending, it.st.Failed, it.st.Retrying, it.st.Held = false, false, false, false
	it.rendered, it.rows = false, nil
	t.byID[ev.ID] = it
	if wasEcho {
		t.refreshEchoes()
	}
	return true
}

// index records an item by ID and applies edits and redactions to their
// targets (now or when the target arrives).
func (t *TimelineView) index(it *tlItem) {
	ev := it.ev
	if ev.ID != "" {
		t.byID[ev.ID] = it
		if st, ok := t.orphan[ev.ID]; ok {
			delete(t.orphan, ev.ID)
			t.applyRelation(it, st.edit, "")
			for _, by := range st.redactors {
				t.applyRelation(it, nil, by)
			}
		}
	}
	content, ok := contentOf(&ev.Content)
	if !ok || t.indexReaction(it, content) {
		return
	}
	t.indexThread(it, content)
	t.indexCall(it, content)
	var target id.EventID
	var edit *event.Event
	var redactor id.UserID
	switch {
	case ev.Type == event.EventRedaction:
		target = ev.Redacts
		if target == "" {
			target = id.EventID(content.strOr("redacts", ""))
		}
		redactor = ev.Sender
	case ev.Type == event.EventMessage:
		if rel, tgt := content.relation(); rel == "m.replace" && tgt != "" {
			target, edit = id.EventID(tgt), ev
		}
	}
	if target == "" {
		return
	}
	if tit := t.byID[target]; tit != nil {
		t.applyRelation(tit, edit, redactor)
		return
	}
	st := t.orphan[target]
	if redactor != "" {
		st.redactors = append(st.redactors, redactor)
	}
	if edit != nil && (st.edit == nil || st.edit.Timestamp <= edit.Timestamp) {
		st.edit = edit
	}
	t.orphan[target] = st
}

// orphanState holds the edit and the redactors of an event not loaded yet.
type orphanState struct {
	edit      *event.Event
	redactors []id.UserID
}

// indexCall joins a call's answer and hangup or reject to its invite, so
// the invite's line tells the whole call and the others are hidden.
func (t *TimelineView) indexCall(it *tlItem, content obj) {
	callID := content.strOr("call_id", "")
	if callID == "" {
		return
	}
	switch it.ev.Type {
	case event.CallInvite:
		t.callInvites[callID] = it
		for _, p := range t.callPending[callID] {
			t.attachCall(it, p)
		}
		delete(t.callPending, callID)
	case event.CallAnswer, event.CallHangup, event.CallReject:
		if inv := t.callInvites[callID]; inv != nil {
			t.attachCall(inv, it)
		} else {
			t.callPending[callID] = append(t.callPending[callID], it)
		}
	}
}

func (t *TimelineView) attachCall(invite, other *tlItem) {
	switch other.ev.Type {
	case event.CallAnswer:
		if invite.st.CallAnswer == nil || other.ev.Timestamp < invite.st.CallAnswer.Timestamp {
			invite.st.CallAnswer = other.ev
		}
	default:
		if invite.st.CallEnd == nil || other.ev.Timestamp < invite.st.CallEnd.Timestamp {
			invite.st.CallEnd = other.ev
		}
	}
	other.st.Hidden = true
	invite.rendered, invite.rows = false, nil
	other.rendered, other.rows = false, nil
}

// applyRelation applies an edit (only by the original sender) or a
// redaction by redactor (only by the original sender or a member with the
// power to redact: homeservers accept other redaction events in newer room
// versions and leave it to clients not to apply them).
func (t *TimelineView) applyRelation(target *tlItem, edit *event.Event, redactor id.UserID) {
	if redactor != "" && (redactor == target.ev.Sender || (t.rc.MayRedact != nil && t.rc.MayRedact(redactor))) {
		target.st.Redacted = true
		t.relationChanged(target)
	}
	if edit != nil && edit.Sender == target.ev.Sender &&
		(target.st.Edit == nil || target.st.Edit.Timestamp <= edit.Timestamp) {
		target.st.Edit = edit
	}
	target.rendered, target.rows = false, nil
}

// rowsOf renders and wraps item i for the current width, with caching. An
// item that starts a new day gets a date separator row above it.
func (t *TimelineView) rowsOf(i int) []row {
	it := t.items[i]
	t.render(it)
	if it.rows == nil || it.rowsW != t.width {
		it.rows = it.rows[:0]
		if len(it.lines) > 0 {
			if day := t.dayOf(it); day != "" && day != t.prevDay(i) {
				it.rows = append(it.rows, daySeparator(day, t.width))
			}
		}
		it.rows = t.itemRows(it, it.rows)
		if it.rows == nil {
			it.rows = []row{}
		}
		it.rowsW = t.width
	}
	return it.rows
}

// render fills an item's lines if needed.
func (t *TimelineView) render(it *tlItem) {
	if !it.rendered {
		rc := t.rc
		rc.History = t.history
		it.lines = nil
		if t.shows(it) {
			it.lines = t.withReceipts(it, Render(it.ev, rc, it.st))
			n := len(it.lines)
			it.lines = append(it.lines, t.reactionLines(it)...)
			it.lines = append(it.lines, t.threadLines(it)...)
			it.tail = len(it.lines) - n
		}
		it.rendered = true
		t.noteLaidOut(it)
		it.rows = nil
	}
}

// maxDayLookback bounds the walk over hidden events to find the day of
// the previous shown event.
const maxDayLookback = 50

// dayOf is the local date of an item, or "" if it has no timestamp.
func (t *TimelineView) dayOf(it *tlItem) string {
	if it.ev.Timestamp <= 0 {
		return ""
	}
	tm := time.UnixMilli(it.ev.Timestamp)
	if t.rc.Location != nil {
		tm = tm.In(t.rc.Location)
	}
	return tm.Format("Mon 2 Jan 2006")
}

// prevDay is the day of the nearest shown event before item i, or "".
func (t *TimelineView) prevDay(i int) string {
	for j := i - 1; j >= 0 && j >= i-maxDayLookback; j-- {
		t.render(t.items[j])
		if len(t.items[j].lines) > 0 {
			return t.dayOf(t.items[j])
		}
	}
	return ""
}

// daySeparator is a centred "── Tue 24 Nov 2026 ──" row.
func daySeparator(day string, width int) row {
	label := " " + day + " "
	side := max((width-textWidth(label))/2, 0)
	return cells(Line{{strings.Repeat("─", side) + label + strings.Repeat("─", side), styleDim}})
}

// Draw draws the visible rows only.
func (t *TimelineView) Draw(screen tcell.Screen) {
	t.Box.DrawForSubclass(screen, t)
	x, y, w, h := t.GetInnerRect()
	if w <= 0 || h <= 0 {
		return
	}
	t.width, t.height = w, h
	t.placeReceipts()
	if t.follow || t.anchor >= len(t.items) {
		t.anchor, t.anchorSkip = len(t.items)-1, 0
	}
	t.beginDraw(y, h)
	line := y + h - 1
	skip := t.anchorSkip
	i := t.anchor
	for ; i >= 0 && line >= y; i-- {
		rows := t.rowsOf(i)
		for k := len(rows) - 1 - skip; k >= 0 && line >= y; k-- {
			t.drawItemRow(screen, x, line, w, i, k, rows[k])
			line--
		}
		skip = 0
	}
	t.dropFarRows(i+1, t.anchor)
	if i < 0 && line >= y {
		switch {
		case t.reachedStart:
			drawText(screen, x, line, w, "— this is the beginning of the room —", styleDim)
		case t.building:
			drawText(screen, x, line, w, "loading…", styleDim)
		case t.loading:
			drawText(screen, x, line, w, "loading older messages…", styleDim)
		}
	}
	if !t.follow && t.anchor < len(t.items)-1 {
		hint := " ↓ newer "
		hw := textWidth(hint)
		drawText(screen, x+max(w-hw, 0), y+h-1, w, hint, styleMention)
	}
	if i < 0 && !t.reachedStart && !t.loading && !t.building && t.onReachTop != nil {
		t.loading = true
		t.onReachTop()
	}
}

// ScrollUp moves the view n rows towards older events.
func (t *TimelineView) ScrollUp(n int) {
	if len(t.items) == 0 || t.width <= 0 {
		return
	}
	if t.follow {
		t.follow = false
		t.anchor, t.anchorSkip = len(t.items)-1, 0
	}
	t.anchorSkip += n
	for t.anchor > 0 && t.anchorSkip >= len(t.rowsOf(t.anchor)) {
		t.anchorSkip -= len(t.rowsOf(t.anchor))
		t.anchor--
	}
	if t.anchor == 0 && t.anchorSkip >= len(t.rowsOf(0)) {
		t.anchorSkip = max(len(t.rowsOf(0))-1, 0)
	}
	// Do not leave the screen half empty above the first event; once the
	// room's start is loaded, keep one row for the "beginning" marker.
	need := t.height
	if t.reachedStart {
		need--
	}
	above := 0
	for i := t.anchor; i >= 0 && above < need; i-- {
		above += len(t.rowsOf(i))
		if i == t.anchor {
			above -= t.anchorSkip
		}
	}
	if above < need {
		t.ScrollDown(need - above)
	}
}

// ScrollDown moves the view n rows towards newer events; reaching the end
// makes it follow new events again.
func (t *TimelineView) ScrollDown(n int) {
	if t.follow {
		return
	}
	t.anchorSkip -= n
	for t.anchorSkip < 0 {
		if t.anchor >= len(t.items)-1 {
			t.follow = true
			t.anchorSkip = 0
			return
		}
		t.anchor++
		t.anchorSkip += len(t.rowsOf(t.anchor))
	}
	if t.anchor >= len(t.items)-1 && t.anchorSkip == 0 {
		t.follow = true
	}
}

// PageUp and PageDown scroll by a screenful less one row.
func (t *TimelineView) PageUp() { t.ScrollUp(max(t.height-1, 1)) }

// PageDown scrolls towards newer events by a screenful less one row.
func (t *TimelineView) PageDown() { t.ScrollDown(max(t.height-1, 1)) }

// Following says whether the newest event is at the bottom.
func (t *TimelineView) Following() bool { return t.follow }

// MouseHandler scrolls with the wheel; a click selects a message.
func (t *TimelineView) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (consumed bool, capture tview.Primitive) {
	return t.WrapMouseHandler(func(action tview.MouseAction, ev *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		if !t.InRect(ev.Position()) {
			return false, nil
		}
		switch action {
		case tview.MouseScrollUp:
			t.ScrollUp(3)
			return true, nil
		case tview.MouseScrollDown:
			t.ScrollDown(3)
			return true, nil
		case tview.MouseLeftClick:
			_, y := ev.Position()
			return t.clickSelect(y), nil
		}
		return false, nil
	})
}
