package ui

import (
	"slices"

	"maunium.net/go/mautrix/id"
)

// Rooms out of sight keep little: the store holds their events, so only
// the timelines of the keptViews rooms used last stay built (a view holds
// up to the timeline limit of parsed events, about 1 MB); an older one is
// rebuilt from the store when its room is opened again. A view left for
// another room drops its laid-out rows, which are rebuilt for what is
// drawn.
const keptViews = 8

// touchView records that roomID's view was used, forgetting the views
// used longest ago beyond keptViews (never the open room's).
func (u *UI) touchView(roomID id.RoomID) {
	u.s.viewOrder = slices.DeleteFunc(u.s.viewOrder, func(r id.RoomID) bool { return r == roomID })
	u.s.viewOrder = append([]id.RoomID{roomID}, u.s.viewOrder...)
	for len(u.s.viewOrder) > keptViews {
		last := len(u.s.viewOrder) - 1
		old := u.s.viewOrder[last]
		if old == u.s.current {
			// Keep the open room; drop the one before it instead.
			u.s.viewOrder[last], u.s.viewOrder[last-1] = u.s.viewOrder[last-1], old
			continue
		}
		u.s.viewOrder = u.s.viewOrder[:last]
		delete(u.s.timelines, old)
	}
}

// DropRows forgets every laid-out row and rendered line: a view out of
// sight keeps only its events.
func (t *TimelineView) DropRows() {
	for _, it := range t.items {
		it.lines, it.rows, it.rendered = nil, nil, false
	}
	t.laid = nil
}
