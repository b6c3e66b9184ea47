package matrix

import (
	"context"
	"fmt"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix/e2ee"
)

// keyRequestTimeout bounds sending one room key request.
const keyRequestTimeout = 30 * time.Second

// uploadDeviceKeys publishes this device's identity and one-time keys the
// first time it syncs (the account is new), so others can encrypt for it.
// Setting up or recovering cross-signing calls it too, since that may come
// before the first sync; mautrix serialises the uploads.
func (c *Client) uploadDeviceKeys(ctx context.Context) error {
	if c.keysShared.Load() {
		return nil
	}
	mach := c.crypto.mach
	if !mach.GetAccount().Shared {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := mach.ShareKeys(rctx, -1)
		cancel()
		if err != nil {
			return fmt.Errorf("uploading this device's encryption keys: %w", c.scrub(err))
		}
	}
	c.keysShared.Store(true)
	return nil
}

// noteWithheld notes the sessions a sync's to-device m.room_key.withheld
// events name, so stored events waiting for them say why the key will not
// come.
func (c *Client) noteWithheld(resp *mautrix.RespSync) {
	for _, ev := range resp.ToDevice.Events {
		if ev == nil {
			continue
		}
		if ev.Type.Type != event.ToDeviceRoomKeyWithheld.Type && ev.Type.Type != event.ToDeviceOrgMatrixRoomKeyWithheld.Type {
			continue
		}
		if w, ok := ev.Content.Parsed.(*event.RoomKeyWithheldEventContent); ok && w.SessionID != "" {
			c.crypto.noteReceived(w.SessionID)
		}
	}
}

// requestMissingKeys asks this user's other devices for the keys of
// events in the published updates that wait for one, once per session.
// Element's devices answer requests from devices their user verified.
func (c *Client) requestMissingKeys(ups []Update) {
	type want struct {
		roomID    id.RoomID
		senderKey id.SenderKey
		sessionID id.SessionID
	}
	var wants []want
	cc := c.crypto
	cc.requestedMu.Lock()
	for _, u := range ups {
		ta, ok := u.(TimelineAppended)
		if !ok {
			continue
		}
		for _, ev := range ta.Events {
			ud, ok := ev.Content.Parsed.(*Undecryptable)
			if !ok || ud.Failure.Kind != e2ee.Waiting || ud.Failure.SessionID == "" || cc.requested[ud.Failure.SessionID] {
				continue
			}
			cc.requested[ud.Failure.SessionID] = true
			wants = append(wants, want{ta.RoomID, ud.Failure.SenderKey, ud.Failure.SessionID})
		}
	}
	cc.requestedMu.Unlock()
	if len(wants) == 0 {
		return
	}
	c.goBackground(func(ctx context.Context) {
		// The key backup first, where we hold its key: no other device
		// needs to be online for that.
		if key := c.backupKey(ctx); key != nil {
			version := c.crypto.mach.GetAccount().KeyBackupVersion
			found := false
			for _, w := range wants {
				if version == "" {
					break
				}
				rctx, cancel := context.WithTimeout(ctx, keyRequestTimeout)
				data, err := c.cli.GetKeyBackupForRoomAndSession(rctx, version, w.roomID, w.sessionID)
				cancel()
				if err != nil || data == nil {
					continue
				}
				sd, err := data.SessionData.Decrypt(key)
				if err != nil {
					continue
				}
				if _, err := cc.mach.ImportRoomKeyFromBackup(ctx, version, w.roomID, w.sessionID, sd); err == nil {
					cc.noteReceived(w.sessionID)
					found = true
				}
			}
			if found {
				c.writeMu.Lock()
				err := c.retryUndecryptableLocked(ctx)
				c.writeMu.Unlock()
				if err != nil {
					c.log.Warn().Err(err).Msg("decrypting events with keys from the backup")
				}
			}
		}
		for _, w := range wants {
			rctx, cancel := context.WithTimeout(ctx, keyRequestTimeout)
			err := cc.mach.SendRoomKeyRequest(rctx, w.roomID, w.senderKey, w.sessionID, "",
				map[id.UserID][]id.DeviceID{c.sess.UserID: {"*"}})
			cancel()
			if err != nil {
				c.log.Debug().Err(c.scrub(err)).Stringer("session_id", w.sessionID).Msg("requesting a room key")
			}
		}
	})
}

// trackSenderTimeout bounds fetching the device keys of new senders.
const trackSenderTimeout = 15 * time.Second

// trackSenders fetches, before the sync is stored, the device keys of
// users (senders of the sync's encrypted events) whose devices this session does not track
// yet, so decryption (which makes no network request) can tell which
// device sent each event and whether its owner verified it. It also
// starts tracking them: later device changes come with the sync.
func (c *Client) trackSenders(ctx context.Context, users []id.UserID) {
	if len(users) == 0 {
		return
	}
	tracked, err := c.crypto.store.FilterTrackedUsers(ctx, users)
	if err != nil {
		return
	}
	known := make(map[id.UserID]bool, len(tracked))
	for _, u := range tracked {
		known[u] = true
	}
	var missing []id.UserID
	for _, u := range users {
		if !known[u] {
			missing = append(missing, u)
		}
	}
	if len(missing) == 0 {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, trackSenderTimeout)
	defer cancel()
	if _, err := c.crypto.mach.FetchKeys(rctx, missing, true); err != nil {
		c.log.Debug().Err(c.scrub(err)).Msg("fetching the device keys of senders")
	}
}
