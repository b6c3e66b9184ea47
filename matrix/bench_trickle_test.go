package matrix

import (
	"fmt"
	"os"
	"testing"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// BenchmarkApplyOneMessage measures what the bench's trickle costs the
// core per arriving message: storing a /sync of one new message in one
// of 50 rooms (200 events each), as a live sync brings it.
func BenchmarkApplyOneMessage(b *testing.B) {
	c, rooms := filledClient(b, 50, 200)
	applyMessages(b, c, func(n int) id.RoomID { return rooms[n%len(rooms)] })
}

// BenchmarkApplyOneMessage1000Rooms is BenchmarkApplyOneMessage on an
// account of 1,000 rooms (3 events each): each message moves its room to
// the top of the room list, which RoomsChanged publishes. What it costs
// beyond the 50-room benchmark is what the room list costs per message.
func BenchmarkApplyOneMessage1000Rooms(b *testing.B) {
	c, rooms := filledClient(b, 1000, 3)
	if n := len(c.Rooms()); n != 1000 { // the list is built, and kept
		b.Fatalf("%d rooms", n)
	}
	b.ReportAllocs()
	applyMessages(b, c, func(n int) id.RoomID { return rooms[(n*7)%len(rooms)] })
}

// applyMessages applies, per benchmark round, a live sync of one new
// message in room(n) for the n-th round, timing only the apply. It also
// reports the write-ahead log written per message (walKB/op): each 4 KiB
// page a commit dirties is written there, and again at the checkpoint.
func applyMessages(b *testing.B, c *Client, room func(n int) id.RoomID) {
	n := 0
	var walBytes int64
	walSize := func() int64 {
		st, err := os.Stat(c.ckpt.wal)
		if err != nil {
			return 0
		}
		return st.Size()
	}
	defer func() { b.ReportMetric(float64(walBytes)/1024/float64(max(n, 1)), "walKB/op") }()
	for b.Loop() {
		b.StopTimer()
		roomID := room(n)
		resp := &mautrix.RespSync{NextBatch: fmt.Sprintf("one%d", n), Rooms: mautrix.RespSyncRooms{Join: map[id.RoomID]*mautrix.SyncJoinedRoom{
			roomID: {},
		}}}
		jr := resp.Rooms.Join[roomID]
		jr.Timeline.Events = append(jr.Timeline.Events, msgEvent(b, "@bob:localhost", fmt.Sprintf("$one%d", n), int64(2e6+n), "a new message"))
		n++
		before := walSize()
		applyTimed(b, c, resp)
		b.StopTimer()
		if after := walSize(); after >= before {
			walBytes += after - before
		} else { // the checkpointer reset the log meanwhile
			walBytes += after
		}
		b.StartTimer()
	}
}
