package matrix

import (
	"context"
	"encoding/json"
	"testing"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// FuzzApplyEvent feeds arbitrary event JSON through a sync response as
// state, timeline, invite state and account data: applying must never
// panic or corrupt the store, and the stored timeline must stay readable.
func FuzzApplyEvent(f *testing.F) {
	seeds := []string{
		`{"type":"m.room.message","sender":"@b:x","event_id":"$1","origin_server_ts":5,"content":{"msgtype":"m.text","body":"hi"}}`,
		`{"type":"m.room.member","state_key":"@me:localhost","sender":"@b:x","event_id":"$2","content":{"membership":"invite","is_direct":true}}`,
		`{"type":"m.room.name","state_key":"","sender":"@b:x","event_id":"$3","content":{"name":123}}`,
		`{"type":"m.call.invite","sender":"@b:x","event_id":"$4","content":{"version":1,"offer":"x"},"unsigned":{"age":-5}}`,
		`{"type":"im.vector.modular.widgets","state_key":"w","sender":"@b:x","event_id":"$5","content":{"url":"javascript:x"}}`,
		`{"type":"m.direct","content":{"@b:x":"not a list"}}`,
		`{"type":"m.typing","content":{"user_ids":[1,2]}}`,
		`{"type":"m.room.power_levels","state_key":"","sender":"@b:x","event_id":"$6","content":{"users":{"@me:localhost":"high"}}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	c, _ := openTemp(f, offlineSession(), Options{TimelineLimit: 20})
	n := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev event.Event
		if err := json.Unmarshal(data, &ev); err != nil {
			return
		}
		n++
		roomID := id.RoomID("!fuzz:localhost")
		cp := func() *event.Event { var e event.Event; _ = json.Unmarshal(data, &e); return &e }
		resp := &mautrix.RespSync{
			NextBatch:   "f" + string(rune('a'+n%26)) + string(data[:min(len(data), 8)]),
			AccountData: mautrix.SyncEventsList{Events: []*event.Event{cp()}},
			Rooms: mautrix.RespSyncRooms{
				Join: map[id.RoomID]*mautrix.SyncJoinedRoom{roomID: {
					State:     mautrix.SyncEventsList{Events: []*event.Event{cp()}},
					Timeline:  mautrix.SyncTimeline{SyncEventsList: mautrix.SyncEventsList{Events: []*event.Event{cp()}}, PrevBatch: "p"},
					Ephemeral: mautrix.SyncEventsList{Events: []*event.Event{cp()}},
				}},
				Invite: map[id.RoomID]*mautrix.SyncInvitedRoom{"!inv:localhost": {State: mautrix.SyncEventsList{Events: []*event.Event{cp()}}}},
			},
		}
		c.mu.RLock()
		since := c.since
		c.mu.RUnlock()
		if _, err := c.applySync(context.Background(), resp, since); err != nil {
			t.Fatalf("applySync: %v", err)
		}
		if _, err := c.Timeline(roomID, 0); err != nil {
			t.Fatalf("Timeline: %v", err)
		}
		_ = c.Rooms()
		_ = c.Members(roomID)
		_ = c.CanSendState(roomID, event.StateTopic)
		_ = c.DisplayName(roomID, "@b:x")
	})
}
