package matrix

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// fillStore writes rooms×events into a fresh store at path through the
// sync path, in batches of 50 events per room as a homeserver would send.
func fillStore(b *testing.B, path string, rooms, events int) []id.RoomID {
	b.Helper()
	c, err := Open(context.Background(), offlineSession(), path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	other := id.UserID("@bob:localhost")
	me := id.UserID("@me:localhost")
	var ids []id.RoomID
	for r := range rooms {
		ids = append(ids, id.RoomID(fmt.Sprintf("!room%03d:localhost", r)))
	}
	batch := 0
	for start := 0; start < events; start += 50 {
		resp := &mautrix.RespSync{NextBatch: fmt.Sprintf("s%d", batch), Rooms: mautrix.RespSyncRooms{Join: map[id.RoomID]*mautrix.SyncJoinedRoom{}}}
		for r, roomID := range ids {
			jr := &mautrix.SyncJoinedRoom{}
			if start == 0 {
				jr.State.Events = []*event.Event{
					mkEvent(b, "m.room.create", sk(""), other, fmt.Sprintf("$create%d", r), 1, map[string]any{}),
					mkEvent(b, "m.room.name", sk(""), other, fmt.Sprintf("$name%d", r), 2, map[string]any{"name": fmt.Sprintf("Room %d", r)}),
					memberEvent(b, other, "join", "Bob", 3),
					memberEvent(b, me, "join", "Me", 4),
				}
			}
			for i := start; i < min(start+50, events); i++ {
				jr.Timeline.Events = append(jr.Timeline.Events, mkEvent(b, "m.room.message", nil, other,
					fmt.Sprintf("$e%d-%d", r, i), int64(1000+i), map[string]any{
						"msgtype": "m.text", "body": fmt.Sprintf("message %d in room %d with some text", i, r),
						"format": "org.matrix.custom.html", "formatted_body": fmt.Sprintf("<b>message</b> %d", i),
					}))
			}
			jr.Timeline.PrevBatch = fmt.Sprintf("p%d-%d", r, start)
			resp.Rooms.Join[roomID] = jr
		}
		c.mu.RLock()
		since := c.since
		c.mu.RUnlock()
		if _, err := c.applySync(context.Background(), resp, since); err != nil {
			b.Fatal(err)
		}
		batch++
	}
	return ids
}

// BenchmarkOpenFromStore measures start-up from the store: Open, the room
// list, and the timeline of the first room (what the UI shows first), for
// 50 rooms with 200 events each; "all" reads every room's timeline.
func BenchmarkOpenFromStore(b *testing.B) {
	path := filepath.Join(b.TempDir(), "store.db")
	rooms := fillStore(b, path, 50, 200)
	for _, all := range []bool{false, true} {
		name := "first-room"
		if all {
			name = "all-rooms"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				c, err := Open(context.Background(), offlineSession(), path, Options{})
				if err != nil {
					b.Fatal(err)
				}
				rs := c.Rooms()
				if len(rs) != len(rooms) {
					b.Fatalf("%d rooms", len(rs))
				}
				targets := rs[:1]
				if all {
					targets = rs
				}
				for _, r := range targets {
					evs, err := c.Timeline(r.ID, 0)
					if err != nil || len(evs) != 200 {
						b.Fatalf("timeline: %d events, %v", len(evs), err)
					}
				}
				_ = c.Close()
			}
		})
	}
}

// BenchmarkApplySync measures storing one /sync response with 10 rooms of
// 10 new messages each into a store holding 50 rooms × 200 events.
// filledClient opens an offline client on a store filled by fillStore;
// it is closed when the benchmark ends.
func filledClient(b *testing.B, rooms, events int) (*Client, []id.RoomID) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "store.db")
	ids := fillStore(b, path, rooms, events)
	c, err := Open(context.Background(), offlineSession(), path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c, ids
}

func BenchmarkApplySync(b *testing.B) {
	c, rooms := filledClient(b, 50, 200)
	n := 0
	for b.Loop() {
		b.StopTimer()
		resp := &mautrix.RespSync{NextBatch: fmt.Sprintf("bench%d", n), Rooms: mautrix.RespSyncRooms{Join: map[id.RoomID]*mautrix.SyncJoinedRoom{}}}
		for _, roomID := range rooms[:10] {
			jr := &mautrix.SyncJoinedRoom{}
			for i := range 10 {
				jr.Timeline.Events = append(jr.Timeline.Events, msgEvent(b, "@bob:localhost", fmt.Sprintf("$b%d-%s-%d", n, roomID, i), int64(1e6+n), "new message"))
			}
			jr.Timeline.PrevBatch = fmt.Sprintf("bp%d", n)
			resp.Rooms.Join[roomID] = jr
		}
		n++
		applyTimed(b, c, resp)
	}
}

// applyTimed applies resp after the client's current sync with the
// benchmark's timer running (it is stopped when called).
func applyTimed(b *testing.B, c *Client, resp *mautrix.RespSync) {
	c.mu.RLock()
	since := c.since
	c.mu.RUnlock()
	b.StartTimer()
	if _, err := c.applySync(context.Background(), resp, since); err != nil {
		b.Fatal(err)
	}
}
