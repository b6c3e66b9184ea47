package ui

import (
	"fmt"
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"
)

// TestTimelineResetReplacesViewKeepsPendingEcho checks the gap contract:
// a Reset drops what was shown (sent messages included) but keeps the
// user's messages still sending, forgets the room's start, and the next
// Prepend continues right above the reset's events.
func TestTimelineResetReplacesViewKeepsPendingEcho(t *testing.T) {
	s := newSimScreen(t, 50, 12)
	tv := NewTimelineView(testContext())
	tv.Prepend(nil, true)
	tv.Append(textEvent(1, "old one"), textEvent(2, "old two"))
	tv.AddEcho("txn-pending", &event.Event{Type: event.EventMessage, Sender: "@me:hs",
		Content: event.Content{Raw: map[string]any{"msgtype": "m.text", "body": "still sending"}}})
	tv.ScrollUp(1)

	tv.Reset([]*event.Event{textEvent(50, "new fifty"), textEvent(51, "new fifty-one")})
	if tv.ReachedStart() {
		t.Fatal("a reset must forget having reached the start")
	}
	text := drawTimeline(s, tv)
	for _, gone := range []string{"old one", "old two", "beginning of the room"} {
		if strings.Contains(text, gone) {
			t.Fatalf("%q still shown after the reset:\n%s", gone, text)
		}
	}
	if !strings.Contains(text, "still sending") || strings.Index(text, "new fifty-one") > strings.Index(text, "still sending") {
		t.Fatalf("the pending echo is not kept below the new events:\n%s", text)
	}
	var hole []*event.Event
	for i := 3; i < 50; i++ {
		hole = append(hole, textEvent(i, fmt.Sprintf("hole %d", i)))
	}
	tv.Prepend(append([]*event.Event{textEvent(1, "old one"), textEvent(2, "old two")}, hole...), true)
	if tv.Len() != 52 {
		t.Fatalf("%d events after the backfill, want 52", tv.Len())
	}
	text = drawTimeline(s, tv)
	if !strings.Contains(text, "hole 49") || strings.Index(text, "hole 49") > strings.Index(text, "new fifty") {
		t.Fatalf("the backfill is not right above the reset's events:\n%s", text)
	}
}
