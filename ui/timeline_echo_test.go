package ui

import (
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"
)

// TestEchoStates: pending, retrying, failed with the retry hint on the
// oldest failed message only, held behind it, and back to pending on
// retry; a discarded one goes.
func TestEchoStates(t *testing.T) {
	s := newSimScreen(t, 120, 8)
	tv := NewTimelineView(testContext())
	tv.SetRetryKey("Ctrl+R")
	echo := func(body string) *event.Event {
		return &event.Event{Type: event.EventMessage, Sender: "@bob:hs", Timestamp: 1700000000000,
			Content: event.Content{Raw: map[string]any{"msgtype": "m.text", "body": body}}}
	}
	tv.AddEcho("t1", echo("one"))
	tv.AddEcho("t2", echo("two"))
	tv.AddEcho("t3", echo("three"))
	tv.RetryingEcho("t1")
	text := drawTimeline(s, tv)
	for _, want := range []string{"one (sending… retrying)", "two (sending…)", "three (sending…)"} {
		if !strings.Contains(text, want) {
			t.Fatalf("no %q:\n%s", want, text)
		}
	}
	tv.FailEcho("t1", "M_FORBIDDEN")
	tv.FailEcho("t2", "M_TOO_LARGE")
	text = drawTimeline(s, tv)
	for _, want := range []string{
		"one (failed to send: M_FORBIDDEN — press Ctrl+R to retry, /discard to drop it)",
		"two (failed to send: M_TOO_LARGE)",
		"three (waiting: a message above was not sent)",
	} {
		if !strings.Contains(text, want) {
			t.Fatalf("no %q:\n%s", want, text)
		}
	}
	if tv.FailedEcho() != "t1" {
		t.Fatalf("retry acts on %q, want the oldest", tv.FailedEcho())
	}
	tv.RequeueEcho("t1")
	tv.DiscardEcho("t2")
	text = drawTimeline(s, tv)
	if !strings.Contains(text, "one (sending…)") || strings.Contains(text, "two") || !strings.Contains(text, "three (sending…)") {
		t.Fatalf("after retry and discard:\n%s", text)
	}
}

// TestOwnSendingUntilResolved: the newest own message counts as sending
// until its echo resolves, and only then is it the one Up edits.
func TestOwnSendingUntilResolved(t *testing.T) {
	tv := NewTimelineView(testContext())
	ev := &event.Event{Type: event.EventMessage, Sender: "@bob:hs", Timestamp: 1700000000000,
		Content: event.Content{Raw: map[string]any{"msgtype": "m.text", "body": "hi"}}}
	tv.AddEcho("t1", ev)
	if !tv.OwnSending("@bob:hs") {
		t.Fatal("a pending echo is not sending")
	}
	if _, _, ok := tv.LastOwnMessage("@bob:hs"); ok {
		t.Fatal("a pending echo can be edited")
	}
	tv.ResolveEcho("t1", "$sent", false)
	if tv.OwnSending("@bob:hs") {
		t.Fatal("a sent message is still sending")
	}
	if got, _, ok := tv.LastOwnMessage("@bob:hs"); !ok || got.ID != "$sent" {
		t.Fatalf("last own message %v %v", got, ok)
	}
}
