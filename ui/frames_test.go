package ui

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/config"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/ui/uitest"
)

// drawn runs f on the UI goroutine and waits until the frame after it is
// shown (a barrier queued without a draw of its own).
func drawn(u *UI, f func()) {
	done := make(chan struct{})
	u.queue(f)
	u.app.QueueUpdate(func() { close(done) })
	<-done
}

// applyBatch applies a batch of updates as the client's subscription
// does (one frame) and waits until it is shown.
func applyBatch(u *UI, batch ...matrix.Update) {
	drawn(u, func() { u.applyUpdates(u.s.client, batch) })
}

func benchRooms(n int) []matrix.Room {
	rooms := make([]matrix.Room, n)
	for i := range rooms {
		rooms[i] = matrix.Room{ID: id.RoomID(fmt.Sprintf("!r%04d:hs", i)), Name: fmt.Sprintf("Room %04d", i),
			Membership: event.MembershipJoin, LastActivity: time.UnixMilli(int64(1e12 - i))}
	}
	return rooms
}

// TestMessageOutOfSightDrawsOnlyTheRoomList: a message in a room out of
// sight changes the room list alone, and that frame draws the room list
// alone; the screen is then what a whole frame draws. A message in the
// open room, or a change of the open room's entry, lays out everything.
func TestMessageOutOfSightDrawsOnlyTheRoomList(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	rooms := benchRooms(40)
	drawn(u, func() { u.handleUpdate(matrix.RoomsChanged{Rooms: matrix.NewRoomList(rooms...)}) })
	uitest.WaitFor(t, screen, "Room 0005", 5*time.Second)
	drawn(u, func() { u.openRoom(rooms[3].ID) })
	drawn(u, func() {})
	partial := func() int {
		n := make(chan int, 1)
		u.app.QueueUpdate(func() { n <- u.f.partialFrames })
		return <-n
	}

	// Room 0030 gets a message and an unread count: it moves to the top.
	moved := append([]matrix.Room(nil), rooms...)
	r := moved[30]
	r.OwnUnread, r.LastActivity = 1, time.UnixMilli(2e12)
	moved = append([]matrix.Room{r}, append(moved[:30:30], moved[31:]...)...)
	before := partial()
	ev := &event.Event{ID: "$m1", Sender: "@b:hs", Type: event.EventMessage, RoomID: r.ID,
		Content: event.Content{Raw: map[string]any{"msgtype": "m.text", "body": "out of sight"}}}
	applyBatch(u, matrix.RoomsChanged{Rooms: matrix.NewRoomList(moved...)}, matrix.TimelineAppended{RoomID: r.ID, Events: []*event.Event{ev}})
	if got := partial() - before; got != 1 {
		t.Errorf("a message out of sight took %d partial frames, want 1", got)
	}
	shown := uitest.Text(screen)
	if first := strings.SplitN(shown, "\n", 3)[1]; !regexp.MustCompile(`Room 0030 +1`).MatchString(first) {
		t.Errorf("the room list's first row is %q, want Room 0030 with its count:\n%s", first, shown)
	}
	drawn(u, func() {}) // a whole frame
	if whole := uitest.Text(screen); whole != shown {
		t.Errorf("the partial frame differs from the whole one:\n%s\n---\n%s", shown, whole)
	}

	// A message in the open room is drawn in its timeline: a whole frame.
	cur := moved[4]
	if cur.ID != rooms[3].ID {
		t.Fatalf("room %s is not where the test expects", cur.ID)
	}
	mine := &event.Event{ID: "$m2", Sender: "@b:hs", Type: event.EventMessage, RoomID: cur.ID,
		Content: event.Content{Raw: map[string]any{"msgtype": "m.text", "body": "in the open room"}}}
	before = partial()
	applyBatch(u, matrix.TimelineAppended{RoomID: cur.ID, Events: []*event.Event{mine}})
	if got := partial() - before; got != 0 {
		t.Errorf("a message in the open room took %d partial frames, want 0", got)
	}

	// The open room's entry changes (its topic is in the header): whole.
	renamed := append([]matrix.Room(nil), moved...)
	renamed[4].Topic = "a new topic"
	before = partial()
	applyBatch(u, matrix.RoomsChanged{Rooms: matrix.NewRoomList(renamed...)})
	if got := partial() - before; got != 0 {
		t.Errorf("a change of the open room took %d partial frames, want 0", got)
	}
	uitest.WaitFor(t, screen, "a new topic", 5*time.Second)
}

// benchUI is a UI that is never run: the benchmark draws it itself.
func benchUI(b *testing.B, rooms []matrix.Room) (*UI, *frameScreen) {
	sim := tcell.NewSimulationScreen("UTF-8")
	if err := sim.Init(); err != nil {
		b.Fatal(err)
	}
	sim.SetSize(160, 48)
	u, err := New(Options{Screen: sim, Config: &config.Config{Keys: defaultKeys()},
		Login: func(context.Context, matrix.LoginParams) (*matrix.Client, *calls.Controller, error) {
			return nil, nil, context.Canceled
		}})
	if err != nil {
		b.Fatal(err)
	}
	u.pages.SwitchToPage("main")
	u.app.SetFocus(u.w.composer)
	u.handleUpdate(matrix.RoomsChanged{Rooms: matrix.NewRoomList(rooms...)})
	u.f.screen.Clear()
	u.pages.SetRect(0, 0, 160, 48)
	u.pages.Draw(u.f.screen)
	u.f.screen.Show()
	return u, u.f.screen
}

// BenchmarkMessageOutOfSight is the UI's share of a message arriving in a
// room out of sight among 1,000: the room list updated, then the frame,
// whole (as before) or the room list alone.
func BenchmarkMessageOutOfSight(b *testing.B) {
	for _, partial := range []bool{false, true} {
		name := "whole"
		if partial {
			name = "roomlist"
		}
		b.Run(name, func(b *testing.B) {
			rooms := benchRooms(1000)
			u, fs := benchUI(b, rooms)
			list := matrix.NewRoomList(rooms...)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// The last room moves to the top with a message.
				last := list.At(list.Len() - 1)
				last.LastActivity = list.At(0).LastActivity.Add(time.Hour)
				last.OwnUnread++
				list = list.With([]matrix.Room{last})
				u.applyUpdates(nil, []matrix.Update{matrix.RoomsChanged{Rooms: list}})
				if partial {
					fs.keepFrame()
				}
				fs.Clear()
				if !u.beforeDraw(fs) {
					u.pages.Draw(fs)
				}
				fs.Show()
			}
		})
	}
}
