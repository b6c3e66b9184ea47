package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/ui/uitest"
)

// TestRoomListShowsAltDigits: the first nine rooms show the digit that
// opens them with Alt, and Alt+digit opens the room shown with it (F7).
func TestRoomListShowsAltDigits(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	rooms := []matrix.Room{{ID: "!inv:hs", Name: "Invite first", Membership: event.MembershipInvite, Inviter: "@c:hs"}}
	for i := 0; i < 11; i++ {
		rooms = append(rooms, matrix.Room{ID: id.RoomID(fmt.Sprintf("!r%02d:hs", i)), Name: fmt.Sprintf("Room %02d", i), Membership: event.MembershipJoin})
	}
	u.queue(func() { u.handleUpdate(matrix.RoomsChanged{Rooms: matrix.NewRoomList(rooms...)}) })
	text := uitest.WaitFor(t, screen, "Room 10", 5*time.Second)
	list := map[string]string{} // room name -> its row in the list column
	for _, row := range strings.Split(text, "\n") {
		col := []rune(row)
		cell := strings.TrimSpace(string(col[:min(roomListWidth, len(col))]))
		for _, r := range rooms {
			if strings.HasSuffix(cell, r.Name) {
				list[r.Name] = cell
			}
		}
	}
	want := map[string]string{"Invite first": "1 + Invite first", "Room 00": "2 # Room 00", "Room 07": "9 # Room 07", "Room 08": "# Room 08"}
	for name, cell := range want {
		if list[name] != cell {
			t.Errorf("%s is listed as %q, want %q:\n%s", name, list[name], cell, text)
		}
	}
	screen.InjectKey(tcell.KeyRune, '4', tcell.ModAlt)
	uitest.WaitUntil(t, screen, "the room shown with 4 is open", 5*time.Second, func(s string) bool {
		return strings.Contains(strings.SplitN(s, "\n", 2)[0], "Room 02")
	})
}
