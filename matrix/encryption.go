package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"maunium.net/go/mautrix"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// ErrEncryptedRoom is the error of a send refused because the room is
// end-to-end encrypted (it has m.room.encryption state) and the event could
// not be encrypted (no room key could be shared, the crypto store failed).
// Nothing reaches the server then: cleartext never goes into a room
// everyone believes private (message bodies, and the SDP and ICE candidates
// of m.call.* signalling).
var ErrEncryptedRoom = errors.New("this room is end-to-end encrypted and the message could not be encrypted: nothing was sent")

// encryptionCheckTimeout bounds asking the server about a room's encryption.
const encryptionCheckTimeout = 15 * time.Second

// clearOK says whether a message event of type t goes out unencrypted
// even in an encrypted room: redactions are never encrypted, and an
// m.room.encrypted event is ciphertext already.
func clearOK(t event.Type) bool {
	return t.Type == event.EventRedaction.Type || t.Type == event.EventEncrypted.Type
}

// roomEncrypted says whether roomID is end-to-end encrypted. A room the
// store knows as encrypted is (a room cannot turn encryption off again).
// A room the store knows as unencrypted is checked with the server once
// per session before the first message goes into it: sync can lag behind
// the room's state (a room just created with encryption in its initial
// state can be synced before its m.room.encryption event), and a stale
// "unencrypted" would send cleartext. After that, sync keeps it current.
// A room not synced yet is asked about the same way. If the server cannot
// answer, the error says so and the caller must not send.
func (c *Client) roomEncrypted(ctx context.Context, roomID id.RoomID) (bool, error) {
	c.mu.RLock()
	row := c.rooms[roomID]
	c.mu.RUnlock()
	if row != nil && row.Membership == event.MembershipJoin {
		if row.Encrypted {
			return true, nil
		}
		if _, checked := c.clearChecked.Load(roomID); checked {
			return false, nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, encryptionCheckTimeout)
	defer cancel()
	var content json.RawMessage
	err := c.cli.StateEvent(ctx, roomID, event.StateEncryption, "", &content)
	switch {
	case err == nil:
		return true, nil
	case respErrCode(err) == "M_NOT_FOUND":
		if row != nil && row.Membership == event.MembershipJoin {
			c.clearChecked.Store(roomID, true)
		}
		return false, nil
	default:
		return false, fmt.Errorf("checking whether %s is encrypted: %w", roomID, c.scrub(err))
	}
}

// sendMessage sends a message event, encrypted when the room is: the one
// path every message event takes to the server.
func (c *Client) sendMessage(ctx context.Context, roomID id.RoomID, t event.Type, content any, txnID string) (id.EventID, error) {
	t, content, err := c.seal(ctx, roomID, t, content)
	if err != nil {
		return "", err
	}
	return c.putMessage(ctx, roomID, t, content, txnID)
}

// seal returns what goes on the wire for a message event: the event as it
// is, or in an encrypted room its m.room.encrypted ciphertext. Errors
// (ErrEncryptedRoom among them) mean nothing may be sent.
func (c *Client) seal(ctx context.Context, roomID id.RoomID, t event.Type, content any) (event.Type, any, error) {
	t.Class = event.MessageEventType
	if clearOK(t) {
		return t, content, nil
	}
	enc, err := c.roomEncrypted(ctx, roomID)
	if err != nil {
		return t, nil, err
	}
	if !enc {
		return t, content, nil
	}
	encrypted, err := c.encrypt(ctx, roomID, t, content)
	if err != nil {
		return t, nil, err
	}
	return event.EventEncrypted, encrypted, nil
}

// putMessage sends sealed content (see seal) as is, under txnID.
func (c *Client) putMessage(ctx context.Context, roomID id.RoomID, t event.Type, content any, txnID string) (id.EventID, error) {
	t.Class = event.MessageEventType
	resp, err := c.cli.SendMessageEvent(ctx, roomID, t, content, mautrix.ReqSendEvent{TransactionID: txnID, DontEncrypt: true})
	if err != nil {
		return "", c.scrub(err)
	}
	return resp.EventID, nil
}
