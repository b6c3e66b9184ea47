package ui

import (
	"strconv"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// Threads (m.relates_to rel_type m.thread, event_id the root): the room's
// timeline does not show thread events as lines of their own. The timeline
// keeps them by their root, loaded or not, and the root shows a summary
// under it, "↳ 2 replies, last from bob", counted from the loaded thread
// events and the server's bundled aggregation of the root
// (unsigned.m.relations.m.thread), whichever knows more. A thread pane's
// view (threadRoot set, thread_pane.go) shows the root and that thread's
// events only. Counts are clamped and names go through matrix.ShownName:
// both come from others.

// maxThreadCount is the most replies a summary counts; more read "99999+".
const maxThreadCount = 99999

// threadIndex holds the loaded thread events by their root.
type threadIndex map[id.EventID][]*tlItem

// threadRootOf is the root of the thread a content belongs to, or "".
func threadRootOf(content obj) id.EventID {
	rel, ok := content.sub("m.relates_to")
	if !ok || rel.strOr("rel_type", "") != string(event.RelThread) {
		return ""
	}
	return id.EventID(rel.strOr("event_id", ""))
}

// ThreadRootOf is the root of the thread an event belongs to, or "".
func ThreadRootOf(ev *event.Event) id.EventID {
	if ev == nil {
		return ""
	}
	content, ok := contentOf(&ev.Content)
	if !ok {
		return ""
	}
	if root := threadRootOf(content); root != ev.ID {
		return root
	}
	return ""
}

// indexThread records a thread event under its root.
func (t *TimelineView) indexThread(it *tlItem, content obj) {
	root := threadRootOf(content)
	if root == "" || root == it.ev.ID || it.ev.Type.Type == event.EventReaction.Type {
		return
	}
	it.thread = root
	if t.threads == nil {
		t.threads = threadIndex{}
	}
	for _, x := range t.threads[root] {
		if x == it {
			return // indexed again (decrypted)
		}
	}
	t.threads[root] = append(t.threads[root], it)
	t.invalidateID(root)
}

// unindexThread forgets a thread event that left the view (a discarded echo).
func (t *TimelineView) unindexThread(it *tlItem) {
	if it.thread == "" {
		return
	}
	list := t.threads[it.thread]
	for i, x := range list {
		if x == it {
			t.threads[it.thread] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	t.invalidateID(it.thread)
}

// shows says whether the view draws an item: the room's view leaves out
// thread events, a thread's view everything but its root and its events.
func (t *TimelineView) shows(it *tlItem) bool {
	if t.threadRoot == "" {
		return it.thread == ""
	}
	return it.thread == t.threadRoot || (it.ev.ID == t.threadRoot && it.ev.ID != "")
}

// threadRef is one thread event as a summary needs it.
type threadRef struct {
	ID       id.EventID
	Sender   id.UserID
	TS       int64
	Redacted bool
}

// threadSummary is what a root's summary line tells.
type threadSummary struct {
	Count  int
	Latest id.UserID // who sent the newest reply ("" if unknown)
}

// summarizeThread counts a thread's replies from the loaded ones and the
// server's bundled aggregation: the server's count plus the loaded replies
// newer than its latest event, or the loaded count if that is more.
func summarizeThread(bundled *event.ThreadAggregation, loaded []threadRef) threadSummary {
	var s threadSummary
	var latestTS int64 = -1
	var bundledID id.EventID
	var bundledTS int64 = -1
	count := 0
	if bundled != nil {
		count = min(max(bundled.Count, 0), maxThreadCount+1)
		if le := bundled.LatestEvent; le != nil {
			bundledID, bundledTS = le.ID, le.Timestamp
			s.Latest, latestTS = le.Sender, le.Timestamp
		}
	}
	n, newer := 0, 0
	for _, r := range loaded {
		if r.Redacted {
			continue
		}
		n++
		if r.TS > bundledTS && r.ID != bundledID {
			newer++
		}
		if r.TS >= latestTS {
			s.Latest, latestTS = r.Sender, r.TS
		}
	}
	if bundledTS < 0 {
		newer = 0 // no bundled latest event to tell newer replies by
	}
	s.Count = min(max(count+newer, n), maxThreadCount+1)
	return s
}

// ThreadSummary is a loaded root's thread summary; ok is false when it has
// no replies the view knows of.
func (t *TimelineView) ThreadSummary(root id.EventID) (threadSummary, bool) {
	var bundled *event.ThreadAggregation
	if it := t.byID[root]; it != nil && it.ev.Unsigned.Relations != nil {
		bundled = it.ev.Unsigned.Relations.Thread
	}
	items := t.threads[root]
	refs := make([]threadRef, 0, len(items))
	for _, it := range items {
		refs = append(refs, threadRef{ID: it.ev.ID, Sender: it.ev.Sender, TS: it.ev.Timestamp,
			Redacted: it.st.Redacted || it.ev.Unsigned.RedactedBecause != nil})
	}
	s := summarizeThread(bundled, refs)
	return s, s.Count > 0
}

// threadLines is the summary line under a root in the room's view.
func (t *TimelineView) threadLines(it *tlItem) []Line {
	if t.threadRoot != "" || len(it.lines) == 0 || it.ev.ID == "" || it.thread != "" {
		return nil
	}
	s, ok := t.ThreadSummary(it.ev.ID)
	if !ok {
		return nil
	}
	return []Line{t.threadLine(s)}
}

// threadLine renders a summary: "↳ 2 replies, last from bob".
func (t *TimelineView) threadLine(s threadSummary) Line {
	n := strconv.Itoa(s.Count) + " replies"
	switch {
	case s.Count == 1:
		n = "1 reply"
	case s.Count > maxThreadCount:
		n = strconv.Itoa(maxThreadCount) + "+ replies"
	}
	l := Line{{"      ↳ ", styleDim}, {n, styleCall}}
	if s.Latest != "" {
		name := ""
		if t.rc.Name != nil {
			name = t.rc.Name(s.Latest)
		}
		// Cut like a name: a bare user ID may be 255 columns.
		shown := sanitize.Cut(matrix.ShownName(s.Latest, name, t.rc.Members, t.history), matrix.MaxNameColumns)
		l = append(l, Segment{", last from ", styleDim}, Segment{shown, senderStyle(s.Latest)})
	}
	return l
}

// IsThreadRoot says whether a loaded event has thread replies.
func (t *TimelineView) IsThreadRoot(e id.EventID) bool {
	_, ok := t.ThreadSummary(e)
	return ok
}

// NewestThread is the root of the thread with the newest loaded event
// (a reply, or a root the server says has replies); "" if none.
func (t *TimelineView) NewestThread() id.EventID {
	for i := len(t.items) - 1; i >= 0; i-- {
		it := t.items[i]
		if it.thread != "" {
			return it.thread
		}
		if rel := it.ev.Unsigned.Relations; rel != nil && rel.Thread != nil && rel.Thread.Count > 0 && it.ev.ID != "" {
			return it.ev.ID
		}
	}
	return ""
}

// threadItems are the loaded root of a thread (nil if not loaded) and its
// events in the order loaded.
func (t *TimelineView) threadItems(root id.EventID) (rootItem *tlItem, items []*tlItem) {
	return t.byID[root], t.threads[root]
}
