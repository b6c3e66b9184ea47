package matrix

import (
	"context"

	"maunium.net/go/mautrix/id"
)

// indexMembers indexes the stored members' names, every membership
// included (see names.go).
func indexMembers(members []memberInfo) *NameIndex {
	x := NewNameIndex()
	for _, m := range members {
		x.Set(m.UserID, m.DisplayName)
	}
	return x
}

// MemberNames indexes the names of a room's members as stored (joined,
// invited and former members), for the UI to disambiguate names with.
// The names are remote data. As Members, it starts fetching the full
// member list when the store may know only some (StateChanged follows).
func (c *Client) MemberNames(roomID id.RoomID) *NameIndex {
	if c.closed.Load() {
		return NewNameIndex()
	}
	c.ensureMembers(roomID)
	members, err := loadMemberInfo(context.Background(), c.db, roomID)
	if err != nil {
		c.log.Debug().Err(err).Msg("reading members")
		return NewNameIndex()
	}
	return indexMembers(members)
}

// DisplayName returns how a user is shown in a room, as Element's member
// name: the display name, disambiguated with the user ID when another
// member shares it or it looks like a user ID, sanitized and cut to
// MaxNameColumns; the user ID when there is none.
func (c *Client) DisplayName(roomID id.RoomID, userID id.UserID) string {
	if c.closed.Load() {
		return string(userID)
	}
	members, err := loadMemberInfo(context.Background(), c.db, roomID)
	if err != nil {
		return string(userID)
	}
	x := indexMembers(members)
	return ShownName(userID, x.Name(userID), x)
}
