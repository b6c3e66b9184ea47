package matrix

import (
	"slices"
	"strings"

	"maunium.net/go/mautrix/id"
)

// The sorted room list. Each sync that changes a room published the whole
// list (RoomsChanged), and building it snapshotted and sorted every room:
// with 1,000 rooms that was the biggest part of what a message arriving
// cost the client. The list is now kept sorted (Client.sorted, under mu;
// nil until asked for) and a change moves only the rooms it touched.

// roomOrder orders rooms by latest activity, newest first, then by name
// and ID: the room list's order.
func roomOrder(a, b Room) int {
	if c := b.LastActivity.Compare(a.LastActivity); c != 0 {
		return c
	}
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return strings.Compare(string(a.ID), string(b.ID))
}

// sortRooms orders rooms as the room list shows them (roomOrder).
func sortRooms(rs []Room) { slices.SortFunc(rs, roomOrder) }

// Rooms returns every joined and invited room, sorted by latest activity.
func (c *Client) Rooms() []Room { return slices.Clone(c.sortedRooms()) }

// sortedRooms returns the sorted room list, built if it is not kept. The
// slice is shared: nobody may change it (RoomsChanged hands it out).
func (c *Client) sortedRooms() []Room {
	c.mu.RLock()
	s := c.sorted
	c.mu.RUnlock()
	if s != nil {
		return s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sorted == nil {
		c.sorted = make([]Room, 0, len(c.rooms))
		for _, r := range c.rooms {
			c.sorted = append(c.sorted, c.roomLocked(r))
		}
		sortRooms(c.sorted)
	}
	return c.sorted
}

// setRoomsLocked puts changed rooms in c.rooms and takes removed ones out,
// and moves them in the sorted list: a new slice, as the old one may be in
// subscribers' hands. c.rooms is changed in place (copying its 1,000
// entries per message cost as much as the sorting did): the caller holds
// mu and writeMu, and whoever reads c.rooms without mu holds writeMu. A
// change of m.direct (every room's IsDM) is the caller's to note
// (forgetSortedLocked).
func (c *Client) setRoomsLocked(changed map[id.RoomID]*roomRow, removed ...id.RoomID) {
	if c.rooms == nil {
		c.rooms = make(map[id.RoomID]*roomRow, len(changed))
	}
	// A burst (the initial sync) is sorted once, when asked.
	keep := c.sorted != nil && len(changed)+len(removed) <= 16
	var s []Room
	if keep {
		s = slices.Clone(c.sorted)
	}
	drop := func(roomID id.RoomID) {
		r, ok := c.rooms[roomID]
		if !keep || !ok {
			return
		}
		i, found := slices.BinarySearchFunc(s, c.roomLocked(r), roomOrder)
		if !found {
			keep = false
			return
		}
		s = slices.Delete(s, i, i+1)
	}
	for _, roomID := range removed {
		drop(roomID)
		delete(c.rooms, roomID)
	}
	for roomID, r := range changed {
		drop(roomID)
		c.rooms[roomID] = r
		if keep {
			room := c.roomLocked(r)
			i, _ := slices.BinarySearchFunc(s, room, roomOrder)
			s = slices.Insert(s, i, room)
		}
	}
	if keep {
		c.sorted = s
	} else {
		c.sorted = nil
	}
}

// forgetSortedLocked drops the sorted list, to be built again when asked
// (m.direct changed: any room's IsDM may have). The caller holds mu.
func (c *Client) forgetSortedLocked() { c.sorted = nil }
