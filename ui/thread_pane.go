package ui

import (
	"context"
	"sort"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// The thread pane shows one thread: a header "Thread: <root's first line>"
// over a TimelineView of the root and its replies. It takes the room
// timeline's place, or sits beside it when the slot is wide enough
// (threadBesideWidth). While it is open the selection and its actions act
// on the thread's messages, and the composer writes into the thread
// (matrix.SendThreadReply: a plain message falls back to the thread's
// latest event, a reply names the message it answers). Esc in the
// composer, or opening another room, closes it. Its events come from the
// room's loaded view, from the server's /relations (fetched on opening)
// and from sync as they arrive (threadUpdate).

// threadBesideWidth is the slot width from which the pane sits beside the
// room's timeline rather than over it.
const threadBesideWidth = 140

// threadPane is an open thread.
type threadPane struct {
	room   id.RoomID
	root   id.EventID
	tv     *TimelineView
	header *linesView
	// fetched are the root and the thread events the server gave.
	fetched []*event.Event
}

// drawThread draws the room's timeline and the open thread pane in the
// slot; false when no pane is open.
func (s *timelineSlot) drawThread(screen tcell.Screen, x, y, w, h int) bool {
	p := s.thread
	if p == nil || s.tv == nil {
		return false
	}
	px := x
	if w >= threadBesideWidth {
		left := w / 2
		s.tv.SetRect(x, y, left, h)
		s.tv.Draw(screen)
		for r := y; r < y+h; r++ {
			screen.SetContent(x+left, r, '│', nil, styleDim)
		}
		px, w = x+left+1, w-left-1
	}
	p.header.SetRect(px, y, w, 1)
	p.header.Draw(screen)
	p.tv.SetRect(px, y+1, w, max(h-1, 0))
	p.tv.Draw(screen)
	return true
}

// threadMouse passes mouse events to the pane, or to the room's timeline
// beside it.
func (s *timelineSlot) threadMouse() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
	return func(action tview.MouseAction, ev *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		if s.thread != nil && s.thread.tv.InRect(ev.Position()) {
			return s.thread.tv.MouseHandler()(action, ev, setFocus)
		}
		if s.tv != nil {
			return s.tv.MouseHandler()(action, ev, setFocus)
		}
		return false, nil
	}
}

// focusTV is the timeline the keys act on: the open thread's, else the
// open room's.
func (u *UI) focusTV() *TimelineView {
	if p := u.w.slot.thread; p != nil && p.room == u.s.current {
		return p.tv
	}
	return u.w.slot.tv
}

// threadOpen is the open thread of the open room, if any.
func (u *UI) threadOpen() *threadPane {
	if p := u.w.slot.thread; p != nil && p.room == u.s.current {
		return p
	}
	return nil
}

// threadTarget is the thread a message opens: the thread it is in, or the
// one it starts.
func threadTarget(ev *event.Event) id.EventID {
	if root := ThreadRootOf(ev); root != "" {
		return root
	}
	return ev.ID
}

// openThread opens the thread of root in the open room's pane.
func (u *UI) openThread(root id.EventID) {
	room := u.s.current
	roomTV := u.w.slot.tv
	if room == "" || roomTV == nil || root == "" || root[0] != '$' {
		u.say(true, "No thread to open here.")
		return
	}
	roomTV.EndSelection()
	p := &threadPane{room: room, root: root, header: newLinesView()}
	p.header.bg = tcell.StyleDefault.Background(tcell.ColorDarkSlateBlue).Foreground(tcell.ColorWhite)
	u.w.slot.thread = p
	u.fillThread(p)
	p.tv.SetLoading(true)
	u.refreshFooter()
	u.bg("Reading the thread", func(ctx context.Context, c *matrix.Client) error {
		evs, err := c.ThreadReplies(ctx, room, root)
		var rootEv *event.Event
		if _, known := roomTV.threadItems(root); err == nil && known == nil {
			rootEv, _ = c.Event(ctx, room, root) // an unknown root: the header says so
		}
		u.queue(func() {
			if u.w.slot.thread != p {
				return // closed meanwhile
			}
			if rootEv != nil {
				p.fetched = append(p.fetched, rootEv)
			}
			p.fetched = append(p.fetched, evs...)
			u.fillThread(p)
		})
		return err
	}, nil)
}

// fillThread (re)builds the pane's view from the room's loaded view and
// what the server gave: the root, the thread's events by time, the edits,
// reactions and redactions of those, and the user's messages still being
// sent to it.
func (u *UI) fillThread(p *threadPane) {
	roomTV := u.timeline(p.room)
	tv := NewTimelineView(u.renderContext(p.room))
	tv.threadRoot = p.root
	tv.SetRetryKey(u.keys.Name(ActRetry))
	tv.SetOnMissingQuote(func(e id.EventID) { u.fetchQuoted(p.room, tv, e) })
	tv.SetReload(u.storedEvent(p.room))
	tv.SetOnSelectClick(u.refreshFooter)

	byID := map[id.EventID]*event.Event{}
	var members []*event.Event
	add := func(ev *event.Event) {
		if ev == nil || ev.ID == "" || ev.ID[0] != '$' || byID[ev.ID] != nil {
			return
		}
		if ev.ID != p.root && ThreadRootOf(ev) != p.root {
			return
		}
		byID[ev.ID] = ev
		members = append(members, ev)
	}
	for _, ev := range p.fetched {
		add(ev)
	}
	rootItem, items := roomTV.threadItems(p.root)
	if rootItem != nil {
		add(rootItem.ev)
	}
	var echoes []*tlItem
	for _, it := range items {
		if it.txnID != "" && (it.st.Pending || it.st.Failed) {
			echoes = append(echoes, it)
			continue
		}
		add(it.ev)
	}
	sort.SliceStable(members, func(i, j int) bool {
		if (members[i].ID == p.root) != (members[j].ID == p.root) {
			return members[i].ID == p.root
		}
		return members[i].Timestamp < members[j].Timestamp
	})
	tv.Append(members...)
	// The relations to those (edits, reactions, redactions), in the order
	// the room's view has them.
	for _, it := range roomTV.items {
		if it.ev.ID != "" && byID[it.ev.ID] == nil && it.txnID == "" && tv.relatesToLoaded(it.ev) {
			tv.Append(it.ev)
		}
	}
	for _, it := range echoes {
		if it.st.Failed {
			tv.AddFailedEcho(it.txnID, it.ev, it.st.FailReason)
		} else {
			tv.AddEcho(it.txnID, it.ev)
		}
	}
	tv.adoptCuts(roomTV)
	p.tv = tv
	u.refreshThreadHeader(p)
}

// relatesToLoaded says whether an event edits, annotates or redacts an
// event of the view.
func (t *TimelineView) relatesToLoaded(ev *event.Event) bool {
	if ev.Type == event.EventRedaction {
		target := ev.Redacts
		if target == "" {
			if c, ok := contentOf(&ev.Content); ok {
				target = id.EventID(c.strOr("redacts", ""))
			}
		}
		return t.byID[target] != nil
	}
	c, ok := contentOf(&ev.Content)
	if !ok {
		return false
	}
	rel, target := c.relation()
	return (rel == "m.replace" || rel == "m.annotation") && t.byID[id.EventID(target)] != nil
}

// latest is the thread's newest sent event (the root if it has none yet).
func (p *threadPane) latest() id.EventID {
	for i := len(p.tv.items) - 1; i >= 0; i-- {
		it := p.tv.items[i]
		if it.thread == p.root && sentID(it.ev) && !it.st.Pending {
			return it.ev.ID
		}
	}
	return p.root
}

// belongs says whether an event arriving in the room is for the pane.
func (p *threadPane) belongs(ev *event.Event) bool {
	return ev != nil && (ev.ID == p.root || ThreadRootOf(ev) == p.root || p.tv.relatesToLoaded(ev))
}

// refreshThreadHeader shows "Thread: <root's first line>" over the pane.
func (u *UI) refreshThreadHeader(p *threadPane) {
	text := "(its first message is not loaded)"
	if it := p.tv.byID[p.root]; it != nil {
		body := messageBody(it.ev, it.st)
		if body == "" && it.ev.Type.Type == event.EventEncrypted.Type {
			body = "(encrypted message)"
		}
		text = u.shownName(p.room, it.ev.Sender) + ": " + sanitize.Line(firstLine(body))
	}
	p.header.SetLines(Line{{" Thread: ", p.header.bg.Bold(true)}, {clip(text, 200), p.header.bg},
		{"  · Esc closes", p.header.bg.Foreground(tcell.ColorSilver)}})
}

// closeThread closes the open thread pane; false if none was open.
func (u *UI) closeThread() bool {
	if u.w.slot.thread == nil {
		return false
	}
	u.w.slot.thread = nil
	if u.s.compose.mode == composeReply {
		u.s.compose = composeState{}
		u.refreshComposeBar()
	}
	u.refreshFooter()
	return true
}

// threadUpdate carries the room's news to the open thread pane.
func (u *UI) threadUpdate(up matrix.Update) {
	p := u.w.slot.thread
	if p == nil {
		return
	}
	switch up := up.(type) {
	case matrix.TimelineAppended:
		if up.RoomID != p.room {
			return
		}
		for _, ev := range up.Events {
			if p.belongs(ev) {
				p.tv.Append(ev)
			}
		}
	case matrix.LocalEcho:
		if up.RoomID == p.room && p.belongs(up.Event) {
			p.tv.AddEcho(up.TxnID, up.Event)
		}
	case matrix.EchoResolved:
		if up.RoomID == p.room {
			if up.Err != nil {
				p.tv.FailEcho(up.TxnID, sendFailure(up.Err))
			} else {
				p.tv.ResolveEcho(up.TxnID, up.EventID, false)
			}
		}
	case matrix.EchoRetrying:
		if up.RoomID == p.room {
			p.tv.RetryingEcho(up.TxnID)
		}
	case matrix.EchoDiscarded:
		if up.RoomID == p.room {
			p.tv.DiscardEcho(up.TxnID)
		}
	case matrix.EventsDecrypted:
		if up.RoomID == p.room && p.tv.ReplaceDecrypted(up.Events) > 0 {
			u.refreshThreadHeader(p)
		}
	}
}

// opensThread says whether Enter (open) on a message opens its thread: a
// thread root of the room's timeline, with no thread open.
func (u *UI) opensThread(ev *event.Event) bool {
	tv := u.w.slot.tv
	return tv != nil && u.threadOpen() == nil && ev.ID != "" && tv.IsThreadRoot(ev.ID)
}

// threadAction opens the thread of the selected message (selection key
// "thread", Enter or o on a thread root).
func (u *UI) threadAction(ev *event.Event) {
	u.openThread(threadTarget(ev))
}

// threadCommand runs /thread: the selected message's thread, else the
// open room's newest thread.
func (u *UI) threadCommand() bool {
	tv := u.w.slot.tv
	if tv == nil {
		u.say(true, "No room open.")
		return false
	}
	if ev, st, ok := tv.Selected(); ok {
		if !u.mayDo(ActThread, ev, st) {
			u.say(true, "%s", cannotDo(ActThread, ev))
			return false
		}
		u.threadAction(ev)
		return true
	}
	root := tv.NewestThread()
	if root == "" {
		u.say(true, "Usage: /thread, with a message selected (%s), or in a room with threads", u.keys.Name(ActSelect))
		return false
	}
	u.openThread(root)
	return true
}

// sendInThread sends the composer's text into the open thread: a reply
// being written answers its message in the thread, anything else falls
// back to the thread's latest event. False when no thread is open or an
// edit is being written (an edit is the same in a thread).
func (u *UI) sendInThread(text string, cs composeState) bool {
	p := u.threadOpen()
	if p == nil || cs.mode == composeEdit {
		return false
	}
	c := u.s.client
	if cs.mode == composeReply && cs.room == p.room && cs.target != nil {
		c.SendThreadReply(p.room, p.root, text, cs.target.ID, cs.target.Sender, false)
		u.s.compose = composeState{}
		u.refreshComposeBar()
	} else {
		c.SendThreadReply(p.room, p.root, text, p.latest(), "", true)
	}
	return true
}
