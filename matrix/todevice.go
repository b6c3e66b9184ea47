package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// CallKeysToDeviceType is Element Call's media-key to-device event type,
// the one Olm-decrypted type the client publishes (ToDeviceReceived).
const CallKeysToDeviceType = "io.element.call.encryption_keys"

// ToDeviceReceived is an Olm-encrypted to-device event for the app (the
// MatrixRTC media keys), published after the sync it came in is applied.
// Events of the type sent in clear are never published.
type ToDeviceReceived struct {
	// Type is the decrypted event's type.
	Type string
	// Sender is who sent it and SenderDevice the device whose Olm session
	// it came through (found by the session's verified sender key, never
	// from the content).
	Sender       id.UserID
	SenderDevice id.DeviceID
	// Encrypted says it arrived as m.room.encrypted (always true: a
	// cleartext one is dropped), for those who check.
	Encrypted bool
	// Content is the decrypted content: remote data.
	Content json.RawMessage
}

func (ToDeviceReceived) isUpdate() {}

// appToDeviceType says a decrypted to-device type is for the app.
func appToDeviceType(t string) bool { return t == CallKeysToDeviceType }

// toDeviceTimeout bounds one encrypted to-device send (keys, sessions).
const toDeviceTimeout = 30 * time.Second

// SendToDeviceEncrypted sends content as an Olm-encrypted to-device event
// of type t to the given devices (claiming one-time keys and making Olm
// sessions where none exists). Nothing goes in clear: a device it cannot
// encrypt for (unknown, no one-time key) gets nothing, and the error
// names how many were skipped after the rest were sent.
func (c *Client) SendToDeviceEncrypted(ctx context.Context, t event.Type, to map[id.UserID][]id.DeviceID, content any) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if c.crypto == nil {
		return errors.New("sending encrypted to-device events: end-to-end encryption is off")
	}
	raw, err := json.Marshal(content)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", t.Type, err)
	}
	t.Class = event.ToDeviceEventType
	ctx, cancel := context.WithTimeout(ctx, toDeviceTimeout)
	defer cancel()
	var skipped []string
	req := &mautrix.ReqSendToDevice{Messages: map[id.UserID]map[id.DeviceID]*event.Content{}}
	want := 0
	for user, devices := range to {
		for _, d := range devices {
			dev, err := c.crypto.mach.GetOrFetchDevice(ctx, user, d)
			if err != nil || dev == nil {
				skipped = append(skipped, string(user)+" "+string(d))
				continue
			}
			if req.Messages[user] == nil {
				req.Messages[user] = map[id.DeviceID]*event.Content{}
			}
			req.Messages[user][d] = &event.Content{VeryRaw: raw}
			want++
		}
	}
	if want > 0 {
		enc, err := c.crypto.mach.EncryptToDevices(ctx, t, req)
		if err != nil {
			return fmt.Errorf("encrypting %s to devices: %w", t.Type, c.scrub(err))
		}
		sent := 0
		for user, devices := range req.Messages {
			for d := range devices {
				if _, ok := enc.Messages[user][d]; ok {
					sent++
				} else {
					skipped = append(skipped, string(user)+" "+string(d))
				}
			}
		}
		if sent > 0 {
			if _, err := c.cli.SendToDevice(ctx, event.ToDeviceEncrypted, enc); err != nil {
				return fmt.Errorf("sending %s to devices: %w", t.Type, c.scrub(err))
			}
		}
	}
	if len(skipped) > 0 {
		sort.Strings(skipped)
		return fmt.Errorf("sending %s: no Olm session could be made with %d device(s): %s", t.Type, len(skipped), strings.Join(skipped, ", "))
	}
	return nil
}

// processToDevice does what the Olm machine's ProcessSyncResponse does
// (device lists, to-device events, one-time-key counts), and returns the
// Olm-decrypted to-device events of the app's types, which the machine
// would drop, as updates to publish. otkCounted says whether the response
// had a one-time-key count (see otkCheckDue). Called with identityMu held.
func (c *Client) processToDevice(ctx context.Context, resp *mautrix.RespSync, since string, otkCounted bool) []Update {
	mach := c.crypto.mach
	mach.HandleDeviceLists(ctx, &resp.DeviceLists, since)
	var ups []Update
	for _, ev := range resp.ToDevice.Events {
		if ev == nil {
			continue
		}
		ev.Type.Class = event.ToDeviceEventType
		if err := ev.Content.ParseRaw(ev.Type); err != nil {
			c.log.Debug().Str("type", ev.Type.Type).Err(err).Msg("unparsable to-device event")
			continue
		}
		if _, ok := ev.Content.Parsed.(*event.EncryptedEventContent); !ok || (ev.ToUserID != "" && ev.ToUserID != c.sess.UserID) {
			mach.HandleToDeviceEvent(ctx, ev)
			continue
		}
		dec := mach.HandleEncryptedEvent(ctx, ev)
		if dec == nil || !appToDeviceType(dec.Type.Type) || dec.Sender != ev.Sender {
			continue
		}
		dev := dec.SenderDevice
		if dev == nil {
			fctx, cancel := context.WithTimeout(ctx, trackSenderTimeout)
			dev, _ = mach.GetOrFetchDeviceByKey(fctx, dec.Sender, dec.SenderKey)
			cancel()
		}
		if dev == nil || dev.UserID != dec.Sender {
			c.log.Debug().Str("type", dec.Type.Type).Msg("dropping a to-device event from an unknown device")
			continue
		}
		ups = append(ups, ToDeviceReceived{
			Type: dec.Type.Type, Sender: dec.Sender, SenderDevice: dev.DeviceID,
			Encrypted: true, Content: json.RawMessage(dec.Content.VeryRaw),
		})
	}
	if now := time.Now(); otkCheckDue(otkCounted, c.crypto.otkUncountedAt, now) {
		if !otkCounted {
			c.crypto.otkUncountedAt = now
		}
		mach.HandleOTKCounts(ctx, &resp.DeviceOTKCount)
	}
	mach.MarkOlmHashSavePoint(ctx)
	return ups
}

// otkRecheck is how often a sync without a one-time-key count has the
// server's count checked.
const otkRecheck = time.Minute

// otkCheckDue says whether a sync's one-time-key count goes to the Olm
// machine, which uploads keys when fewer than half remain on the server.
// A count in the response always does (cheap unless keys are needed).
// Without one the machine reads zero and, within a minute of its last
// upload, asks the server for the count (a request per sync otherwise):
// a server may leave the field out (Dendrite does when no key is left,
// a load generator always), so that is done at most once a minute
// (lastUncounted: when it was last done).
func otkCheckDue(counted bool, lastUncounted, now time.Time) bool {
	return counted || lastUncounted.IsZero() || now.Sub(lastUncounted) >= otkRecheck
}
