package matrix

import (
	"iter"
	"slices"
	"strings"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// RoomList is the room list as RoomsChanged publishes it: invites first,
// then the joined rooms, each sorted by latest activity (ListOrder). A
// RoomList never changes once made, so every subscriber may keep the one
// it was given as long as it likes and read it from any goroutine.
//
// A new list shares all but the parts a change touched with the list it
// was made from: a message arriving in one of 1,000 rooms costs a few
// hundred bytes, not a copy of the account (which it did when the list was
// a []Room). Changes tells a subscriber what differs from an older list
// in proportion to what changed.
//
// The zero RoomList is empty.
type RoomList struct {
	chunks  []roomChunk // in ListOrder, none empty; shared, never written
	shards  []*roomShard
	n       int
	invites int
}

// roomChunk is a run of the list, in order. Chunks are shared between
// lists: a change copies the chunk it touches.
type roomChunk []*Room

// roomShard holds the rooms whose ID hashes to it, sorted by ID: the list's
// index by ID. Shards are shared between lists: a change copies the shard it
// touches, and a shard a list shares with an older one holds the same rooms.
type roomShard struct{ rooms []*Room }

const (
	roomChunkMax = 64 // a chunk grown past this is split in two
	roomShards   = 64
)

// shardOf hashes a room ID to its shard (FNV-1a: lists made at different
// times must agree).
func shardOf(roomID id.RoomID) int {
	h := uint32(2166136261)
	for i := 0; i < len(roomID); i++ {
		h = (h ^ uint32(roomID[i])) * 16777619
	}
	return int(h % roomShards)
}

// ListOrder orders rooms as the room list shows them: invites first, then
// by latest activity, newest first, then by name and ID.
func ListOrder(a, b *Room) int {
	if ai, bi := a.Membership == event.MembershipInvite, b.Membership == event.MembershipInvite; ai != bi {
		if ai {
			return -1
		}
		return 1
	}
	return roomOrder(*a, *b)
}

// NewRoomList makes a list of rooms (in any order; a room ID given twice
// keeps the last). The rooms are copied.
func NewRoomList(rooms ...Room) RoomList {
	ps := make([]*Room, 0, len(rooms))
	seen := make(map[id.RoomID]int, len(rooms))
	for i := range rooms {
		r := rooms[i]
		if j, ok := seen[r.ID]; ok {
			ps[j] = &r
			continue
		}
		seen[r.ID] = len(ps)
		ps = append(ps, &r)
	}
	return newRoomListOf(ps)
}

// newRoomListOf makes a list of distinct rooms, taking ps and the rooms.
func newRoomListOf(ps []*Room) RoomList {
	l := RoomList{n: len(ps), shards: make([]*roomShard, roomShards)}
	slices.SortFunc(ps, ListOrder)
	for len(ps) > 0 {
		k := min(len(ps), roomChunkMax/2)
		l.chunks = append(l.chunks, slices.Clip(ps[:k]))
		ps = ps[k:]
	}
	for i := range l.shards {
		l.shards[i] = &roomShard{}
	}
	for _, c := range l.chunks {
		for _, r := range c {
			s := l.shards[shardOf(r.ID)]
			s.rooms = append(s.rooms, r)
			if r.Membership == event.MembershipInvite {
				l.invites++
			}
		}
	}
	for _, s := range l.shards {
		slices.SortFunc(s.rooms, byRoomID)
	}
	return l
}

func byRoomID(a, b *Room) int { return strings.Compare(string(a.ID), string(b.ID)) }

// Len says how many rooms the list holds.
func (l RoomList) Len() int { return l.n }

// Invites says how many of the rooms are invites: they come first.
func (l RoomList) Invites() int { return l.invites }

// At returns the room at place i (0 ≤ i < Len).
func (l RoomList) At(i int) Room {
	for _, c := range l.chunks {
		if i < len(c) {
			return *c[i]
		}
		i -= len(c)
	}
	panic("matrix: RoomList.At out of range")
}

// All yields the rooms in order with their places.
func (l RoomList) All() iter.Seq2[int, Room] {
	return func(yield func(int, Room) bool) {
		i := 0
		for _, c := range l.chunks {
			for _, r := range c {
				if !yield(i, *r) {
					return
				}
				i++
			}
		}
	}
}

// Slice returns the rooms in order, in a new slice.
func (l RoomList) Slice() []Room {
	out := make([]Room, 0, l.n)
	for _, r := range l.All() {
		out = append(out, r)
	}
	return out
}

// lookup returns the list's room of that ID.
func (l RoomList) lookup(roomID id.RoomID) *Room {
	if l.shards == nil {
		return nil
	}
	rs := l.shards[shardOf(roomID)].rooms
	i, ok := slices.BinarySearchFunc(rs, roomID, func(r *Room, k id.RoomID) int { return strings.Compare(string(r.ID), string(k)) })
	if !ok {
		return nil
	}
	return rs[i]
}

// Room returns the listed room of that ID.
func (l RoomList) Room(roomID id.RoomID) (Room, bool) {
	if r := l.lookup(roomID); r != nil {
		return *r, true
	}
	return Room{}, false
}

// Index returns the place of the room of that ID.
func (l RoomList) Index(roomID id.RoomID) (int, bool) {
	r := l.lookup(roomID)
	if r == nil {
		return 0, false
	}
	ci, i, ok := l.find(r)
	if !ok {
		return 0, false
	}
	for _, c := range l.chunks[:ci] {
		i += len(c)
	}
	return i, true
}

// find returns the chunk and the place in it where r is or would go.
func (l RoomList) find(r *Room) (ci, i int, found bool) {
	ci, _ = slices.BinarySearchFunc(l.chunks, r, func(c roomChunk, r *Room) int { return ListOrder(c[len(c)-1], r) })
	if ci == len(l.chunks) {
		if ci == 0 {
			return 0, 0, false
		}
		ci--
		return ci, len(l.chunks[ci]), false
	}
	i, found = slices.BinarySearchFunc(l.chunks[ci], r, ListOrder)
	return ci, i, found
}

// Changes returns the rooms that are in l but not in old or differ there
// (in l's order), and the IDs of old's rooms that l no longer lists. Its
// cost is in proportion to what changed when l was made from old (or from
// a list made from old), else to the rooms; old may be the zero list.
func (l RoomList) Changes(old RoomList) (changed []Room, removed []id.RoomID) {
	var ch []*Room
	for si := range roomShards {
		var a, b []*Room
		if l.shards != nil {
			a = l.shards[si].rooms
		}
		if old.shards != nil {
			b = old.shards[si].rooms
		}
		if l.shards != nil && old.shards != nil && l.shards[si] == old.shards[si] {
			continue
		}
		for len(a) > 0 || len(b) > 0 {
			switch {
			case len(b) == 0 || (len(a) > 0 && a[0].ID < b[0].ID):
				ch = append(ch, a[0])
				a = a[1:]
			case len(a) == 0 || b[0].ID < a[0].ID:
				removed = append(removed, b[0].ID)
				b = b[1:]
			default:
				if a[0] != b[0] && *a[0] != *b[0] {
					ch = append(ch, a[0])
				}
				a, b = a[1:], b[1:]
			}
		}
	}
	slices.SortFunc(ch, ListOrder)
	changed = make([]Room, len(ch))
	for i, r := range ch {
		changed[i] = *r
	}
	slices.Sort(removed)
	return changed, removed
}

// With returns a list with the rooms of put added (or replacing the
// listed rooms of their IDs) and the rooms of drop taken out; l stays as
// it is. The new list shares all it can with l: this is how the client
// makes each list it publishes.
func (l RoomList) With(put []Room, drop ...id.RoomID) RoomList {
	ps := make([]*Room, len(put))
	for i := range put {
		r := put[i]
		ps[i] = &r
	}
	return l.with(ps, drop)
}

// with returns a list with the rooms of put added or replaced and those of
// drop taken out, sharing what they leave untouched with l. It takes the
// rooms of put.
func (l RoomList) with(put []*Room, drop []id.RoomID) RoomList {
	if l.shards == nil {
		l.shards = make([]*roomShard, roomShards)
		for i := range l.shards {
			l.shards[i] = &roomShard{}
		}
	} else {
		l.shards = slices.Clone(l.shards)
	}
	l.chunks = slices.Clone(l.chunks)
	for _, roomID := range drop {
		l.remove(roomID)
	}
	for _, r := range put {
		l.remove(r.ID)
		l.insert(r)
	}
	return l
}

// remove takes a room out of l, whose chunks and shards slices are its own.
func (l *RoomList) remove(roomID id.RoomID) {
	r := l.lookup(roomID)
	if r == nil {
		return
	}
	si := shardOf(roomID)
	s := l.shards[si].rooms
	i, _ := slices.BinarySearchFunc(s, r, byRoomID)
	l.shards[si] = &roomShard{rooms: deleteCopy(s, i)}

	ci, j, _ := l.find(r)
	if len(l.chunks[ci]) == 1 {
		l.chunks = slices.Delete(l.chunks, ci, ci+1)
	} else {
		l.chunks[ci] = deleteCopy(l.chunks[ci], j)
	}
	l.n--
	if r.Membership == event.MembershipInvite {
		l.invites--
	}
}

// insert puts a room that is not in l into l, whose chunks and shards
// slices are its own.
func (l *RoomList) insert(r *Room) {
	si := shardOf(r.ID)
	s := l.shards[si].rooms
	i, _ := slices.BinarySearchFunc(s, r, byRoomID)
	l.shards[si] = &roomShard{rooms: insertCopy(s, i, r)}

	if len(l.chunks) == 0 {
		l.chunks = append(l.chunks, roomChunk{r})
	} else {
		ci, j, _ := l.find(r)
		c := roomChunk(insertCopy(l.chunks[ci], j, r))
		if len(c) > roomChunkMax {
			half := len(c) / 2
			l.chunks = slices.Insert(l.chunks, ci+1, slices.Clip(c[half:]))
			c = slices.Clip(c[:half])
		}
		l.chunks[ci] = c
	}
	l.n++
	if r.Membership == event.MembershipInvite {
		l.invites++
	}
}

// insertCopy returns a new slice of s with r at place i.
func insertCopy[S ~[]*Room](s S, i int, r *Room) []*Room {
	out := make([]*Room, len(s)+1)
	copy(out, s[:i])
	out[i] = r
	copy(out[i+1:], s[i:])
	return out
}

// deleteCopy returns a new slice of s without place i.
func deleteCopy[S ~[]*Room](s S, i int) []*Room {
	out := make([]*Room, len(s)-1)
	copy(out, s[:i])
	copy(out[i:], s[i+1:])
	return out
}
