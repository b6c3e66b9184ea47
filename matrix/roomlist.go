package matrix

import (
	"slices"
	"strings"

	"maunium.net/go/mautrix/id"
)

// The sorted room list. Each sync that changes a room publishes the list
// (RoomsChanged). Building it snapshotted and sorted every room, and then
// copying it (subscribers hold the old one) cost a message in proportion
// to the account. The list is now kept (Client.list, under mu; built when
// first asked for) as a RoomList, and a change makes a new one that shares
// all but what the change touched (roomset.go).

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

// Rooms returns every joined and invited room: invites first, then the
// joined rooms, each sorted by latest activity (ListOrder).
func (c *Client) Rooms() []Room { return c.RoomList().Slice() }

// RoomList returns the room list (what the last RoomsChanged carried).
func (c *Client) RoomList() RoomList {
	c.mu.RLock()
	l, ok := c.list, c.listOK
	c.mu.RUnlock()
	if ok {
		return l
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.listOK {
		ps := make([]*Room, 0, len(c.rooms))
		for _, r := range c.rooms {
			room := c.roomLocked(r)
			ps = append(ps, &room)
		}
		c.list, c.listOK = newRoomListOf(ps), true
	}
	return c.list
}

// setRoomsLocked puts changed rooms in c.rooms and takes removed ones out,
// and makes the new room list from the old one (RoomList.with: the old one
// may be in subscribers' hands, and shares all it can with the new one).
// c.rooms is changed in place (copying its 1,000 entries per message cost
// as much as the sorting did): the caller holds mu and writeMu, and whoever
// reads c.rooms without mu holds writeMu. A change of m.direct (every
// room's IsDM) is the caller's to note (forgetSortedLocked).
func (c *Client) setRoomsLocked(changed map[id.RoomID]*roomRow, removed ...id.RoomID) {
	if c.rooms == nil {
		c.rooms = make(map[id.RoomID]*roomRow, len(changed))
	}
	for _, roomID := range removed {
		delete(c.rooms, roomID)
	}
	for roomID, r := range changed {
		c.rooms[roomID] = r
	}
	// A burst (the initial sync) is sorted once, when asked.
	if !c.listOK || len(changed)+len(removed) > 64 {
		c.list, c.listOK = RoomList{}, false
		return
	}
	put := make([]*Room, 0, len(changed))
	for _, r := range changed {
		room := c.roomLocked(r)
		put = append(put, &room)
	}
	c.list = c.list.with(put, removed)
}

// forgetSortedLocked drops the room list, to be built again when asked
// (m.direct changed: any room's IsDM may have). The caller holds mu.
func (c *Client) forgetSortedLocked() { c.list, c.listOK = RoomList{}, false }
