package matrix

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// ErrNoSuchRoom is returned by JoinRoom for an alias no room has.
var ErrNoSuchRoom = errors.New("no room has that address")

// joinSyncWait bounds how long JoinRoom and LoadHistory wait for the sync
// that brings a just-joined room.
const joinSyncWait = 30 * time.Second

// JoinRoom joins a room by ID or alias, and accepts invites. It returns
// once the sync that brings the joined room has been applied (so Room,
// Timeline and LoadHistory know it at once), or, if that takes longer than
// ctx or 30 s allow (e.g. sync is not running), right after the join with
// no error: the room then arrives with a later sync.
func (c *Client) JoinRoom(ctx context.Context, roomIDOrAlias string) (id.RoomID, error) {
	if c.closed.Load() {
		return "", ErrClosed
	}
	target := strings.TrimSpace(roomIDOrAlias)
	if target == "" || (!strings.HasPrefix(target, "!") && !strings.HasPrefix(target, "#")) {
		return "", fmt.Errorf("joining %q: not a room ID (!...) or alias (#...)", roomIDOrAlias)
	}
	// What the invite said, read before the join's sync can replace it.
	c.mu.RLock()
	row := c.rooms[id.RoomID(target)]
	c.mu.RUnlock()
	if strings.HasPrefix(target, "#") {
		// Some servers answer a join of an unknown alias with a bare
		// HTTP 500; asking the directory first gives a clear error.
		if _, err := c.cli.ResolveAlias(ctx, id.RoomAlias(target)); respErrCode(err) == "M_NOT_FOUND" {
			return "", fmt.Errorf("joining %s: %w", target, ErrNoSuchRoom)
		}
	}
	resp, err := c.cli.JoinRoom(ctx, target, nil)
	if err != nil {
		return "", fmt.Errorf("joining %s: %w", target, c.scrub(err))
	}
	if row != nil && row.ID == resp.RoomID && row.Membership == event.MembershipInvite && row.InviteDirect && row.Inviter != "" {
		// Accepting a DM invite: record it in m.direct as Element does.
		if err := c.addDirect(ctx, row.Inviter, resp.RoomID); err != nil {
			c.log.Warn().Err(err).Msg("recording the DM in m.direct")
		}
	}
	c.waitJoined(ctx, resp.RoomID, joinSyncWait)
	return resp.RoomID, nil
}

// waitJoined waits until sync has brought roomID as a joined room, at most
// max, and says whether it has.
func (c *Client) waitJoined(ctx context.Context, roomID id.RoomID, max time.Duration) bool {
	return c.waitRoomRow(ctx, roomID, max, func(row *roomRow) bool { return row.Membership == event.MembershipJoin })
}

// addDirect adds a room to the user's m.direct account data.
func (c *Client) addDirect(ctx context.Context, with id.UserID, roomID id.RoomID) error {
	var direct map[id.UserID][]id.RoomID
	if err := c.cli.GetAccountData(ctx, event.AccountDataDirectChats.Type, &direct); err != nil && respErrCode(err) != "M_NOT_FOUND" {
		return fmt.Errorf("reading m.direct: %w", c.scrub(err))
	}
	if direct == nil {
		direct = make(map[id.UserID][]id.RoomID)
	}
	if slices.Contains(direct[with], roomID) {
		return nil
	}
	direct[with] = append(direct[with], roomID)
	if err := c.cli.SetAccountData(ctx, event.AccountDataDirectChats.Type, direct); err != nil {
		return fmt.Errorf("saving m.direct: %w", c.scrub(err))
	}
	return nil
}

// LeaveRoom leaves a room, and declines invites. The room disappears from
// the room list when the leave comes back through sync.
func (c *Client) LeaveRoom(ctx context.Context, roomID id.RoomID) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if _, err := c.cli.LeaveRoom(ctx, roomID); err != nil {
		return fmt.Errorf("leaving %s: %w", roomID, c.scrub(err))
	}
	return nil
}

// ResolveAlias asks the room directory which room an alias names.
func (c *Client) ResolveAlias(ctx context.Context, alias id.RoomAlias) (id.RoomID, error) {
	if c.closed.Load() {
		return "", ErrClosed
	}
	resp, err := c.cli.ResolveAlias(ctx, alias)
	if respErrCode(err) == "M_NOT_FOUND" {
		return "", fmt.Errorf("resolving %s: %w", alias, ErrNoSuchRoom)
	}
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", alias, c.scrub(err))
	}
	return resp.RoomID, nil
}

// Invite invites a user to a room.
func (c *Client) Invite(ctx context.Context, roomID id.RoomID, userID id.UserID) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if _, _, err := userID.Parse(); err != nil {
		return fmt.Errorf("inviting %q: not a valid user ID (@name:server)", userID)
	}
	if _, err := c.cli.InviteUser(ctx, roomID, &mautrix.ReqInviteUser{UserID: userID}); err != nil {
		return fmt.Errorf("inviting %s to %s: %w", userID, roomID, c.scrub(err))
	}
	return nil
}

// SetTopic sets a room's topic.
func (c *Client) SetTopic(ctx context.Context, roomID id.RoomID, topic string) error {
	_, err := c.SendState(ctx, roomID, event.StateTopic, "", &event.TopicEventContent{Topic: topic})
	if err != nil {
		return fmt.Errorf("setting topic: %w", err)
	}
	return nil
}

// SetDisplayName sets the user's global display name.
func (c *Client) SetDisplayName(ctx context.Context, name string) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if err := c.cli.SetDisplayName(ctx, name); err != nil {
		return fmt.Errorf("setting display name: %w", c.scrub(err))
	}
	return nil
}

// MarkRead sends a read receipt and moves the fully-read marker to an
// event; the new unread counts come with the next sync.
func (c *Client) MarkRead(ctx context.Context, roomID id.RoomID, eventID id.EventID) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if eventID == "" {
		return errors.New("marking read: no event")
	}
	err := c.cli.SetReadMarkers(ctx, roomID, &mautrix.ReqSetReadMarkers{Read: eventID, FullyRead: eventID})
	if err != nil {
		return fmt.Errorf("marking %s read: %w", roomID, c.scrub(err))
	}
	return nil
}

// typingTimeout is how long a typing notification lasts on the server.
const typingTimeout = 10 * time.Second

// SetTyping sends a typing notification.
func (c *Client) SetTyping(ctx context.Context, roomID id.RoomID, typing bool) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if _, err := c.cli.UserTyping(ctx, roomID, typing, typingTimeout); err != nil {
		return fmt.Errorf("sending typing to %s: %w", roomID, c.scrub(err))
	}
	return nil
}

// AvatarURL returns the user's own avatar (mxc URI), or "".
func (c *Client) AvatarURL(ctx context.Context) id.ContentURIString {
	if c.closed.Load() {
		return ""
	}
	u, err := c.cli.GetOwnAvatarURL(ctx)
	if err != nil || u.IsEmpty() {
		return ""
	}
	return u.CUString()
}

// TurnServer fetches TURN credentials from /voip/turnServer; an empty
// answer means the homeserver offers no TURN.
func (c *Client) TurnServer(ctx context.Context) (*mautrix.RespTurnServer, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	resp, err := c.cli.TurnServer(ctx)
	if err != nil {
		if respErrCode(err) == "M_NOT_FOUND" {
			return &mautrix.RespTurnServer{}, nil
		}
		return nil, fmt.Errorf("fetching TURN servers: %w", c.scrub(err))
	}
	if resp == nil {
		resp = &mautrix.RespTurnServer{}
	}
	return resp, nil
}

// Logout ends the session on the server, stops syncing and publishes
// LoggedOut. The caller removes the session file.
func (c *Client) Logout(ctx context.Context) error {
	if c.closed.Load() {
		return ErrClosed
	}
	_, err := c.cli.Logout(ctx)
	if err != nil && !isUnknownToken(err) {
		return fmt.Errorf("logging out: %w", c.scrub(err))
	}
	c.runMu.Lock()
	if c.stopRun != nil {
		c.stopRun()
	}
	c.runMu.Unlock()
	c.hub.Publish(LoggedOut{})
	return nil
}
