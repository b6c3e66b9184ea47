package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/ui/uitest"
)

// listColumn is the room list column of a screen, row by row, trimmed.
func listColumn(text string) []string {
	var out []string
	for _, row := range strings.Split(text, "\n") {
		col := []rune(row)
		if cell := strings.Join(strings.Fields(string(col[:min(roomListWidth, len(col))])), " "); cell != "" {
			out = append(out, cell)
		}
	}
	return out
}

// TestRoomListFollowsChanges: the room list shows each new list in order,
// with its sections, digits and counts, as rooms move to the top, get
// unread counts, are removed, arrive as invites and change many at once.
func TestRoomListFollowsChanges(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	rooms := map[id.RoomID]matrix.Room{}
	for i := 0; i < 6; i++ {
		r := matrix.Room{ID: id.RoomID(fmt.Sprintf("!r%d:hs", i)), Name: fmt.Sprintf("Room %d", i),
			Membership: event.MembershipJoin, LastActivity: time.UnixMilli(int64(1000 - i))}
		rooms[r.ID] = r
	}
	l := matrix.NewRoomList()
	show := func(what string, want []string) {
		t.Helper()
		var rs []matrix.Room
		for _, r := range rooms {
			rs = append(rs, r)
		}
		l = matrix.NewRoomList(rs...)
		u.queue(func() { u.handleUpdate(matrix.RoomsChanged{Rooms: l}) })
		var got []string
		uitest.WaitUntil(t, screen, what, 5*time.Second, func(s string) bool {
			got = listColumn(s)
			return len(got) >= len(want) && strings.Join(got[:len(want)], "|") == strings.Join(want, "|")
		})
	}
	show("the first list", []string{"Rooms", "1 # Room 0", "2 # Room 1", "3 # Room 2", "4 # Room 3", "5 # Room 4", "6 # Room 5"})

	r := rooms["!r4:hs"]
	r.LastActivity, r.Unread = time.UnixMilli(2000), 3
	rooms[r.ID] = r
	show("Room 4 on top, unread", []string{"Rooms", "1 # Room 4 3", "2 # Room 0", "3 # Room 1", "4 # Room 2", "5 # Room 3", "6 # Room 5"})

	delete(rooms, "!r1:hs")
	rooms["!inv:hs"] = matrix.Room{ID: "!inv:hs", Name: "Asked", Membership: event.MembershipInvite, LastActivity: time.UnixMilli(1)}
	show("Room 1 gone, an invite", []string{"Invites", "1 + Asked", "Rooms", "2 # Room 4 3", "3 # Room 0", "4 # Room 2", "5 # Room 3", "6 # Room 5"})

	for i, roomID := range []id.RoomID{"!r5:hs", "!r3:hs", "!r2:hs", "!r0:hs"} {
		r := rooms[roomID]
		r.LastActivity, r.Highlights = time.UnixMilli(int64(3000+i)), i
		rooms[roomID] = r
	}
	r = rooms["!inv:hs"]
	r.Membership = event.MembershipJoin
	rooms[r.ID] = r
	show("many at once, the invite accepted", []string{"Rooms", "1 # Room 0 3!", "2 # Room 2 2!", "3 # Room 3 1!", "4 # Room 5", "5 # Room 4 3", "6 # Asked"})
}
