package matrix

import (
	"context"
	"fmt"

	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// encrypt encrypts a message event for an encrypted room. When the room
// has no outbound Megolm session yet, or it expired or was rotated (a
// member left or joined), a new one is made and its key sent, Olm-
// encrypted, to every device of every joined and invited member first
// (the member list is fetched when sync lazy-loaded it). Events of one
// room are encrypted one at a time, so they share sessions and keep their
// order. Errors match ErrEncryptedRoom: nothing may then be sent.
func (c *Client) encrypt(ctx context.Context, roomID id.RoomID, t event.Type, content any) (*event.EncryptedEventContent, error) {
	lock := c.crypto.roomLock(roomID)
	lock.Lock()
	defer lock.Unlock()
	mach := c.crypto.mach
	enc, err := mach.EncryptMegolmEvent(ctx, roomID, t, content)
	if crypto.IsShareError(err) {
		if err = c.shareRoomKey(ctx, roomID); err == nil {
			enc, err = mach.EncryptMegolmEvent(ctx, roomID, t, content)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w (%w)", ErrEncryptedRoom, c.scrub(err))
	}
	return enc, nil
}

// shareRoomKey makes a room's outbound session and sends its key to the
// members' devices. The caller holds the room's lock.
func (c *Client) shareRoomKey(ctx context.Context, roomID id.RoomID) error {
	users, err := c.encryptionRecipients(ctx, roomID)
	if err != nil {
		return fmt.Errorf("listing who gets the room key: %w", err)
	}
	if err := c.crypto.mach.ShareGroupSession(ctx, roomID, users); err != nil {
		return fmt.Errorf("sharing the room key: %w", err)
	}
	c.scheduleBackupUpload()
	return nil
}

// PrepareEncryption makes sure an encrypted room's key is shared with its
// members' devices, so the next event (a call invite above all) goes out
// without that round trip. It does nothing in a room without encryption.
func (c *Client) PrepareEncryption(ctx context.Context, roomID id.RoomID) error {
	enc, err := c.roomEncrypted(ctx, roomID)
	if err != nil || !enc {
		return err
	}
	lock := c.crypto.roomLock(roomID)
	lock.Lock()
	defer lock.Unlock()
	sess, err := c.crypto.store.GetOutboundGroupSession(ctx, roomID)
	if err != nil {
		return fmt.Errorf("preparing encryption: %w", err)
	}
	if sess != nil && sess.Shared && !sess.Expired() {
		return nil
	}
	return c.shareRoomKey(ctx, roomID)
}
