package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// ErrEncryptedRoom is the error of a send refused because the room is end-to-
// end encrypted (it has m.room.encryption state) and termatrix cannot encrypt
// yet. Nothing reaches the server: sending cleartext into a room everyone
// believes private would leak it (message bodies, and the SDP and ICE
// candidates of m.call.* signalling).
var ErrEncryptedRoom = errors.New("this room is end-to-end encrypted and termatrix cannot encrypt yet: nothing was sent")

// encryptionCheckTimeout bounds asking the server about a room's encryption.
const encryptionCheckTimeout = 15 * time.Second

// clearOK says whether a message event of type t may go out unencrypted
// even in an encrypted room: redactions are never encrypted, and an
// m.room.encrypted event is ciphertext already.
func clearOK(t event.Type) bool {
	return t.Type == event.EventRedaction.Type || t.Type == event.EventEncrypted.Type
}

// refuseEncrypted returns ErrEncryptedRoom when roomID is encrypted. A room
// the store knows is judged by its stored state (sync keeps it current; a
// room cannot turn encryption off again). For a room not synced yet (just
// joined, or a client that never ran) the server is asked for the room's
// m.room.encryption state; if that cannot be answered, the send is refused
// too rather than risking cleartext.
func (c *Client) refuseEncrypted(ctx context.Context, roomID id.RoomID) error {
	c.mu.RLock()
	row := c.rooms[roomID]
	c.mu.RUnlock()
	if row != nil && row.Membership == event.MembershipJoin {
		if row.Encrypted {
			return ErrEncryptedRoom
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, encryptionCheckTimeout)
	defer cancel()
	var content json.RawMessage
	err := c.cli.StateEvent(ctx, roomID, event.StateEncryption, "", &content)
	switch {
	case err == nil:
		return ErrEncryptedRoom
	case respErrCode(err) == "M_NOT_FOUND":
		return nil
	default:
		return fmt.Errorf("checking whether %s is encrypted: %w", roomID, c.scrub(err))
	}
}
