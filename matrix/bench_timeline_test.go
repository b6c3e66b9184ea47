package matrix

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// BenchmarkLoadTimelineBySize measures reading a room's newest 50 events
// (what opening a room does) from a store of 20 rooms × 200 events, by the
// size of the events' bodies: SQLite keeps a row of more than about a
// quarter of a page partly on overflow pages, where the table's layout
// decides how many pages one read touches. store-pages is the store's
// size in pages after the fill.
func BenchmarkLoadTimelineBySize(b *testing.B) {
	for _, size := range []int{100, 700, 1500} {
		b.Run(fmt.Sprintf("body-%d", size), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "store.db")
			c, err := Open(context.Background(), offlineSession(), path, Options{TimelineLimit: 1000})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			other := id.UserID("@bob:localhost")
			var rooms []id.RoomID
			body := strings.Repeat("x", size)
			resp := &mautrix.RespSync{NextBatch: "s1", Rooms: mautrix.RespSyncRooms{Join: map[id.RoomID]*mautrix.SyncJoinedRoom{}}}
			for r := range 20 {
				roomID := id.RoomID(fmt.Sprintf("!room%03d:localhost", r))
				rooms = append(rooms, roomID)
				jr := &mautrix.SyncJoinedRoom{}
				for i := range 200 {
					jr.Timeline.Events = append(jr.Timeline.Events, msgEvent(b, other, fmt.Sprintf("$e%d-%d", r, i), int64(1000+i), body))
				}
				resp.Rooms.Join[roomID] = jr
			}
			if _, err := c.applySync(context.Background(), resp, ""); err != nil {
				b.Fatal(err)
			}
			if _, err := c.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
				b.Fatal(err)
			}
			var pages int64
			if err := c.db.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			i := 0
			for b.Loop() {
				evs, _, err := loadTimeline(context.Background(), c.db, rooms[i%len(rooms)], noSeq, 50)
				if err != nil || len(evs) != 50 {
					b.Fatalf("%d events, %v", len(evs), err)
				}
				i++
			}
			b.ReportMetric(float64(pages), "store-pages")
		})
	}
}
