package ui

import (
	"encoding/json"
	"testing"

	"maunium.net/go/mautrix/event"
)

// FuzzTimeline feeds hostile events through a timeline (live, history,
// a gap's reset) and draws it: nothing may panic, and names the timeline
// keeps per event come out sanitized.
func FuzzTimeline(f *testing.F) {
	f.Add([]byte(`[{"type":"m.room.member","state_key":"@a:b","sender":"@a:b","content":{"membership":"join","displayname":"\u001b[31mA\u202e"}},{"type":"m.room.message","sender":"@a:b","content":{"msgtype":"m.text","body":"x"}},{"type":"m.room.member","state_key":"@a:b","sender":"@a:b","content":{"membership":"join","displayname":[1]},"unsigned":{"prev_content":{"membership":"join","displayname":"[red]"}}}]`))
	f.Add([]byte(`[{"type":"m.room.message","event_id":"$e","sender":"@a:b","content":{"m.relates_to":{"rel_type":"m.replace","event_id":"$e"},"m.new_content":{"body":"\u0007"}}},{"type":"im.vector.modular.widgets","state_key":"w","content":{"type":"jitsi","url":"javascript:x"}}]`))
	f.Add([]byte(`[{"type":"m.room.message","event_id":"$r","sender":"@a:b","content":{"body":"root"},"unsigned":{"m.relations":{"m.thread":{"count":9223372036854775807,"latest_event":{"type":"m.room.message","event_id":"$l","sender":"@\u001b[2J:b","content":{"body":"x"}},"current_user_participated":true}}}},{"type":"m.room.message","event_id":"$t","sender":"@a:b","content":{"body":"t","m.relates_to":{"rel_type":"m.thread","event_id":"$r","is_falling_back":true,"m.in_reply_to":{"event_id":"$r"}}}},{"type":"m.room.message","event_id":"$u","sender":"@a:b","content":{"body":"t","m.relates_to":{"rel_type":"m.thread","event_id":"$u"}}},{"type":"m.room.redaction","redacts":"$t","sender":"@a:b","content":{}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var evs []*event.Event
		if err := json.Unmarshal(data, &evs); err != nil {
			return
		}
		s := newSimScreen(t, 40, 8)
		tv := NewTimelineView(testContext())
		half := len(evs) / 2
		tv.Append(evs[half:]...)
		tv.Prepend(evs[:half], false)
		drawTimeline(s, tv)
		for _, it := range tv.items {
			tv.render(it)
			checkLines(t, it.lines)
		}
		if len(evs) > 0 && evs[0] != nil {
			// A thread pane's view of the first event's thread.
			th := NewTimelineView(testContext())
			th.threadRoot = evs[0].ID
			th.Append(evs...)
			drawTimeline(s, th)
			tv.NewestThread()
		}
		tv.Reset(evs[half:])
		tv.ScrollUp(3)
		drawTimeline(s, tv)
	})
}
