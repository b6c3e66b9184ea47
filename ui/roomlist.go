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

// RoomList shows Invites and Rooms sections with DM markers and unread and
// highlight counts, in the order the client sorts them (matrix.RoomList:
// invites first, then latest activity). It keeps the client's list as is:
// a new list costs nothing to take, whatever the number of rooms, and the
// rows are worked out from places in it.
type RoomList struct {
	*tview.Box
	list     matrix.RoomList
	selected id.RoomID
	shown    id.RoomID // the selection the last Draw scrolled to
	offset   int
	onSelect func(id.RoomID)
}

// NewRoomList makes an empty room list.
func NewRoomList() *RoomList {
	return &RoomList{Box: tview.NewBox()}
}

// SetRooms replaces the rooms shown.
func (l *RoomList) SetRooms(rooms matrix.RoomList) { l.list = rooms }

// rowCount is how many rows the list has: the rooms and a header for each
// section that has rooms.
func (l *RoomList) rowCount() int {
	n, inv := l.list.Len(), l.list.Invites()
	return n + min(inv, 1) + min(n-inv, 1)
}

// rowAt says what row i shows: a section header, or the room at a place in
// the list.
func (l *RoomList) rowAt(i int) (header string, place int) {
	inv := l.list.Invites()
	if inv > 0 {
		if i == 0 {
			return "Invites", 0
		}
		if i <= inv {
			return "", i - 1
		}
		i -= inv + 1
	}
	if i == 0 {
		return "Rooms", 0
	}
	return "", inv + i - 1
}

// rowOf is the row of the room at a place in the list.
func (l *RoomList) rowOf(place int) int {
	inv := l.list.Invites()
	if place < inv {
		return place + 1
	}
	return place + min(inv, 1) + 1
}

// Order returns the rooms in display order, in a new slice.
func (l *RoomList) Order() []id.RoomID {
	out := make([]id.RoomID, 0, l.list.Len())
	for _, r := range l.list.All() {
		out = append(out, r.ID)
	}
	return out
}

// At returns the room at place i of the display order (Alt+1 opens place
// 0), if there is one.
func (l *RoomList) At(i int) (id.RoomID, bool) {
	if i < 0 || i >= l.list.Len() {
		return "", false
	}
	return l.list.At(i).ID, true
}

// position returns a room's place in the display order.
func (l *RoomList) position(roomID id.RoomID) (int, bool) { return l.list.Index(roomID) }

// Room returns a listed room.
func (l *RoomList) Room(roomID id.RoomID) (matrix.Room, bool) { return l.list.Room(roomID) }

// SetSelected marks the open room.
func (l *RoomList) SetSelected(roomID id.RoomID) { l.selected = roomID }

// Neighbour returns the room delta places from the open one.
func (l *RoomList) Neighbour(delta int) id.RoomID {
	n := l.list.Len()
	if n == 0 {
		return ""
	}
	cur, ok := l.list.Index(l.selected)
	if !ok {
		return l.list.At(0).ID
	}
	return l.list.At(((cur+delta)%n + n) % n).ID
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
	rows := l.rowCount()
	if l.offset > rows-1 {
		l.offset = max(rows-1, 0)
	}
	// Keep the open room in view when it changed (keys, switcher).
	if p, ok := l.list.Index(l.selected); ok && l.selected != l.shown {
		i := l.rowOf(p)
		if i < l.offset {
			l.offset = i
		} else if i >= l.offset+h {
			l.offset = i - h + 1
		}
	}
	l.shown = l.selected
	for i := 0; i < h && l.offset+i < rows; i++ {
		header, pos := l.rowAt(l.offset + i)
		if header != "" {
			drawText(screen, x, y+i, w, header, styleDim.Bold(true))
			continue
		}
		room := l.list.At(pos)
		r := &room
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
		if pos < 9 {
			digit = string(rune('1'+pos)) + " "
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
			if i := l.offset + my - y; i >= 0 && i < l.rowCount() && l.onSelect != nil {
				if header, pos := l.rowAt(i); header == "" {
					l.onSelect(l.list.At(pos).ID)
				}
			}
			return true, nil
		case tview.MouseScrollUp:
			if l.offset > 0 {
				l.offset--
			}
			return true, nil
		case tview.MouseScrollDown:
			if l.offset < l.rowCount()-1 {
				l.offset++
			}
			return true, nil
		}
		return false, nil
	})
}
