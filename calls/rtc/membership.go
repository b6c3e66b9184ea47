package rtc

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Event types of MatrixRTC as Element Call sends them today.
var (
	// MemberStateType is the call membership state event (compatibility
	// mode), one per device, state key "_@user:server_DEVICE_m.call".
	MemberStateType = event.Type{Type: "org.matrix.msc3401.call.member", Class: event.StateEventType}
	// StickyMemberType is the sticky membership of matrix_2_0-mode clients
	// (MSC4143 + MSC4354); we read it but do not send it.
	StickyMemberType = event.Type{Type: "org.matrix.msc4143.rtc.member", Class: event.MessageEventType}
)

// DefaultExpires is how long a membership stays valid after it was
// created when it names no expiry (js-sdk DEFAULT_EXPIRE_DURATION, 4 h).
const DefaultExpires = 4 * time.Hour

// maxExpires bounds what a membership may claim, so a hostile one cannot
// keep a ghost in the call for ever (a real client refreshes well within
// it: each refresh grows expires by 4 h).
const maxExpires = 7 * 24 * time.Hour

// Transport is a LiveKit SFU as memberships and transports name it.
type Transport struct {
	Type       string `json:"type"`
	ServiceURL string `json:"livekit_service_url,omitempty"`
	Alias      string `json:"livekit_alias,omitempty"`
}

// Membership is one device's valid membership of a room's call.
type Membership struct {
	RoomID   id.RoomID
	Sender   id.UserID
	DeviceID id.DeviceID
	// StateKey is the membership's state key (state-event members) or
	// sticky key (sticky members).
	StateKey string
	EventID  id.EventID
	// MemberID is the js-sdk member ID ("@user:server:DEVICE" unless the
	// membership names another).
	MemberID string
	// Identity is the member's LiveKit participant identity.
	Identity string
	// Intent is "audio" or "video" (m.call.intent), "" when not said.
	Intent string
	// Transport is the SFU this member publishes on (multi-SFU: its first
	// preferred one; oldest-membership mode: resolved by the Session).
	Transport Transport
	// OldestSelection says the member uses the oldest member's SFU
	// (focus_selection "oldest_membership", legacy mode).
	OldestSelection bool
	Created         time.Time
	Expires         time.Time
	// Sticky says it came from an org.matrix.msc4143.rtc.member event.
	Sticky bool
}

// Valid reports whether the membership is current at now.
func (m Membership) Valid(now time.Time) bool { return now.Before(m.Expires) }

// memberContent is the compatibility-mode membership content.
type memberContent struct {
	Application  *string         `json:"application"`
	CallID       *string         `json:"call_id"`
	Scope        string          `json:"scope"`
	DeviceID     *string         `json:"device_id"`
	MembershipID string          `json:"membershipID"`
	Expires      *int64          `json:"expires"`
	Intent       string          `json:"m.call.intent"`
	FocusActive  json.RawMessage `json:"focus_active"`
	FociPref     json.RawMessage `json:"foci_preferred"`
	CreatedTS    *int64          `json:"created_ts"`
}

// MemberStateKey is the state key our device's membership goes under.
func MemberStateKey(user id.UserID, device id.DeviceID) string {
	return "_" + string(user) + "_" + string(device) + "_m.call"
}

// ErrLeft says a membership event is a leave ({} content): not an error to
// report, the device just is not in the call.
var ErrLeft = errors.New("left the call")

// ParseMember reads an org.matrix.msc3401.call.member state event. It
// returns ErrLeft for a leave and an error saying what is wrong for an
// invalid one; only memberships of the room call (application "m.call",
// call_id "") count. The state key must be the sender's own
// ("_@user_DEVICE_m.call" or without the leading "_") and name the
// content's device, so nobody can add a device of someone else to a call.
func ParseMember(roomID id.RoomID, ev *event.Event) (Membership, error) {
	if ev == nil || ev.StateKey == nil {
		return Membership{}, errors.New("not a state event")
	}
	raw := ev.Content.VeryRaw
	if len(raw) == 0 {
		return Membership{}, ErrLeft
	}
	var c memberContent
	if err := json.Unmarshal(raw, &c); err != nil {
		return Membership{}, fmt.Errorf("membership content: %w", err)
	}
	if c.Application == nil && c.DeviceID == nil && c.CallID == nil && len(c.FocusActive) == 0 {
		return Membership{}, ErrLeft
	}
	if c.Application == nil || c.CallID == nil || c.DeviceID == nil {
		return Membership{}, errors.New("membership lacks application, call_id or device_id")
	}
	if *c.Application != "m.call" || *c.CallID != "" {
		return Membership{}, fmt.Errorf("not the room call (application %q, call_id %q)", *c.Application, *c.CallID)
	}
	if c.Scope != "" && c.Scope != "m.room" {
		return Membership{}, fmt.Errorf("scope %q is not m.room", c.Scope)
	}
	device := *c.DeviceID
	if device == "" || len(device) > 255 {
		return Membership{}, errors.New("membership device_id is empty or too long")
	}
	key := *ev.StateKey
	own := MemberStateKey(ev.Sender, id.DeviceID(device))
	if key != own && key != own[1:] {
		return Membership{}, fmt.Errorf("state key %q is not the sender's own for device %q", key, device)
	}
	var active struct {
		Type      *string `json:"type"`
		Selection string  `json:"focus_selection"`
	}
	if err := json.Unmarshal(c.FocusActive, &active); err != nil || active.Type == nil {
		return Membership{}, errors.New("membership focus_active has no type")
	}
	var foci []Transport
	if err := json.Unmarshal(c.FociPref, &foci); err != nil {
		return Membership{}, errors.New("membership foci_preferred is not a list of transports")
	}
	for _, f := range foci {
		if f.Type == "" {
			return Membership{}, errors.New("a preferred transport has no type")
		}
	}
	m := Membership{
		RoomID:          roomID,
		Sender:          ev.Sender,
		DeviceID:        id.DeviceID(device),
		StateKey:        key,
		EventID:         ev.ID,
		MemberID:        c.MembershipID,
		Identity:        string(ev.Sender) + ":" + device,
		Intent:          c.Intent,
		OldestSelection: active.Selection == "oldest_membership",
	}
	if m.MemberID == "" {
		m.MemberID = m.Identity
	}
	if len(foci) > 0 {
		m.Transport = foci[0]
	}
	m.Created = time.UnixMilli(ev.Timestamp)
	if c.CreatedTS != nil && *c.CreatedTS > 0 {
		m.Created = time.UnixMilli(*c.CreatedTS)
	}
	exp := DefaultExpires
	if c.Expires != nil {
		if *c.Expires <= 0 {
			return Membership{}, errors.New("membership expires is not positive")
		}
		exp = min(time.Duration(min(*c.Expires, int64(maxExpires/time.Millisecond)))*time.Millisecond, maxExpires)
	}
	m.Expires = m.Created.Add(exp)
	return m, nil
}

// stickyContent is a matrix_2_0-mode org.matrix.msc4143.rtc.member.
type stickyContent struct {
	Application *struct {
		Type   string `json:"type"`
		Intent string `json:"m.call.intent"`
	} `json:"application"`
	SlotID     string      `json:"slot_id"`
	Transports []Transport `json:"rtc_transports"`
	Member     *struct {
		DeviceID string `json:"device_id"`
		UserID   string `json:"user_id"`
		ID       string `json:"id"`
	} `json:"member"`
	StickyKey string `json:"msc4354_sticky_key"`
}

// ParseSticky reads a sticky org.matrix.msc4143.rtc.member event: the
// member must be its sender, the slot the room call. It returns ErrLeft
// for one without an application (a leave for its sticky key).
func ParseSticky(roomID id.RoomID, ev *event.Event) (Membership, error) {
	if ev == nil || ev.Sticky == nil {
		return Membership{}, errors.New("not a sticky event")
	}
	var c stickyContent
	if err := json.Unmarshal(ev.Content.VeryRaw, &c); err != nil {
		return Membership{}, fmt.Errorf("rtc member content: %w", err)
	}
	if c.Application == nil || c.Member == nil {
		return Membership{}, ErrLeft
	}
	if c.Application.Type != "m.call" || c.SlotID != "m.call#ROOM" {
		return Membership{}, fmt.Errorf("not the room call (application %q, slot %q)", c.Application.Type, c.SlotID)
	}
	if c.Member.UserID != string(ev.Sender) || c.Member.DeviceID == "" || c.Member.ID == "" {
		return Membership{}, errors.New("rtc member is not its sender's or lacks device or id")
	}
	m := Membership{
		RoomID: roomID, Sender: ev.Sender, DeviceID: id.DeviceID(c.Member.DeviceID),
		StateKey: c.StickyKey, EventID: ev.ID, MemberID: c.Member.ID,
		Identity: HashedIdentity(ev.Sender, id.DeviceID(c.Member.DeviceID), c.Member.ID),
		Intent:   c.Application.Intent, Sticky: true,
		Created: time.UnixMilli(ev.Timestamp),
	}
	if m.StateKey == "" {
		m.StateKey = c.Member.ID
	}
	if len(c.Transports) > 0 {
		m.Transport = c.Transports[0]
	}
	m.Expires = m.Created.Add(ev.Sticky.GetDuration())
	return m, nil
}

// Sorted returns the memberships valid at now, oldest first (ties by
// identity), one per device: a later event for a device replaces an
// earlier one.
func Sorted(all []Membership, now time.Time) []Membership {
	byDevice := map[string]Membership{}
	for _, m := range all {
		if !m.Valid(now) {
			continue
		}
		k := string(m.Sender) + "\x00" + string(m.DeviceID)
		if old, ok := byDevice[k]; ok && old.Created.After(m.Created) {
			continue
		}
		byDevice[k] = m
	}
	out := make([]Membership, 0, len(byDevice))
	for _, m := range byDevice {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].Identity < out[j].Identity
	})
	// Oldest-membership members publish on the oldest member's SFU.
	if len(out) > 0 {
		for i := range out {
			if out[i].OldestSelection {
				out[i].Transport = out[0].Transport
			}
		}
	}
	return out
}

// IsMemberStateKey reports whether a state key could be a call
// membership's (cheap filter before parsing).
func IsMemberStateKey(key string) bool {
	return strings.HasSuffix(key, "_m.call")
}
