package ui

import (
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// redaction makes an m.room.redaction of target by sender.
func redaction(evID string, sender id.UserID, target string) *event.Event {
	return &event.Event{ID: id.EventID(evID), Type: event.EventRedaction, Sender: sender, Redacts: id.EventID(target),
		Timestamp: 1800000000000, Content: event.Content{Raw: map[string]any{}}}
}

// TestRedactionsNeedTheSenderOrThePower checks that a redaction deletes a
// message only when it comes from the message's sender or from a member
// with the power to redact, whether the message is shown already or comes
// after the redaction; other redactions (which newer room versions let
// through to clients) change nothing.
func TestRedactionsNeedTheSenderOrThePower(t *testing.T) {
	rc := testContext()
	rc.MayRedact = func(u id.UserID) bool { return u == "@mod:hs" }
	tv := NewTimelineView(rc)
	s := newSimScreen(t, 80, 12)
	own := textEvent(1, "alice one")
	byMod := textEvent(2, "alice two")
	forged := textEvent(3, "alice three")
	tv.Append(own, byMod, forged)
	tv.Append(redaction("$r1", "@alice:hs", "$ev1"), redaction("$r2", "@mod:hs", "$ev2"), redaction("$r3", "@mallory:hs", "$ev3"))
	// A redaction that comes before its target: judged when it arrives.
	tv.Append(redaction("$r4", "@mallory:hs", "$ev4"), redaction("$r5", "@mod:hs", "$ev5"))
	tv.Append(textEvent(4, "alice four"), textEvent(5, "alice five"))
	text := drawTimeline(s, tv)
	for _, gone := range []string{"alice one", "alice two", "alice five"} {
		if strings.Contains(text, gone) {
			t.Errorf("%q was not deleted:\n%s", gone, text)
		}
	}
	for _, kept := range []string{"alice three", "alice four"} {
		if !strings.Contains(text, kept) {
			t.Errorf("%q was deleted by a member without the power to:\n%s", kept, text)
		}
	}
}
