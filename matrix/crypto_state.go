package matrix

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// cryptoStateStore answers the crypto machine's questions about rooms from
// the client's store (crypto.StateStore).
type cryptoStateStore struct{ c *Client }

// IsEncrypted says whether a room has m.room.encryption state.
func (s cryptoStateStore) IsEncrypted(ctx context.Context, roomID id.RoomID) (bool, error) {
	s.c.mu.RLock()
	row := s.c.rooms[roomID]
	s.c.mu.RUnlock()
	if row != nil && row.Encrypted {
		return true, nil
	}
	return hasState(ctx, s.c.reads, roomID, event.StateEncryption.Type, "")
}

// GetEncryptionEvent returns a room's m.room.encryption content, or nil.
func (s cryptoStateStore) GetEncryptionEvent(ctx context.Context, roomID id.RoomID) (*event.EncryptionEventContent, error) {
	ev, err := getState(ctx, s.c.db, roomID, event.StateEncryption.Type, "")
	if err != nil || ev == nil {
		return nil, err
	}
	var content event.EncryptionEventContent
	if err := json.Unmarshal(ev.Content.VeryRaw, &content); err != nil {
		return nil, fmt.Errorf("reading the encryption settings of %s: %w", roomID, err)
	}
	return &content, nil
}

// GetHistoryVisibility returns a room's history visibility, or nil.
func (s cryptoStateStore) GetHistoryVisibility(ctx context.Context, roomID id.RoomID) (*event.HistoryVisibilityEventContent, error) {
	ev, err := getState(ctx, s.c.db, roomID, event.StateHistoryVisibility.Type, "")
	if err != nil || ev == nil {
		return nil, err
	}
	var content event.HistoryVisibilityEventContent
	if err := json.Unmarshal(ev.Content.VeryRaw, &content); err != nil {
		return nil, nil
	}
	return &content, nil
}

// FindSharedRooms returns the encrypted rooms the user is joined to or
// invited to, as far as the store knows.
func (s cryptoStateStore) FindSharedRooms(ctx context.Context, userID id.UserID) ([]id.RoomID, error) {
	rows, err := s.c.db.QueryContext(ctx, `SELECT s.room_id, s.event FROM tm_state s JOIN tm_room r ON r.room_id = s.room_id
		WHERE s.type = ? AND s.state_key = ? AND r.encrypted = 1`, event.StateMember.Type, string(userID))
	if err != nil {
		return nil, fmt.Errorf("finding rooms shared with %s: %w", userID, err)
	}
	defer rows.Close()
	var out []id.RoomID
	for rows.Next() {
		var roomID id.RoomID
		var data []byte
		if err := rows.Scan(&roomID, &data); err != nil {
			return nil, fmt.Errorf("finding rooms shared with %s: %w", userID, err)
		}
		var ev struct {
			Content struct {
				Membership event.Membership `json:"membership"`
			} `json:"content"`
		}
		if json.Unmarshal(data, &ev) == nil && (ev.Content.Membership == event.MembershipJoin || ev.Content.Membership == event.MembershipInvite) {
			out = append(out, roomID)
		}
	}
	return out, rows.Err()
}

// encryptionRecipients lists who must get a room's keys: every joined and
// invited member. The full member list is fetched first when sync only
// gave some of it (lazy loading).
func (c *Client) encryptionRecipients(ctx context.Context, roomID id.RoomID) ([]id.UserID, error) {
	c.mu.RLock()
	row := c.rooms[roomID]
	c.mu.RUnlock()
	if row == nil || row.Membership != event.MembershipJoin {
		// Not synced yet (just joined): ask the server.
		resp, err := c.cli.Members(ctx, roomID)
		if err != nil {
			return nil, fmt.Errorf("fetching members of %s: %w", roomID, c.scrub(err))
		}
		var out []id.UserID
		for _, ev := range resp.Chunk {
			if ev == nil || ev.StateKey == nil {
				continue
			}
			var mc struct {
				Membership event.Membership `json:"membership"`
			}
			_ = json.Unmarshal(ev.Content.VeryRaw, &mc)
			if mc.Membership == event.MembershipJoin || mc.Membership == event.MembershipInvite {
				out = append(out, id.UserID(*ev.StateKey))
			}
		}
		return out, nil
	}
	if !row.MembersLoaded {
		if err := c.loadAllMembers(ctx, roomID); err != nil {
			return nil, err
		}
	}
	members, err := loadMemberInfo(ctx, c.db, roomID)
	if err != nil {
		return nil, err
	}
	out := make([]id.UserID, 0, len(members))
	for _, m := range members {
		if m.Membership == event.MembershipJoin || m.Membership == event.MembershipInvite {
			out = append(out, m.UserID)
		}
	}
	return out, nil
}

// lateCallSignal is the CallSignal of a call event decrypted after it was
// stored (its key came late): its age is counted from when it was sent,
// so the calls code rings for a fresh invite only.
func lateCallSignal(roomID id.RoomID, ev *event.Event) (CallSignal, bool) {
	if len(ev.Type.Type) < 7 || ev.Type.Type[:7] != "m.call." {
		return CallSignal{}, false
	}
	age := time.Since(time.UnixMilli(ev.Timestamp))
	if age < 0 {
		age = 0
	}
	return CallSignal{RoomID: roomID, Event: ev, Age: age}, true
}

// roomEncrypted remembers, for one room within one store transaction,
// what cryptoStateStore.IsEncrypted answered: it reads the room list and
// the committed store, neither of which changes before the commit.
type roomEncrypted struct {
	known, encrypted bool
}

// get says whether the crypto machine takes the room for encrypted,
// asking once; a failed lookup counts as encrypted (the machine then
// decides).
func (enc *roomEncrypted) get(ctx context.Context, c *Client, roomID id.RoomID) bool {
	if !enc.known {
		e, err := cryptoStateStore{c}.IsEncrypted(ctx, roomID)
		if err != nil {
			return true
		}
		enc.known, enc.encrypted = true, e
	}
	return enc.encrypted
}

// rotateOnStateChange lets the crypto machine react to a state event
// before it is stored: a membership that really changed (compared with
// the stored one) or a new history visibility discards the room's
// outbound Megolm session, so the next message gets a new key that only
// the current members receive. An event in a room the crypto machine
// takes for unencrypted is skipped at once: such a room has no outbound
// session (one is made only to send into an encrypted room, and leaving a
// room discards it: see forgetRoomSession), and the machine would ignore
// the membership. The answer is kept in enc.
func (c *Client) rotateOnStateChange(ctx context.Context, tx queryer, ev *event.Event, enc *roomEncrypted) error {
	switch ev.Type.Type {
	case event.StateMember.Type:
		if !enc.get(ctx, c, ev.RoomID) {
			return nil
		}
		prev, err := getState(ctx, tx, ev.RoomID, ev.Type.Type, *ev.StateKey)
		if err != nil {
			return err
		}
		if prev != nil && prev.ID == ev.ID {
			return nil
		}
		cp := *ev
		if prev != nil {
			content := prev.Content
			cp.Unsigned.PrevContent = &content
		} else {
			cp.Unsigned.PrevContent = nil
		}
		c.crypto.mach.HandleMemberEvent(ctx, &cp)
	case event.StateHistoryVisibility.Type:
		if !enc.get(ctx, c, ev.RoomID) {
			return nil
		}
		c.crypto.mach.HandleHistoryVisibility(ctx, ev)
	}
	return nil
}

// forgetRoomSession discards the outbound Megolm session of a room the
// user left: should they join again, their first message gets a new key,
// never one the room's members of before hold.
func (c *Client) forgetRoomSession(ctx context.Context, roomID id.RoomID) error {
	if err := c.crypto.store.RemoveOutboundGroupSession(ctx, roomID); err != nil {
		return fmt.Errorf("discarding the outbound session of %s: %w", roomID, err)
	}
	return nil
}
