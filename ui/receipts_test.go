package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
)

// lineOf is the screen row holding want.
func lineOf(text, want string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, want) {
			return l
		}
	}
	return ""
}

func TestReceiptMarksMoveAndHideOwn(t *testing.T) {
	s := newSimScreen(t, 60, 8)
	tv := NewTimelineView(testContext())
	tv.Append(textEvent(1, "first"), textEvent(2, "second"))
	at := time.UnixMilli(1700000005000)
	tv.SetReceipts(map[id.UserID]matrix.Receipt{
		"@alice:hs": {EventID: "$ev1", TS: at},
		"@bob:hs":   {EventID: "$ev1", TS: at},  // our own: not shown
		"@carol:hs": {EventID: "$gone", TS: at}, // not loaded: not shown
	})
	text := drawTimeline(s, tv)
	if l := lineOf(text, "first"); !strings.HasSuffix(strings.TrimRight(l, " "), "first ✓A") {
		t.Fatalf("alice's receipt not on the first message:\n%s", text)
	}
	if strings.Contains(text, "✓B") || strings.Contains(text, "✓C") || strings.Contains(lineOf(text, "second"), "✓") {
		t.Fatalf("own or unloaded receipt shown:\n%s", text)
	}
	tv.UpdateReceipts(map[id.UserID]matrix.Receipt{"@alice:hs": {EventID: "$ev2", TS: at.Add(time.Second)}})
	text = drawTimeline(s, tv)
	if strings.Contains(lineOf(text, "first"), "✓") || !strings.Contains(lineOf(text, "second"), "second ✓A") {
		t.Fatalf("alice's receipt did not move to the second message:\n%s", text)
	}
	// The event carol read arrives: her mark appears, newest reader first.
	ev := textEvent(3, "third")
	ev.ID = "$gone"
	tv.Append(ev)
	tv.UpdateReceipts(map[id.UserID]matrix.Receipt{"@alice:hs": {EventID: "$gone", TS: at.Add(2 * time.Second)}})
	text = drawTimeline(s, tv)
	if !strings.Contains(lineOf(text, "third"), "third ✓AC") {
		t.Fatalf("readers of the third message:\n%s", text)
	}
}

func TestReceiptMarkOnHiddenEventGoesAbove(t *testing.T) {
	s := newSimScreen(t, 60, 6)
	tv := NewTimelineView(testContext())
	react := &event.Event{ID: "$r", Type: event.EventReaction, Sender: "@alice:hs", Timestamp: 1700000009000,
		Content: event.Content{Raw: map[string]any{"m.relates_to": map[string]any{"rel_type": "m.annotation", "event_id": "$ev1", "key": "👍"}}}}
	tv.Append(textEvent(1, "first"), react)
	tv.SetReceipts(map[id.UserID]matrix.Receipt{"@alice:hs": {EventID: "$r"}})
	text := drawTimeline(s, tv)
	if !strings.Contains(lineOf(text, "first"), "first ✓A") {
		t.Fatalf("receipt on a reaction not shown on the message above:\n%s", text)
	}
}

// TestReceiptMarkHostile: ten thousand readers of one message and user
// IDs full of control characters and bidi overrides give one short, inert
// mark (what is left of a name once sanitized gives the letter: "[31mevil"
// a 3, "@]0;pwn" a 0).
func TestReceiptMarkHostile(t *testing.T) {
	s := newSimScreen(t, 60, 6)
	rc := testContext()
	rc.Name = func(u id.UserID) string {
		if strings.HasPrefix(string(u), "@evil") {
			return "\x1b[31m\u202eevil\x07"
		}
		return ""
	}
	tv := NewTimelineView(rc)
	tv.Append(textEvent(1, "popular"))
	all := map[id.UserID]matrix.Receipt{}
	for i := 0; i < 10000; i++ {
		all[id.UserID(fmt.Sprintf("@\x1b]0;pwn\x07u%d\u202e:hs", i))] = matrix.Receipt{EventID: "$ev1", TS: time.UnixMilli(int64(i))}
	}
	all["@evil:hs"] = matrix.Receipt{EventID: "$ev1", TS: time.UnixMilli(20000)}
	tv.SetReceipts(all)
	text := drawTimeline(s, tv)
	l := strings.TrimRight(lineOf(text, "popular"), " ")
	if !strings.HasSuffix(l, "popular ✓300+9998") {
		t.Fatalf("hostile receipts: %q\n%s", l, text)
	}
	for _, r := range text {
		if r < 0x20 && r != '\n' || r == '\u202e' {
			t.Fatalf("control character %U on screen:\n%q", r, text)
		}
	}
}

func TestInitial(t *testing.T) {
	for in, want := range map[string]string{
		"alice": "A", "@bob:hs": "B", "  ☃ snow": "☃", "": "?", "\x1b[31m": "3", "\x07\u202e": "?", "日本": "日", "🎉 party": "🎉",
	} {
		if got := initial(in); got != want {
			t.Errorf("initial(%q) = %q, want %q", in, got, want)
		}
	}
}
