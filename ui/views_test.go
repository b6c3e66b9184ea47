package ui

import (
	"fmt"
	"testing"

	"maunium.net/go/mautrix/id"
)

// Opening room after room keeps at most keptViews timelines built, the
// open room's always among them.
func TestOpenRoomsKeepFewViews(t *testing.T) {
	u, _ := offlineUI(t, &lockedBuffer{})
	got := make(chan [2]int, 1)
	u.queue(func() {
		for i := 0; i < 3*keptViews; i++ {
			u.openRoom(id.RoomID(fmt.Sprintf("!r%d:hs", i)))
		}
		_, current := u.s.timelines[u.s.current]
		n := 0
		if current {
			n = 1
		}
		got <- [2]int{len(u.s.timelines), n}
	})
	r := <-got
	if r[0] > keptViews || r[1] != 1 {
		t.Fatalf("%d views kept (open room's among them: %v)", r[0], r[1] == 1)
	}
}
