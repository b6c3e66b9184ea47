package ui

import (
	"fmt"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// roomRow is one row of the room list: a section header or a room, with
// its place in Order.
type roomRow struct {
	header string
	room   *matrix.Room
	pos    int
}

// RoomList shows Invites and Rooms sections with DM markers and unread and
// highlight counts, in the order the client sorts them (latest activity).
type RoomList struct {
	*tview.Box
	rows     []roomRow
	index    map[id.RoomID]int // row of each room
	order    []id.RoomID       // rooms in display order, for Alt+1..9 and next/prev
	selected id.RoomID
	shown    id.RoomID // the selection the last Draw scrolled to
	offset   int
	onSelect func(id.RoomID)
}

// NewRoomList makes an empty room list.
func NewRoomList() *RoomList {
	return &RoomList{Box: tview.NewBox(), index: map[id.RoomID]int{}}
}

// SetRooms replaces the rooms shown. The list keeps pointers into rooms,
// which nobody changes (RoomsChanged's list is shared by every subscriber,
// read only). A message brings a whole new list: the rows and the index
// are rebuilt in place, without copying a room.
func (l *RoomList) SetRooms(rooms []matrix.Room) {
	l.rows, l.order = l.rows[:0], make([]id.RoomID, 0, len(rooms))
	clear(l.index)
	invites := 0
	for i := range rooms {
		if rooms[i].Membership == event.MembershipInvite {
			invites++
		}
	}
	add := func(title string, invite bool, n int) {
		if n == 0 {
			return
		}
		l.rows = append(l.rows, roomRow{header: title})
		for i := range rooms {
			if r := &rooms[i]; (r.Membership == event.MembershipInvite) == invite {
				l.index[r.ID] = len(l.rows)
				l.rows = append(l.rows, roomRow{room: r, pos: len(l.order)})
				l.order = append(l.order, r.ID)
			}
		}
	}
	add("Invites", true, invites)
	add("Rooms", false, len(rooms)-invites)
}

// Order returns the rooms in display order.
func (l *RoomList) Order() []id.RoomID { return l.order }

// position returns a room's place in Order (Alt+1 opens place 0).
func (l *RoomList) position(roomID id.RoomID) (int, bool) {
	if i, ok := l.index[roomID]; ok {
		return l.rows[i].pos, true
	}
	return 0, false
}

// Room returns a listed room.
func (l *RoomList) Room(roomID id.RoomID) (matrix.Room, bool) {
	if i, ok := l.index[roomID]; ok {
		return *l.rows[i].room, true
	}
	return matrix.Room{}, false
}

// SetSelected marks the open room.
func (l *RoomList) SetSelected(roomID id.RoomID) { l.selected = roomID }

// Neighbour returns the room delta places from the open one.
func (l *RoomList) Neighbour(delta int) id.RoomID {
	if len(l.order) == 0 {
		return ""
	}
	cur := -1
	for i, r := range l.order {
		if r == l.selected {
			cur = i
		}
	}
	n := (cur + delta + len(l.order)) % len(l.order)
	if cur < 0 {
		n = 0
	}
	return l.order[n]
}

// roomLabel is a room's name as the list shows it.
func roomLabel(r matrix.Room) string {
	name := sanitize.Cut(sanitize.Line(r.Name), matrix.MaxRoomNameColumns)
	if name == "" {
		name = sanitize.Cut(sanitize.Line(string(r.ID)), matrix.MaxRoomNameColumns)
	}
	return name
}

// unreadCount is how many messages the list shows unread: the server's
// count, or our own while the server's has not caught up (it arrives a
// sync later) or leaves the room out (push rules).
func unreadCount(r matrix.Room) int {
	if r.Unread > 0 {
		return r.Unread
	}
	return r.OwnUnread
}

// Draw draws the visible rows.
func (l *RoomList) Draw(screen tcell.Screen) {
	l.Box.DrawForSubclass(screen, l)
	x, y, w, h := l.GetInnerRect()
	if l.offset > len(l.rows)-1 {
		l.offset = max(len(l.rows)-1, 0)
	}
	// Keep the open room in view when it changed (keys, switcher).
	if i, ok := l.index[l.selected]; ok && l.selected != l.shown {
		if i < l.offset {
			l.offset = i
		} else if i >= l.offset+h {
			l.offset = i - h + 1
		}
	}
	l.shown = l.selected
	for i := 0; i < h && l.offset+i < len(l.rows); i++ {
		rr := l.rows[l.offset+i]
		if rr.header != "" {
			drawText(screen, x, y+i, w, rr.header, styleDim.Bold(true))
			continue
		}
		r := rr.room
		style := styleText
		if r.ID == l.selected {
			style = style.Reverse(true)
			fillRow(screen, x, y+i, w, style)
		}
		marker := "# "
		if r.IsDM {
			marker = "@ "
		}
		if r.Membership == event.MembershipInvite {
			marker = "+ "
		}
		counts := ""
		unread := unreadCount(*r)
		switch {
		case r.Highlights > 0:
			counts = fmt.Sprintf(" %d!", r.Highlights)
		case unread > 0:
			counts = fmt.Sprintf(" %d", unread)
		}
		nameStyle := style
		if unread > 0 || r.Highlights > 0 {
			nameStyle = nameStyle.Bold(true)
		}
		// The first nine rooms show the digit that opens them with Alt.
		digit := "  "
		if rr.pos < 9 {
			digit = string(rune('1'+rr.pos)) + " "
		}
		cw := textWidth(counts)
		used := drawText(screen, x, y+i, w-cw, digit, style.Foreground(tcell.ColorTeal))
		used += drawText(screen, x+used, y+i, w-cw-used, marker, style.Foreground(tcell.ColorGray))
		drawText(screen, x+used, y+i, w-cw-used, sanitize.Cut(roomLabel(*r), w-cw-used), nameStyle)
		if counts != "" {
			cs := style.Foreground(tcell.ColorYellow)
			if r.Highlights > 0 {
				cs = style.Foreground(tcell.ColorRed).Bold(true)
			}
			drawText(screen, x+w-cw, y+i, cw, counts, cs)
		}
	}
}

// MouseHandler selects a room on click and scrolls on the wheel.
func (l *RoomList) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (consumed bool, capture tview.Primitive) {
	return l.WrapMouseHandler(func(action tview.MouseAction, ev *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		mx, my := ev.Position()
		if !l.InRect(mx, my) {
			return false, nil
		}
		_, y, _, _ := l.GetInnerRect()
		switch action {
		case tview.MouseLeftClick:
			i := l.offset + my - y
			if i >= 0 && i < len(l.rows) && l.rows[i].room != nil && l.onSelect != nil {
				l.onSelect(l.rows[i].room.ID)
			}
			return true, nil
		case tview.MouseScrollUp:
			if l.offset > 0 {
				l.offset--
			}
			return true, nil
		case tview.MouseScrollDown:
			if l.offset < len(l.rows)-1 {
				l.offset++
			}
			return true, nil
		}
		return false, nil
	})
}
