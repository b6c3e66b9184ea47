package ui

import (
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// TestQuotedEventIsFetchedOnce: a reply to an event that is not loaded
// asks for it once, shows its text when it arrives, and says so when it
// cannot be loaded; the forged fallback never shows.
func TestQuotedEventIsFetchedOnce(t *testing.T) {
	tv := NewTimelineView(testContext())
	var asked []id.EventID
	tv.SetOnMissingQuote(func(e id.EventID) { asked = append(asked, e) })
	reply := func(evID, target string) *event.Event {
		return &event.Event{ID: id.EventID(evID), Type: event.EventMessage, Sender: "@mallory:hs", Timestamp: 1700000000000,
			Content: event.Content{Raw: map[string]any{"msgtype": "m.text", "body": "> <@alice:hs> I owe you\n\nreally",
				"m.relates_to": map[string]any{"m.in_reply_to": map[string]any{"event_id": target}}}}}
	}
	tv.Append(reply("$r1", "$old"), reply("$r2", "$old"), reply("$r3", "$lost"))
	s := newSimScreen(t, 80, 12)
	text := drawTimeline(s, tv)
	drawTimeline(s, tv)
	if len(asked) != 2 || strings.Contains(text, "owe") {
		t.Fatalf("asked for %v; screen:\n%s", asked, text)
	}
	old := textEvent(1, "the real words")
	old.ID = "$old"
	tv.AddQuoted(old)
	tv.QuoteFailed("$lost")
	text = drawTimeline(s, tv)
	if strings.Count(text, "alice: the real words") != 2 || !strings.Contains(text, "could not be loaded") || strings.Contains(text, "owe") {
		t.Fatalf("after loading:\n%s", text)
	}
}
