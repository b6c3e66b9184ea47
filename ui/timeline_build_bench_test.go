package ui

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
)

// BenchmarkTimelineBuild is the UI's share of opening a room from the
// store: 500 events decoded as the store hands them out (VeryRaw, Raw and
// Parsed filled), added to a new view and its first screen drawn.
func BenchmarkTimelineBuild(b *testing.B) {
	const n = 500
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = fmt.Appendf(nil, `{"type":"m.room.message","event_id":"$e%d","sender":"@user%d:example.org","origin_server_ts":%d,`+
			`"room_id":"!r:example.org","content":{"msgtype":"m.text","body":"message %d with a few words to wrap around the screen"}}`,
			i, i%7, 1700000000000+int64(i)*60000, i)
	}
	decode := func() []*event.Event {
		evs := make([]*event.Event, n)
		for i, raw := range raws {
			var ev event.Event
			if err := json.Unmarshal(raw, &ev); err != nil {
				b.Fatal(err)
			}
			_ = ev.Content.ParseRaw(ev.Type)
			evs[i] = &ev
		}
		return evs
	}
	s := newSimScreen(b, 120, 40)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		evs := decode()
		b.StartTimer()
		tv := NewTimelineView(RenderContext{Location: time.UTC})
		tv.Append(evs...)
		tv.SetRect(0, 0, 120, 40)
		tv.Draw(s)
	}
}
