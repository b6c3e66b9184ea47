package ui

import (
	"context"
	"strings"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// leaveCommand runs /leave [room]: without an argument it leaves the open
// room; with one it leaves the room it names (a room ID, an alias, or a
// room's name as the room list shows it), but only a room the user is in
// or invited to, and refuses a name that fits several. It returns whether
// the composer should be cleared.
func (u *UI) leaveCommand(arg string) bool {
	const usage = "Usage: /leave [!id | #alias | name]"
	if arg == "" {
		if u.s.current == "" {
			u.say(true, "No room open. %s", usage)
			return false
		}
		u.leave(u.s.current)
		return true
	}
	shown := sanitize.Line(arg)
	if strings.HasPrefix(arg, "#") {
		var room id.RoomID
		u.bg("Looking up "+shown, func(ctx context.Context, c *matrix.Client) error {
			var err error
			room, err = c.ResolveAlias(ctx, id.RoomAlias(arg))
			return err
		}, func() {
			if _, ok := u.s.client.Room(room); !ok {
				u.say(true, "You are not in %s.", shown)
				return
			}
			u.leave(room)
		})
		return true
	}
	room, why := u.findRoom(arg)
	if room == "" {
		u.say(true, "%s %s", why, usage)
		return false
	}
	u.leave(room)
	return true
}

// leave leaves (or declines the invite to) one of the user's rooms.
func (u *UI) leave(room id.RoomID) {
	name := u.roomName(room)
	u.bg("Leaving "+name, func(ctx context.Context, c *matrix.Client) error { return c.LeaveRoom(ctx, room) },
		func() { u.say(false, "Left %s.", name) })
}

// findRoom finds the room arg names among the user's rooms, by room ID or
// by name (case-insensitively). It returns "" and why when there is no
// single match.
func (u *UI) findRoom(arg string) (id.RoomID, string) {
	shown := sanitize.Line(arg)
	if strings.HasPrefix(arg, "!") {
		if _, ok := u.s.client.Room(id.RoomID(arg)); ok {
			return id.RoomID(arg), ""
		}
		return "", "You are not in " + shown + "."
	}
	var found []id.RoomID
	for _, r := range u.s.client.Rooms() {
		if strings.EqualFold(r.Name, arg) {
			found = append(found, r.ID)
		}
	}
	switch len(found) {
	case 0:
		return "", "None of your rooms is called " + shown + "."
	case 1:
		return found[0], ""
	}
	return "", plural(len(found), "room") + " are called " + shown + ": open the one to leave and /leave, or name it by its ID."
}

// roomName is a room's name as the room list shows it, sanitized.
func (u *UI) roomName(roomID id.RoomID) string {
	if r, ok := u.s.client.Room(roomID); ok && r.Name != "" {
		return sanitize.Line(r.Name)
	}
	return sanitize.Line(string(roomID))
}

// confirmLogout asks before /logout ends the session: logging out deletes
// this session's keys, so encrypted messages can then only be read again
// from the key backup or an exported key file.
func (u *UI) confirmLogout() {
	if u.s.client == nil {
		return
	}
	lines := []Line{
		plain("Log out "+sanitize.Line(string(u.s.client.UserID()))+" on this device?", styleText),
		plain("This session and its encryption keys are deleted. Encrypted messages can be read again only from your key backup or a key export (/keys export).", styleText),
	}
	u.confirm("Log out", lines, "y log out · n stay", u.logout)
}
