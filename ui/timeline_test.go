package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/ui/uitest"
)

func textEvent(i int, body string) *event.Event {
	return &event.Event{
		ID:        id.EventID(fmt.Sprintf("$ev%d", i)),
		Type:      event.EventMessage,
		Sender:    "@alice:hs",
		Timestamp: 1700000000000 + int64(i)*1000,
		Content:   event.Content{Raw: map[string]any{"msgtype": "m.text", "body": body}},
	}
}

func newSimScreen(t testing.TB, w, h int) tcell.SimulationScreen {
	s := tcell.NewSimulationScreen("UTF-8")
	if err := s.Init(); err != nil {
		t.Fatal(err)
	}
	s.SetSize(w, h)
	return s
}

func drawTimeline(s tcell.SimulationScreen, tv *TimelineView) string {
	s.Clear()
	w, h := s.Size()
	tv.SetRect(0, 0, w, h)
	tv.Draw(s)
	s.Show()
	return uitest.Text(s)
}

func TestTimelineScrollAndEdits(t *testing.T) {
	s := newSimScreen(t, 40, 5)
	tv := NewTimelineView(testContext())
	var evs []*event.Event
	for i := 0; i < 50; i++ {
		evs = append(evs, textEvent(i, fmt.Sprintf("message %d", i)))
	}
	tv.Append(evs...)
	text := drawTimeline(s, tv)
	if !strings.Contains(text, "message 49") || strings.Contains(text, "message 44") {
		t.Fatalf("bottom not shown:\n%s", text)
	}
	tv.PageUp()
	text = drawTimeline(s, tv)
	if strings.Contains(text, "message 49") || !strings.Contains(text, "message 44") {
		t.Fatalf("page up did not scroll:\n%s", text)
	}
	if !strings.Contains(text, "↓ newer") {
		t.Fatalf("no hint of newer messages:\n%s", text)
	}
	tv.PageDown()
	tv.PageDown()
	if !tv.Following() {
		t.Fatal("paging down to the end does not follow again")
	}
	// An edit replaces the shown text; a redaction deletes it.
	edit := &event.Event{ID: "$edit", Type: event.EventMessage, Sender: "@alice:hs", Timestamp: 1800000000000,
		Content: event.Content{Raw: map[string]any{"body": "* fixed", "msgtype": "m.text",
			"m.new_content": map[string]any{"body": "fixed 48", "msgtype": "m.text"},
			"m.relates_to":  map[string]any{"rel_type": "m.replace", "event_id": "$ev48"}}}}
	red := &event.Event{ID: "$red", Type: event.EventRedaction, Sender: "@alice:hs", Redacts: "$ev49", Timestamp: 1800000000001,
		Content: event.Content{Raw: map[string]any{}}}
	tv.Append(edit, red)
	text = drawTimeline(s, tv)
	if !strings.Contains(text, "fixed 48 (edited)") || !strings.Contains(text, "message deleted") || strings.Contains(text, "message 49") {
		t.Fatalf("edit/redaction not applied:\n%s", text)
	}
}

func TestTimelineReachTopLoadsHistory(t *testing.T) {
	s := newSimScreen(t, 40, 10)
	tv := NewTimelineView(testContext())
	tv.Append(textEvent(10, "newest"))
	calls := 0
	tv.SetOnReachTop(func() { calls++ })
	drawTimeline(s, tv)
	drawTimeline(s, tv)
	if calls != 1 {
		t.Fatalf("reach-top callback called %d times, want 1 (no second fetch while loading)", calls)
	}
	tv.Prepend([]*event.Event{textEvent(1, "older")}, true)
	text := drawTimeline(s, tv)
	if !strings.Contains(text, "older") || !strings.Contains(text, "beginning of the room") {
		t.Fatalf("history not shown:\n%s", text)
	}
	drawTimeline(s, tv)
	if calls != 1 {
		t.Fatalf("fetched again after reaching the start")
	}
}

func TestTimelineLocalEcho(t *testing.T) {
	s := newSimScreen(t, 60, 5)
	tv := NewTimelineView(testContext())
	tv.SetRetryKey("Ctrl+R")
	echo := &event.Event{Type: event.EventMessage, Sender: "@bob:hs", Timestamp: 1700000000000,
		Content: event.Content{Raw: map[string]any{"msgtype": "m.text", "body": "hi there"}}}
	tv.AddEcho("txn1", echo)
	if text := drawTimeline(s, tv); !strings.Contains(text, "hi there (sending…)") {
		t.Fatalf("echo not pending:\n%s", text)
	}
	tv.ResolveEcho("txn1", "", true)
	if text := drawTimeline(s, tv); !strings.Contains(text, "failed to send") || tv.FailedEcho() != "txn1" {
		t.Fatalf("failure not marked:\n%s", text)
	}
	tv.ResolveEcho("txn1", "$real", false)
	real := &event.Event{ID: "$real", Type: event.EventMessage, Sender: "@bob:hs", Timestamp: 1700000000000,
		Content: event.Content{Raw: map[string]any{"msgtype": "m.text", "body": "hi there"}}}
	tv.Append(real)
	text := drawTimeline(s, tv)
	if strings.Count(text, "hi there") != 1 || strings.Contains(text, "sending") || strings.Contains(text, "failed") {
		t.Fatalf("echo not turned into the real event:\n%s", text)
	}
	if tv.LastEventID() != "$real" {
		t.Fatalf("last event %q", tv.LastEventID())
	}
}

func TestWrapLine(t *testing.T) {
	rows := wrapLine(Line{{"hello wonderful world", styleText}}, 12, 2)
	var got []string
	for _, r := range rows {
		var b strings.Builder
		for _, c := range r {
			b.WriteString(c.text)
		}
		got = append(got, b.String())
	}
	want := []string{"hello ", "  wonderful ", "  world"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q want %q", got, want)
	}
}

// BenchmarkTimelineDraw shows that drawing costs the same whatever the
// number of loaded events: compare the 100 and 10000 results.
func BenchmarkTimelineDraw(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			s := newSimScreen(b, 120, 40)
			tv := NewTimelineView(RenderContext{Location: time.UTC})
			evs := make([]*event.Event, n)
			for i := range evs {
				evs[i] = textEvent(i, fmt.Sprintf("message number %d with some words to wrap around the screen edge %s", i, strings.Repeat("x", i%50)))
			}
			tv.Append(evs...)
			tv.SetRect(0, 0, 120, 40)
			tv.Draw(s)
			b.ResetTimer()
			for b.Loop() {
				tv.Draw(s)
			}
		})
		b.Run(fmt.Sprintf("scrolled/events=%d", n), func(b *testing.B) {
			s := newSimScreen(b, 120, 40)
			tv := NewTimelineView(RenderContext{Location: time.UTC})
			for i := 0; i < n; i++ {
				tv.Append(textEvent(i, fmt.Sprintf("message %d", i)))
			}
			tv.SetRect(0, 0, 120, 40)
			tv.Draw(s)
			b.ResetTimer()
			for b.Loop() {
				tv.PageUp()
				tv.Draw(s)
				tv.PageDown()
				tv.Draw(s)
			}
		})
	}
}

func TestTimelineWidgetEndedWithoutPrevContent(t *testing.T) {
	s := newSimScreen(t, 60, 5)
	tv := NewTimelineView(testContext())
	key := "w1"
	start := &event.Event{ID: "$w1", Type: typeWidget, StateKey: &key, Sender: "@alice:hs", Timestamp: 1700000000000,
		Content: event.Content{Raw: map[string]any{"type": "jitsi", "url": "https://x/jitsi.html",
			"data": map[string]any{"domain": "meet.example.org", "conferenceId": "JitsiAbc"}}}}
	end := &event.Event{ID: "$w2", Type: typeWidget, StateKey: &key, Sender: "@alice:hs", Timestamp: 1700000001000,
		Content: event.Content{Raw: map[string]any{}}}
	tv.Append(start, end)
	text := drawTimeline(s, tv)
	if !strings.Contains(text, "Video conference started by alice") || !strings.Contains(text, "Video conference ended by alice") {
		t.Fatalf("widget lines:\n%s", text)
	}
}

func callEvent(typ event.Type, evID string, sender id.UserID, ts int64, content map[string]any) *event.Event {
	content["call_id"] = "call1"
	content["version"] = "1"
	if _, set := content["lifetime"]; typ == event.CallInvite && !set {
		content["lifetime"] = 60000
	}
	return &event.Event{ID: id.EventID(evID), Type: typ, Sender: sender, Timestamp: ts, Content: event.Content{Raw: content}}
}

func TestTimelineCallTiles(t *testing.T) {
	offer := map[string]any{"type": "offer", "sdp": "v=0\r\nm=audio 9"}
	tests := []struct {
		name   string
		events []*event.Event
		want   string
	}{
		{"outgoing answered", []*event.Event{
			callEvent(event.CallInvite, "$i", "@bob:hs", 1700000000000, map[string]any{"offer": offer, "invitee": "@alice:hs"}),
			callEvent(event.CallAnswer, "$a", "@alice:hs", 1700000005000, map[string]any{}),
			callEvent(event.CallHangup, "$h", "@bob:hs", 1700000138000, map[string]any{}),
		}, "You called alice (voice) — 2:13"},
		{"incoming missed", []*event.Event{
			callEvent(event.CallInvite, "$i", "@alice:hs", 1700000000000, map[string]any{"offer": offer, "invitee": "@bob:hs"}),
			callEvent(event.CallHangup, "$h", "@alice:hs", 1700000090000, map[string]any{"reason": "invite_timeout"}),
		}, "Missed voice call from alice"},
		{"outgoing no answer", []*event.Event{
			callEvent(event.CallInvite, "$i", "@bob:hs", 1700000000000, map[string]any{"offer": offer, "invitee": "@alice:hs"}),
			callEvent(event.CallHangup, "$h", "@bob:hs", 1700000090000, map[string]any{"reason": "invite_timeout"}),
		}, "You called alice (voice) — no answer"},
		{"outgoing declined", []*event.Event{
			callEvent(event.CallInvite, "$i", "@bob:hs", 1700000000000, map[string]any{"offer": offer, "invitee": "@alice:hs"}),
			callEvent(event.CallReject, "$r", "@alice:hs", 1700000003000, map[string]any{}),
		}, "alice declined your voice call"},
		{"incoming broken invite", []*event.Event{
			callEvent(event.CallInvite, "$i", "@alice:hs", 1700000000000, map[string]any{"offer": map[string]any{"type": "offer"}}),
		}, "Missed voice call from alice: it could not be set up"},
		{"incoming invite without lifetime", []*event.Event{
			callEvent(event.CallInvite, "$i", "@alice:hs", 1700000000000, map[string]any{"offer": offer, "lifetime": "soon"}),
		}, "Missed voice call from alice: it could not be set up"},
		{"incoming our media failed", []*event.Event{
			callEvent(event.CallInvite, "$i", "@alice:hs", 1700000000000, map[string]any{"offer": offer}),
			callEvent(event.CallHangup, "$h", "@bob:hs", 1700000001000, map[string]any{"reason": "user_media_failed"}),
		}, "Missed voice call from alice: it could not be set up"},
		{"incoming while busy", []*event.Event{
			callEvent(event.CallInvite, "$i", "@alice:hs", 1700000000000, map[string]any{"offer": offer}),
			callEvent(event.CallHangup, "$h", "@bob:hs", 1700000001000, map[string]any{"reason": "user_busy"}),
		}, "Missed voice call from alice: you were in another call"},
		{"outgoing peer failed", []*event.Event{
			callEvent(event.CallInvite, "$i", "@bob:hs", 1700000000000, map[string]any{"offer": offer, "invitee": "@alice:hs"}),
			callEvent(event.CallHangup, "$h", "@alice:hs", 1700000001000, map[string]any{"reason": "ice_failed"}),
		}, "You called alice (voice) — it could not be set up"},
		{"outgoing busy", []*event.Event{
			callEvent(event.CallInvite, "$i", "@bob:hs", 1700000000000, map[string]any{"offer": offer, "invitee": "@alice:hs"}),
			callEvent(event.CallHangup, "$h", "@alice:hs", 1700000001000, map[string]any{"reason": "user_busy"}),
		}, "You called alice (voice) — busy"},
		{"outgoing broken", []*event.Event{
			callEvent(event.CallInvite, "$i", "@bob:hs", 1700000000000, map[string]any{"offer": map[string]any{"sdp": 5}}),
		}, "You placed a voice call that could not be set up"},
		{"incoming ringing", []*event.Event{
			callEvent(event.CallInvite, "$i", "@alice:hs", 1700000000000, map[string]any{"offer": offer}),
		}, "alice placed a voice call"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSimScreen(t, 80, 6)
			tv := NewTimelineView(testContext()) // the user is @bob:hs
			tv.Append(tt.events...)
			text := drawTimeline(s, tv)
			if !strings.Contains(text, tt.want) {
				t.Fatalf("want %q in\n%s", tt.want, text)
			}
			if strings.Contains(text, "call ended") || strings.Contains(text, "answered the call") {
				t.Fatalf("answer/hangup not folded into the call line:\n%s", text)
			}
		})
	}
	// History: the invite arrives after (above) its hangup.
	s := newSimScreen(t, 80, 6)
	tv := NewTimelineView(testContext())
	tv.Append(callEvent(event.CallHangup, "$h", "@alice:hs", 1700000090000, map[string]any{}))
	tv.Prepend([]*event.Event{callEvent(event.CallInvite, "$i", "@alice:hs", 1700000000000, map[string]any{"offer": offer})}, true)
	if text := drawTimeline(s, tv); !strings.Contains(text, "Missed voice call from alice") || strings.Contains(text, "call ended") {
		t.Fatalf("history call line:\n%s", text)
	}
}

func TestTimelineDaySeparators(t *testing.T) {
	s := newSimScreen(t, 60, 8)
	tv := NewTimelineView(testContext())
	day1 := textEvent(1, "monday message")
	day2 := textEvent(2, "tuesday message")
	day2b := textEvent(3, "tuesday again")
	day2.Timestamp = day1.Timestamp + 24*3600*1000
	day2b.Timestamp = day2.Timestamp + 60*1000
	tv.Append(day1, day2, day2b)
	text := drawTimeline(s, tv)
	if strings.Count(text, "─ Tue 14 Nov 2023 ─") != 1 || strings.Count(text, "─ Wed 15 Nov 2023 ─") != 1 {
		t.Fatalf("want one separator per day:\n%s", text)
	}
}
