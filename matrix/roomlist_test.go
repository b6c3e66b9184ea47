package matrix

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// sortedFromScratch is the room list built and sorted anew.
func sortedFromScratch(c *Client) []Room {
	var out []Room
	for _, r := range c.rooms {
		out = append(out, c.roomLocked(r))
	}
	sortRooms(out)
	return out
}

// TestSortedRoomsFollowChanges: the kept room list, moved room by room as
// syncs change, add and remove rooms, is always the list sorted anew, and
// a list handed out earlier is never changed under its holder.
func TestSortedRoomsFollowChanges(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	c := &Client{rooms: map[id.RoomID]*roomRow{}, direct: map[id.RoomID]bool{}}
	newRow := func(i int) *roomRow {
		return &roomRow{ID: id.RoomID(fmt.Sprintf("!r%03d:hs", i)), Membership: event.MembershipJoin,
			Name: fmt.Sprintf("Room %d", rng.Intn(50)), LastActivity: int64(rng.Intn(200))}
	}
	for i := 0; i < 300; i++ {
		r := newRow(i)
		c.rooms[r.ID] = r
	}
	next := 300
	for step := 0; step < 2000; step++ {
		held := c.sortedRooms()
		heldCopy := slices.Clone(held)
		changed := map[id.RoomID]*roomRow{}
		var removed []id.RoomID
		for n := rng.Intn(4); n >= 0; n-- {
			switch k := rng.Intn(10); {
			case k < 6: // a message: newer activity, maybe a new name
				for _, r := range c.rooms {
					cp := r.clone()
					cp.LastActivity += int64(rng.Intn(100))
					if k == 0 {
						cp.Name = fmt.Sprintf("Room %d", rng.Intn(50))
					}
					changed[cp.ID] = cp
					break
				}
			case k < 8: // a new room
				r := newRow(next)
				next++
				changed[r.ID] = r
			default: // a room left
				for roomID := range c.rooms {
					if changed[roomID] == nil {
						removed = append(removed, roomID)
					}
					break
				}
			}
		}
		if step%500 == 499 {
			for i := 0; i < 20; i++ { // a burst: sorted again when asked
				r := newRow(next)
				next++
				changed[r.ID] = r
			}
		}
		c.mu.Lock()
		c.setRoomsLocked(changed, removed...)
		c.mu.Unlock()
		if got, want := c.sortedRooms(), sortedFromScratch(c); !slices.Equal(got, want) {
			t.Fatalf("step %d: the kept list differs from the list sorted anew:\n%v\n%v", step, got, want)
		}
		if !slices.Equal(held, heldCopy) {
			t.Fatalf("step %d: a list handed out earlier was changed", step)
		}
	}
}
