package rtc

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// More event types of MatrixRTC.
var (
	// NotificationType rings or notifies the room of a new call.
	NotificationType = event.Type{Type: "org.matrix.msc4075.rtc.notification", Class: event.MessageEventType}
	// CallNotifyType is the deprecated notification, still read.
	CallNotifyType = event.Type{Type: "org.matrix.msc4075.call.notify", Class: event.MessageEventType}
	// DeclineType declines a ring.
	DeclineType = event.Type{Type: "org.matrix.msc4310.rtc.decline", Class: event.MessageEventType}
	// KeysType carries a member's media key, Olm-encrypted to device.
	KeysType = event.Type{Type: "io.element.call.encryption_keys", Class: event.ToDeviceEventType}
)

// MemberContent is the content of our membership event, as Element Call
// sends it in compatibility mode (multi-SFU). created is zero on the
// first join (receivers use the event's timestamp) and the first join's
// time on refreshes; expires grows by DefaultExpires at each refresh.
func MemberContent(device id.DeviceID, user id.UserID, intent string, t Transport, roomID id.RoomID, created time.Time, expires time.Duration) map[string]any {
	c := map[string]any{
		"application":  "m.call",
		"call_id":      "",
		"scope":        "m.room",
		"device_id":    string(device),
		"membershipID": string(user) + ":" + string(device),
		"expires":      expires.Milliseconds(),
		"focus_active": map[string]any{"type": "livekit", "focus_selection": "multi_sfu"},
		"foci_preferred": []any{map[string]any{
			"type": "livekit", "livekit_service_url": t.ServiceURL, "livekit_alias": string(roomID),
		}},
	}
	if intent != "" {
		c["m.call.intent"] = intent
	}
	if !created.IsZero() {
		c["created_ts"] = created.UnixMilli()
	}
	return c
}

// maxRingLifetime caps how long a ring may claim to last (js-sdk: 90 s).
const maxRingLifetime = 90 * time.Second

// Notification is a parsed ring or notification of a new call.
type Notification struct {
	EventID id.EventID
	RoomID  id.RoomID
	Sender  id.UserID
	// Ring says it asks to ring (notification_type / notify_type "ring");
	// otherwise it only notifies.
	Ring bool
	// Intent is "audio" or "video" ("" when not said).
	Intent string
	// Membership is the event ID of the caller's membership it refers to.
	Membership id.EventID
	// Until is when it stops ringing.
	Until time.Time
	// ForUs says it mentions the room or us.
	ForUs bool
}

// ParseNotification reads an org.matrix.msc4075.rtc.notification or the
// deprecated org.matrix.msc4075.call.notify for user me. The time it
// rings from is sender_ts unless that is more than 20 s from the server's
// timestamp (MSC4075); lifetimes are capped at 90 s.
func ParseNotification(ev *event.Event, me id.UserID) (Notification, error) {
	if ev == nil {
		return Notification{}, errors.New("no event")
	}
	var c struct {
		Mentions *struct {
			UserIDs []id.UserID `json:"user_ids"`
			Room    bool        `json:"room"`
		} `json:"m.mentions"`
		NotificationType string `json:"notification_type"`
		NotifyType       string `json:"notify_type"`
		Application      string `json:"application"`
		RelatesTo        *struct {
			RelType string     `json:"rel_type"`
			EventID id.EventID `json:"event_id"`
		} `json:"m.relates_to"`
		SenderTS int64  `json:"sender_ts"`
		Lifetime int64  `json:"lifetime"`
		Intent   string `json:"m.call.intent"`
	}
	if err := json.Unmarshal(ev.Content.VeryRaw, &c); err != nil {
		return Notification{}, fmt.Errorf("call notification content: %w", err)
	}
	n := Notification{EventID: ev.ID, RoomID: ev.RoomID, Sender: ev.Sender, Intent: c.Intent}
	start := time.UnixMilli(ev.Timestamp)
	life := 30 * time.Second
	switch ev.Type.Type {
	case NotificationType.Type:
		n.Ring = c.NotificationType == "ring"
		if c.SenderTS > 0 {
			if st := time.UnixMilli(c.SenderTS); st.Sub(start).Abs() <= 20*time.Second {
				start = st
			}
		}
		if c.Lifetime > 0 {
			life = time.Duration(min(c.Lifetime, maxRingLifetime.Milliseconds())) * time.Millisecond
		}
		if c.RelatesTo != nil && c.RelatesTo.RelType == "m.reference" {
			n.Membership = c.RelatesTo.EventID
		}
	case CallNotifyType.Type:
		if c.Application != "" && c.Application != "m.call" {
			return Notification{}, fmt.Errorf("call notify for application %q", c.Application)
		}
		n.Ring = c.NotifyType == "ring"
	default:
		return Notification{}, fmt.Errorf("%s is not a call notification", ev.Type.Type)
	}
	n.Until = start.Add(life)
	if c.Mentions != nil && ev.Sender != me {
		n.ForUs = c.Mentions.Room
		for _, u := range c.Mentions.UserIDs {
			n.ForUs = n.ForUs || u == me
		}
	}
	return n, nil
}

// NotificationContent is the ring (ring true: a DM) or notification we
// send after our membership, as js-sdk's sendCallNotify does.
func NotificationContent(membership id.EventID, ring bool, intent string, now time.Time) map[string]any {
	kind := "notification"
	if ring {
		kind = "ring"
	}
	return map[string]any{
		"m.mentions":        map[string]any{"user_ids": []string{}, "room": true},
		"notification_type": kind,
		"m.relates_to":      map[string]any{"rel_type": "m.reference", "event_id": string(membership)},
		"sender_ts":         now.UnixMilli(),
		"lifetime":          30000,
		"m.call.intent":     intent,
	}
}

// DeclineContent declines the ring with this event ID.
func DeclineContent(notification id.EventID) map[string]any {
	return map[string]any{"m.relates_to": map[string]any{"rel_type": "m.reference", "event_id": string(notification)}}
}

// MediaKey is one member's media key as received.
type MediaKey struct {
	RoomID id.RoomID
	// Sender and Device are who sent it, from the Olm session it came in
	// (never from the content); ClaimedDevice is what the content says.
	Sender        id.UserID
	Device        id.DeviceID
	ClaimedDevice id.DeviceID
	MemberID      string
	Index         uint8
	Key           []byte
	Sent          time.Time
}

// ParseKeys reads a decrypted io.element.call.encryption_keys to-device
// content. The key must decode (padded, unpadded or URL-safe base64) to
// 16 to 64 bytes and the index be 0–255; only the room call counts.
func ParseKeys(raw json.RawMessage) (MediaKey, error) {
	var c struct {
		Keys *struct {
			Index *int   `json:"index"`
			Key   string `json:"key"`
		} `json:"keys"`
		RoomID id.RoomID `json:"room_id"`
		Member struct {
			ClaimedDevice id.DeviceID `json:"claimed_device_id"`
			ID            string      `json:"id"`
		} `json:"member"`
		Session struct {
			CallID      string `json:"call_id"`
			Application string `json:"application"`
		} `json:"session"`
		SentTS int64 `json:"sent_ts"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return MediaKey{}, fmt.Errorf("media key content: %w", err)
	}
	if c.Keys == nil || c.Keys.Index == nil || *c.Keys.Index < 0 || *c.Keys.Index > 255 {
		return MediaKey{}, errors.New("media key has no index 0-255")
	}
	if c.Session.Application != "m.call" || c.Session.CallID != "" {
		return MediaKey{}, errors.New("media key is not for the room call")
	}
	if c.RoomID == "" {
		return MediaKey{}, errors.New("media key names no room")
	}
	key, err := decodeBase64(c.Keys.Key)
	if err != nil || len(key) < 16 || len(key) > 64 {
		return MediaKey{}, errors.New("media key is not 16 to 64 bytes of base64")
	}
	return MediaKey{
		RoomID: c.RoomID, ClaimedDevice: c.Member.ClaimedDevice, MemberID: c.Member.ID,
		Index: uint8(*c.Keys.Index), Key: key, Sent: time.UnixMilli(c.SentTS),
	}, nil
}

// KeysContent is what we send a member to give them our key at index.
func KeysContent(roomID id.RoomID, user id.UserID, device id.DeviceID, index uint8, key []byte, now time.Time) map[string]any {
	return map[string]any{
		"keys":    map[string]any{"index": int(index), "key": base64.StdEncoding.EncodeToString(key)},
		"room_id": string(roomID),
		"member":  map[string]any{"claimed_device_id": string(device), "id": string(user) + ":" + string(device)},
		"session": map[string]any{"call_id": "", "application": "m.call", "scope": "m.room"},
		"sent_ts": now.UnixMilli(),
	}
}
