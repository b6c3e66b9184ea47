package ui

import (
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// TestOldLinesKeepTheNameOfTheirTime (F8): a rename does not rewrite the
// sender's earlier lines, whether the events came live or from history.
func TestOldLinesKeepTheNameOfTheirTime(t *testing.T) {
	create := mkEvent(t, `{"type":"m.room.create","state_key":"","sender":"@al:hs","origin_server_ts":1700000000000,"event_id":"$c","content":{"creator":"@al:hs"}}`)
	join := mkEvent(t, `{"type":"m.room.member","state_key":"@al:hs","sender":"@al:hs","origin_server_ts":1700000001000,"event_id":"$j","content":{"membership":"join","displayname":"al"}}`)
	hello := mkEvent(t, `{"type":"m.room.message","sender":"@al:hs","origin_server_ts":1700000002000,"event_id":"$m1","content":{"msgtype":"m.text","body":"hello before"}}`)
	rename := mkEvent(t, `{"type":"m.room.member","state_key":"@al:hs","sender":"@al:hs","origin_server_ts":1700000003000,"event_id":"$r","content":{"membership":"join","displayname":"Al Renamed"},"unsigned":{"prev_content":{"membership":"join","displayname":"al"}}}`)
	after := mkEvent(t, `{"type":"m.room.message","sender":"@al:hs","origin_server_ts":1700000004000,"event_id":"$m2","content":{"msgtype":"m.text","body":"hello after"}}`)
	rc := testContext()
	rc.Name = func(u id.UserID) string { return "Al Renamed" } // the current name
	want := []string{"al created the room", "al joined the room", "al: hello before", "al changed their name to Al Renamed", "Al Renamed: hello after"}
	check := func(how string, tv *TimelineView) {
		t.Helper()
		text := drawTimeline(newSimScreen(t, 70, 10), tv)
		last := -1
		for _, w := range want {
			i := strings.Index(text, w)
			if i < 0 || i < last {
				t.Fatalf("%s: %q missing or out of place:\n%s", how, w, text)
			}
			last = i
		}
		if strings.Contains(text, "Al Renamed: hello before") || strings.Contains(text, "Al Renamed created") {
			t.Fatalf("%s: an old line shows the new name:\n%s", how, text)
		}
	}

	live := NewTimelineView(rc)
	live.Append(create, join, hello)
	live.Append(rename)
	live.Append(after)
	check("live", live)

	hist := NewTimelineView(rc)
	hist.Append(rename, after)
	hist.Prepend([]*event.Event{create, join, hello}, true)
	check("history", hist)
}
