package matrix

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Event types of MatrixRTC calls (Element Call) that new rooms set power
// levels for.
const (
	callMemberEvent = "org.matrix.msc3401.call.member"
	callEvent       = "org.matrix.msc3401.call"
)

// elementPowerOverride is the power_level_content_override Element Web
// gives every room it creates (with group calls on, as today): its default
// event levels, every member may join calls (call.member at 0), and only
// admins may start the deprecated room-wide call (call at 100).
func elementPowerOverride() *event.PowerLevelsEventContent {
	return &event.PowerLevelsEventContent{Events: map[string]int{
		event.StateRoomName.Type:          50,
		event.StateRoomAvatar.Type:        50,
		event.StatePowerLevels.Type:       100,
		event.StateHistoryVisibility.Type: 100,
		event.StateCanonicalAlias.Type:    50,
		event.StateTombstone.Type:         100,
		event.StateServerACL.Type:         100,
		event.StateEncryption.Type:        100,
		callMemberEvent:                   0,
		callEvent:                         100,
	}}
}

// encryptionState is the initial m.room.encryption state Element sets.
func encryptionState() *event.Event {
	return &event.Event{Type: event.StateEncryption, StateKey: ptr(""),
		Content: event.Content{Parsed: &event.EncryptionEventContent{Algorithm: id.AlgorithmMegolmV1}}}
}

// guestAccessState is the m.room.guest_access Element sets in private
// rooms: guests still need an invite.
func guestAccessState() *event.Event {
	return &event.Event{Type: event.StateGuestAccess, StateKey: ptr(""),
		Content: event.Content{Parsed: &event.GuestAccessEventContent{GuestAccess: event.GuestAccessCanJoin}}}
}

func ptr[T any](v T) *T { return &v }

// aliasLocalpart makes a room alias localpart of a room name as Element's
// dialog suggests it: lower case, runs of other characters become "-".
var aliasJunk = regexp.MustCompile(`[^a-z0-9._=\-]+`)

func aliasLocalpart(name string) string {
	return strings.Trim(aliasJunk.ReplaceAllString(strings.ToLower(name), "-"), "-")
}

// CreateRoom creates a room named name as Element does, and returns once
// sync has brought it (or after 30 s). A private room is invite-only
// (preset private_chat) and end-to-end encrypted (m.room.encryption in the
// initial state); a public one (preset public_chat: anyone may join) is not
// encrypted and gets the alias #name:server when that is free. Both give
// every member the power to join calls.
func (c *Client) CreateRoom(ctx context.Context, name string, public bool) (id.RoomID, error) {
	if c.closed.Load() {
		return "", ErrClosed
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", fmt.Errorf("creating a room: no name")
	}
	req := &mautrix.ReqCreateRoom{
		Name:               name,
		Visibility:         "private",
		Preset:             "private_chat",
		PowerLevelOverride: elementPowerOverride(),
		InitialState:       []*event.Event{guestAccessState(), encryptionState()},
	}
	if public {
		req.Preset, req.InitialState, req.RoomAliasName = "public_chat", nil, aliasLocalpart(name)
	}
	resp, err := c.cli.CreateRoom(ctx, req)
	if err != nil && req.RoomAliasName != "" && respErrCode(err) == "M_ROOM_IN_USE" {
		req.RoomAliasName = ""
		resp, err = c.cli.CreateRoom(ctx, req)
	}
	if err != nil {
		return "", fmt.Errorf("creating room %q: %w", name, c.scrub(err))
	}
	c.waitRoomRow(ctx, resp.RoomID, joinSyncWait, func(r *roomRow) bool {
		return r.Membership == event.MembershipJoin && r.Encrypted == !public && r.Name == name
	})
	return resp.RoomID, nil
}

// waitRoomRow waits until sync has brought roomID in a state ok accepts, at
// most max, and says whether it has. A new room's state can come over
// several syncs (Dendrite sends the join before the name and encryption):
// waiting for all of it keeps the first message typed into a new encrypted
// room from being judged by a room not yet known to be encrypted.
func (c *Client) waitRoomRow(ctx context.Context, roomID id.RoomID, max time.Duration, ok func(*roomRow) bool) bool {
	timer := time.NewTimer(max)
	defer timer.Stop()
	for {
		c.mu.RLock()
		row, applied := c.rooms[roomID], c.applied
		done := row != nil && ok(row)
		c.mu.RUnlock()
		if done {
			return true
		}
		select {
		case <-applied:
		case <-ctx.Done():
			return false
		case <-c.life.Done():
			return false
		case <-timer.C:
			return false
		}
	}
}

// DirectMessage returns the DM with user: an existing one from m.direct
// that we are in and they have not left (the most recently active), else
// a new one created as Element creates DMs (is_direct, preset
// trusted_private_chat, the user invited, encrypted unless the server
// says they have no device that could read it), added to m.direct. created
// says which.
func (c *Client) DirectMessage(ctx context.Context, user id.UserID) (_ id.RoomID, created bool, _ error) {
	if c.closed.Load() {
		return "", false, ErrClosed
	}
	if _, _, err := user.Parse(); err != nil || !strings.HasPrefix(string(user), "@") {
		return "", false, fmt.Errorf("starting a DM with %q: not a user ID (@name:server)", user)
	}
	if user == c.sess.UserID {
		return "", false, fmt.Errorf("starting a DM with %s: that is you", user)
	}
	if roomID, ok := c.existingDM(ctx, user); ok {
		return roomID, false, nil
	}
	req := &mautrix.ReqCreateRoom{
		Visibility:         "private",
		Preset:             "trusted_private_chat",
		IsDirect:           true,
		Invite:             []id.UserID{user},
		PowerLevelOverride: elementPowerOverride(),
		InitialState:       []*event.Event{guestAccessState()},
	}
	if c.mayEncryptTo(ctx, user) {
		req.InitialState = append(req.InitialState, encryptionState())
	}
	resp, err := c.cli.CreateRoom(ctx, req)
	if err != nil {
		return "", false, fmt.Errorf("starting a DM with %s: %w", user, c.scrub(err))
	}
	if err := c.addDirect(ctx, user, resp.RoomID); err != nil {
		c.log.Warn().Err(err).Msg("recording the new DM in m.direct")
	}
	encrypted := len(req.InitialState) > 1
	c.waitRoomRow(ctx, resp.RoomID, joinSyncWait, func(r *roomRow) bool {
		return r.Membership == event.MembershipJoin && r.Encrypted == encrypted
	})
	return resp.RoomID, true, nil
}

// existingDM finds a DM with user in m.direct (read from the server, so a
// DM made a moment ago counts): one we are joined to where they are joined
// or invited (or not known to have left), the most recently active.
func (c *Client) existingDM(ctx context.Context, user id.UserID) (id.RoomID, bool) {
	var direct map[id.UserID][]id.RoomID
	if err := c.cli.GetAccountData(ctx, event.AccountDataDirectChats.Type, &direct); err != nil {
		direct = nil
		if raw, err := getAccountData(ctx, c.db, event.AccountDataDirectChats.Type); err == nil {
			_ = json.Unmarshal(raw, &direct)
		}
	}
	var best id.RoomID
	var bestTS int64 = -1
	for _, roomID := range direct[user] {
		c.mu.RLock()
		row := c.rooms[roomID]
		c.mu.RUnlock()
		if row == nil || row.Membership != event.MembershipJoin {
			continue
		}
		if m := c.StateEvent(roomID, event.StateMember, string(user)); m != nil {
			var mc struct {
				Membership event.Membership `json:"membership"`
			}
			if json.Unmarshal(m.Content.VeryRaw, &mc) == nil && mc.Membership != "" &&
				mc.Membership != event.MembershipJoin && mc.Membership != event.MembershipInvite {
				continue
			}
		}
		if row.LastActivity > bestTS {
			best, bestTS = roomID, row.LastActivity
		}
	}
	return best, best != ""
}

// mayEncryptTo says whether a new DM with user should be encrypted:
// Element leaves it unencrypted only when the user has no device with
// keys (they could read nothing); when that cannot be asked, encrypt.
func (c *Client) mayEncryptTo(ctx context.Context, user id.UserID) bool {
	resp, err := c.cli.QueryKeys(ctx, &mautrix.ReqQueryKeys{DeviceKeys: mautrix.DeviceKeysRequest{user: {}}})
	if err != nil || resp == nil {
		return true
	}
	return len(resp.DeviceKeys[user]) > 0
}
