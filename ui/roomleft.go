package ui

import (
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
	"maunium.net/go/mautrix/id"
)

// roomLeft tells the user they are no longer in a room (left, kicked,
// banned, invite declined or withdrawn) and, if it was open, opens the
// room next to it in the list instead of jumping to the top. It runs just
// before the RoomsChanged that drops the room.
func (u *UI) roomLeft(up matrix.RoomLeft) {
	u.say(up.Kicked || up.Banned || (up.WasInvite && !u.isOwn(up.By)), "%s", u.roomLeftText(up))
	if up.RoomID == u.s.current {
		if next := neighbour(u.w.roomList.Order(), up.RoomID); next != "" {
			u.openRoom(next)
		}
	}
	delete(u.s.timelines, up.RoomID)
	delete(u.s.names, up.RoomID)
}

func (u *UI) isOwn(uid id.UserID) bool {
	return uid == "" || (u.s.client != nil && uid == u.s.client.UserID())
}

// roomLeftText is the status message for a RoomLeft, Element's wording.
func (u *UI) roomLeftText(up matrix.RoomLeft) string {
	room := sanitize.Cut(sanitize.Line(up.Name), matrix.MaxRoomNameColumns)
	if room == "" {
		room = sanitize.Line(string(up.RoomID))
	}
	by := ""
	if names := u.memberNames(up.RoomID); names.Known(up.By) {
		by = matrix.ShownName(up.By, names.Name(up.By), names)
	}
	for _, names := range u.s.names {
		if by != "" {
			break
		}
		// The room's members may be gone with it: any room that knows them.
		if names.Known(up.By) {
			by = matrix.ShownName(up.By, names.Name(up.By), names)
		}
	}
	if by == "" {
		by = matrix.ShownName(up.By, "")
	}
	reason := ""
	if r := sanitize.Line(up.Reason); r != "" {
		reason = ": " + r
	}
	switch {
	case up.Banned:
		return "You were banned from " + room + " by " + by + reason
	case up.Kicked:
		return "You were removed from " + room + " by " + by + reason
	case up.WasInvite && !u.isOwn(up.By):
		return "Your invite to " + room + " was withdrawn by " + by + reason
	case up.WasInvite:
		return "You declined the invite to " + room + "."
	default:
		return "You left " + room + "."
	}
}

// neighbour is the room after roomID in order (or before it, for the
// last), or "" when there is no other.
func neighbour(order []id.RoomID, roomID id.RoomID) id.RoomID {
	for i, r := range order {
		if r != roomID {
			continue
		}
		if i+1 < len(order) {
			return order[i+1]
		}
		if i > 0 {
			return order[i-1]
		}
	}
	return ""
}
