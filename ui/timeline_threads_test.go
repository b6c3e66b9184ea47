package ui

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/ui/uitest"
)

// threadEv is sender's message in the thread of root, as Element sends it.
func threadEv(evID string, sender id.UserID, root, body string, ts int64) *event.Event {
	return &event.Event{ID: id.EventID(evID), Type: event.EventMessage, Sender: sender, Timestamp: 1700000000000 + ts,
		Content: event.Content{Raw: map[string]any{"msgtype": "m.text", "body": body, "m.relates_to": map[string]any{
			"rel_type": "m.thread", "event_id": root, "is_falling_back": true,
			"m.in_reply_to": map[string]any{"event_id": root}}}}}
}

// TestThreadEventsLeaveTheRoomTimeline: thread messages are not lines of
// the room's timeline; their root shows "N replies, last from X" under it,
// counted once the root is loaded too, less a redacted reply; a thread
// view shows the root and its replies only.
func TestThreadEventsLeaveTheRoomTimeline(t *testing.T) {
	tv := NewTimelineView(testContext())
	// History: the reply comes before its root is loaded.
	tv.Append(threadEv("$t1", "@alice:hs", "$ev1", "first in thread", 5000))
	tv.Prepend([]*event.Event{textEvent(1, "the root")}, true)
	tv.Append(textEvent(8, "main line"), threadEv("$t2", "@bob:hs", "$ev1", "second in thread", 9000),
		threadEv("$t3", "@alice:hs", "$other", "thread of an unknown root", 9500))
	text := drawTimeline(newSimScreen(t, 60, 8), tv)
	for _, bad := range []string{"first in thread", "second in thread", "unknown root"} {
		if strings.Contains(text, bad) {
			t.Errorf("thread message %q in the room's timeline:\n%s", bad, text)
		}
	}
	if !strings.Contains(text, "↳ 2 replies, last from bob") || !strings.Contains(text, "main line") {
		t.Fatalf("want the summary under the root:\n%s", text)
	}
	s := newSimScreen(t, 60, 8)
	drawTimeline(s, tv)
	if uitest.Row(s, "↳ 2 replies") != uitest.Row(s, "the root")+1 {
		t.Errorf("summary not under its root:\n%s", text)
	}
	if got := tv.NewestThread(); got != "$other" {
		t.Errorf("NewestThread = %s, want $other", got)
	}
	// bob deletes his reply: one left, last from alice.
	tv.Append(redaction("$x1", "@bob:hs", "$t2"))
	text = drawTimeline(newSimScreen(t, 60, 8), tv)
	if !strings.Contains(text, "↳ 1 reply, last from alice") {
		t.Errorf("after a redacted reply:\n%s", text)
	}
	// Selection walks the room's messages only.
	if !tv.StartSelection() {
		t.Fatal("nothing to select")
	}
	if ev, _, _ := tv.Selected(); ev.ID != "$ev8" {
		t.Errorf("selection starts on %s, want $ev8 (thread messages are not in the room's timeline)", ev.ID)
	}

	// A thread's view: the root and its replies, nothing else.
	th := NewTimelineView(testContext())
	th.threadRoot = "$ev1"
	th.Append(textEvent(1, "the root"), threadEv("$t1", "@alice:hs", "$ev1", "first in thread", 5000),
		textEvent(8, "main line"), threadEv("$t3", "@alice:hs", "$other", "other thread", 9500))
	text = drawTimeline(newSimScreen(t, 60, 8), th)
	if !strings.Contains(text, "the root") || !strings.Contains(text, "first in thread") ||
		strings.Contains(text, "main line") || strings.Contains(text, "other thread") || strings.Contains(text, "↳") {
		t.Errorf("thread view:\n%s", text)
	}
}

// TestThreadSummaryBundled: the server's bundled aggregation counts
// replies not loaded; loaded replies newer than its latest event add to
// it; counts are clamped, negatives dropped, and the latest sender's name
// is sanitized.
func TestThreadSummaryBundled(t *testing.T) {
	latest := &event.Event{ID: "$l", Sender: "@carol:hs", Timestamp: 100}
	cases := []struct {
		name    string
		bundled *event.ThreadAggregation
		loaded  []threadRef
		count   int
		from    id.UserID
	}{
		{"loaded only", nil, []threadRef{{ID: "$a", Sender: "@a:hs", TS: 1}, {ID: "$b", Sender: "@b:hs", TS: 2}}, 2, "@b:hs"},
		{"bundled only", &event.ThreadAggregation{Count: 7, LatestEvent: latest}, nil, 7, "@carol:hs"},
		{"bundled plus a newer one", &event.ThreadAggregation{Count: 7, LatestEvent: latest},
			[]threadRef{{ID: "$l", Sender: "@carol:hs", TS: 100}, {ID: "$n", Sender: "@dave:hs", TS: 101}}, 8, "@dave:hs"},
		{"loaded more than bundled", &event.ThreadAggregation{Count: 1},
			[]threadRef{{ID: "$a", TS: 1, Sender: "@a:hs"}, {ID: "$b", TS: 2, Sender: "@b:hs"}}, 2, "@b:hs"},
		{"huge", &event.ThreadAggregation{Count: math.MaxInt, LatestEvent: latest},
			[]threadRef{{ID: "$n", Sender: "@dave:hs", TS: 101}}, maxThreadCount + 1, "@dave:hs"},
		{"negative", &event.ThreadAggregation{Count: -5}, nil, 0, ""},
	}
	for _, c := range cases {
		s := summarizeThread(c.bundled, c.loaded)
		if s.Count != c.count || s.Latest != c.from {
			t.Errorf("%s: %+v, want %d from %s", c.name, s, c.count, c.from)
		}
	}

	evil := id.UserID("@\x1b[31m\u202eevil" + strings.Repeat("Z", 500) + ":hs")
	root := textEvent(1, "root")
	root.Unsigned.Relations = &event.Relations{Thread: &event.ThreadAggregation{Count: math.MaxInt64,
		LatestEvent: &event.Event{ID: "$l", Sender: evil, Timestamp: 1}}}
	tv := NewTimelineView(testContext())
	tv.Append(root)
	s := newSimScreen(t, 80, 4)
	text := drawTimeline(s, tv)
	if !strings.Contains(text, fmt.Sprintf("↳ %d+ replies, last from", maxThreadCount)) {
		t.Fatalf("hostile bundled summary:\n%s", text)
	}
	if strings.ContainsAny(text, "\x1b\u202e") || strings.Contains(text, strings.Repeat("Z", 70)) {
		t.Errorf("hostile sender not sanitized and cut:\n%s", text)
	}
	if tv.NewestThread() != "$ev1" || !tv.IsThreadRoot("$ev1") {
		t.Error("a root known only from the bundled aggregation is not a thread")
	}
}

// TestThreadRootOf: only an m.thread relation with a root other than the
// event itself puts an event in a thread.
func TestThreadRootOf(t *testing.T) {
	self := threadEv("$self", "@a:hs", "$self", "x", 1)
	notThread := &event.Event{ID: "$r", Type: event.EventMessage, Content: event.Content{Raw: map[string]any{
		"body": "x", "m.relates_to": map[string]any{"m.in_reply_to": map[string]any{"event_id": "$root"}}}}}
	odd := &event.Event{ID: "$o", Type: event.EventMessage, Content: event.Content{Raw: map[string]any{
		"m.relates_to": map[string]any{"rel_type": "m.thread", "event_id": 42}}}}
	for _, ev := range []*event.Event{self, notThread, odd, nil} {
		if got := ThreadRootOf(ev); got != "" {
			t.Errorf("ThreadRootOf(%v) = %q, want none", ev, got)
		}
	}
	if got := ThreadRootOf(threadEv("$t", "@a:hs", "$root", "x", 1)); got != "$root" {
		t.Errorf("ThreadRootOf = %q, want $root", got)
	}
}

// TestThreadSummaryUnderAFoldedMessage: a long root is folded, but its
// thread summary (and reactions) stay in view under the fold.
func TestThreadSummaryUnderAFoldedMessage(t *testing.T) {
	tv := NewTimelineView(testContext())
	tv.Append(textEvent(1, strings.Repeat("long line\n", 100)), threadEv("$t1", "@alice:hs", "$ev1", "in thread", 5000),
		reactionEv("$r1", "@alice:hs", "$ev1", "👍", 6000))
	text := drawTimeline(newSimScreen(t, 60, 40), tv)
	if !strings.Contains(text, "/expand shows it") || !strings.Contains(text, "↳ 1 reply, last from alice") || !strings.Contains(text, "👍") {
		t.Errorf("summary or reactions lost under a folded message:\n%s", text)
	}
}
