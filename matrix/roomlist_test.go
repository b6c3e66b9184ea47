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
	var out []*Room
	for _, r := range c.rooms {
		room := c.roomLocked(r)
		out = append(out, &room)
	}
	slices.SortFunc(out, ListOrder)
	rs := make([]Room, len(out))
	for i, r := range out {
		rs[i] = *r
	}
	return rs
}

// checkList says what is wrong with a list against the rooms it should
// hold in order: every place, every lookup by ID, the counts.
func checkList(l RoomList, want []Room) error {
	if got := l.Slice(); !slices.Equal(got, want) {
		return fmt.Errorf("the list is\n%v\nwant\n%v", got, want)
	}
	invites := 0
	for i, r := range want {
		if r.Membership == event.MembershipInvite {
			invites++
		}
		if got := l.At(i); got != r {
			return fmt.Errorf("At(%d) = %v, want %v", i, got, r)
		}
		if j, ok := l.Index(r.ID); !ok || j != i {
			return fmt.Errorf("Index(%s) = %d, %v; want %d", r.ID, j, ok, i)
		}
		if got, ok := l.Room(r.ID); !ok || got != r {
			return fmt.Errorf("Room(%s) = %v, %v", r.ID, got, ok)
		}
	}
	if l.Len() != len(want) || l.Invites() != invites {
		return fmt.Errorf("Len %d, Invites %d; want %d, %d", l.Len(), l.Invites(), len(want), invites)
	}
	return nil
}

// TestSortedRoomsFollowChanges: the kept room list, changed room by room
// as syncs change, add and remove rooms (one, a few, a burst; rooms moving
// to the top, invites being accepted), is always the list sorted anew; a
// list handed out earlier is never changed under its holder, however many
// lists come after it; and Changes between any two lists says exactly
// what differs.
func TestSortedRoomsFollowChanges(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	c := &Client{rooms: map[id.RoomID]*roomRow{}, direct: map[id.RoomID]bool{}}
	newRow := func(i int) *roomRow {
		m := event.MembershipJoin
		if rng.Intn(10) == 0 {
			m = event.MembershipInvite
		}
		return &roomRow{ID: id.RoomID(fmt.Sprintf("!r%03d:hs", i)), Membership: m,
			Name: fmt.Sprintf("Room %d", rng.Intn(50)), LastActivity: int64(rng.Intn(200))}
	}
	for i := 0; i < 300; i++ {
		r := newRow(i)
		c.rooms[r.ID] = r
	}
	next, top := 300, int64(1000)
	type held struct {
		l     RoomList
		rooms []Room
	}
	var kept []held // lists subscribers still hold
	for step := 0; step < 2000; step++ {
		h := held{c.RoomList(), nil}
		h.rooms = h.l.Slice()
		if step%7 == 0 {
			kept = append(kept, h)
		}
		changed := map[id.RoomID]*roomRow{}
		var removed []id.RoomID
		for n := rng.Intn(4); n >= 0; n-- {
			switch k := rng.Intn(12); {
			case k < 6: // a message: newer activity, maybe a new name
				for _, r := range c.rooms {
					cp := r.clone()
					cp.LastActivity += int64(rng.Intn(100))
					if k == 0 {
						cp.Name = fmt.Sprintf("Room %d", rng.Intn(50))
					}
					if k == 1 { // the newest message of all: to the top
						top++
						cp.LastActivity = top
					}
					if k == 2 && cp.Membership == event.MembershipInvite {
						cp.Membership = event.MembershipJoin
					}
					changed[cp.ID] = cp
					break
				}
			case k < 9: // a new room
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
			for i := 0; i < 100; i++ { // a burst: sorted again when asked
				r := newRow(next)
				next++
				changed[r.ID] = r
			}
		}
		c.mu.Lock()
		c.setRoomsLocked(changed, removed...)
		c.mu.Unlock()
		now := c.RoomList()
		want := sortedFromScratch(c)
		if err := checkList(now, want); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		for _, k := range append(kept, h) {
			if err := checkList(k.l, k.rooms); err != nil {
				t.Fatalf("step %d: a list handed out earlier changed: %v", step, err)
			}
		}
		// What a subscriber holding h learns from the new list.
		gotChanged, gotRemoved := now.Changes(h.l)
		wantChanged, wantRemoved := diffRooms(h.rooms, want)
		if !slices.Equal(gotChanged, wantChanged) || !slices.Equal(gotRemoved, wantRemoved) {
			t.Fatalf("step %d: Changes says %v, %v; want %v, %v", step, gotChanged, gotRemoved, wantChanged, wantRemoved)
		}
	}
	// Against an old list many versions back, and against nothing.
	now := c.RoomList()
	gotChanged, gotRemoved := now.Changes(kept[0].l)
	wantChanged, wantRemoved := diffRooms(kept[0].rooms, now.Slice())
	if !slices.Equal(gotChanged, wantChanged) || !slices.Equal(gotRemoved, wantRemoved) {
		t.Fatalf("Changes since the first list: %d, %d; want %d, %d", len(gotChanged), len(gotRemoved), len(wantChanged), len(wantRemoved))
	}
	if all, gone := now.Changes(RoomList{}); !slices.Equal(all, now.Slice()) || gone != nil {
		t.Fatalf("Changes since the empty list: %d rooms, %d removed; want all %d", len(all), len(gone), now.Len())
	}
}

// diffRooms is Changes worked out the slow way: the rooms of now that old
// lacks or holds otherwise (in now's order), and the IDs old has and now
// lacks, sorted.
func diffRooms(old, now []Room) (changed []Room, removed []id.RoomID) {
	was := map[id.RoomID]Room{}
	for _, r := range old {
		was[r.ID] = r
	}
	is := map[id.RoomID]bool{}
	for _, r := range now {
		is[r.ID] = true
		if w, ok := was[r.ID]; !ok || w != r {
			changed = append(changed, r)
		}
	}
	for _, r := range old {
		if !is[r.ID] {
			removed = append(removed, r.ID)
		}
	}
	slices.Sort(removed)
	return changed, removed
}

// TestNewRoomList: a list made from rooms in any order is in list order,
// invites first, and a room given twice is listed once, as given last.
func TestNewRoomList(t *testing.T) {
	l := NewRoomList(
		Room{ID: "!a:hs", Name: "A", Membership: event.MembershipJoin},
		Room{ID: "!i:hs", Name: "I", Membership: event.MembershipInvite},
		Room{ID: "!b:hs", Name: "B", Membership: event.MembershipJoin},
		Room{ID: "!a:hs", Name: "A2", Membership: event.MembershipJoin},
	)
	var ids []id.RoomID
	for _, r := range l.All() {
		ids = append(ids, r.ID)
	}
	if want := []id.RoomID{"!i:hs", "!a:hs", "!b:hs"}; !slices.Equal(ids, want) {
		t.Fatalf("list %v, want %v", ids, want)
	}
	if r, _ := l.Room("!a:hs"); r.Name != "A2" || l.Invites() != 1 {
		t.Fatalf("!a:hs is %+v, %d invites", r, l.Invites())
	}
	var zero RoomList
	if _, ok := zero.Room("!a:hs"); ok || zero.Len() != 0 || len(zero.Slice()) != 0 {
		t.Fatal("the zero list is not empty")
	}
}
