package calls

import (
	"encoding/json"
	"errors"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls/rtc"
)

// A room's Element Call session is read from its state: every valid,
// unexpired org.matrix.msc3401.call.member (rtc.ParseMember refuses a
// membership whose state key is not its sender's own), plus the sticky
// org.matrix.msc4143.rtc.member events seen in the timeline since start
// (the store keeps no sticky events, so those are best effort: a sticky
// member from before this run is not seen until it refreshes). The
// session is published as RTCSessionChanged whenever its members change,
// and read again at its next membership's expiry.

// rtcSessions is the Controller's view of the rooms' sessions; c.mu guards it.
type rtcSessions struct {
	members map[id.RoomID][]rtc.Membership
	sticky  map[id.RoomID]map[string]rtc.Membership
	expiry  map[id.RoomID]*time.Timer
	ring    *ringState
	stopped bool
}

// memberships reads a room's valid memberships at now, oldest first.
func (c *Controller) memberships(roomID id.RoomID, now time.Time) []rtc.Membership {
	var all []rtc.Membership
	for _, ev := range c.mx.StateEvents(roomID, rtc.MemberStateType) {
		if m, err := rtc.ParseMember(roomID, ev); err == nil {
			all = append(all, m)
		} else if !errors.Is(err, rtc.ErrLeft) {
			c.log.Debug().Err(err).Stringer("room", roomID).Msg("rtc: membership refused")
		}
	}
	c.mu.Lock()
	for _, m := range c.rtc.sticky[roomID] {
		all = append(all, m)
	}
	c.mu.Unlock()
	return rtc.Sorted(all, now)
}

// refreshSession reads a room's session again, publishes it when its
// members changed, and schedules the next read at the earliest expiry.
func (c *Controller) refreshSession(roomID id.RoomID) {
	now := time.Now()
	valid := c.memberships(roomID, now)
	var next time.Time
	for _, m := range valid {
		if next.IsZero() || m.Expires.Before(next) {
			next = m.Expires
		}
	}
	c.mu.Lock()
	if c.rtc.stopped {
		c.mu.Unlock()
		return
	}
	same := sameMemberships(c.rtc.members[roomID], valid)
	if len(valid) == 0 {
		delete(c.rtc.members, roomID)
	} else {
		c.rtc.members[roomID] = valid
	}
	if t := c.rtc.expiry[roomID]; t != nil {
		t.Stop()
		delete(c.rtc.expiry, roomID)
	}
	if !next.IsZero() {
		c.rtc.expiry[roomID] = time.AfterFunc(next.Sub(now)+10*time.Millisecond, func() { c.refreshSession(roomID) })
	}
	c.mu.Unlock()
	c.checkRing(roomID, valid)
	if !same {
		c.publish(RTCSessionChanged{RoomID: roomID, Members: c.rtcMembers(roomID, valid)})
	}
}

// stopSessions stops the expiry timers (Run ends).
func (c *Controller) stopSessions() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rtc.stopped = true
	for _, t := range c.rtc.expiry {
		t.Stop()
	}
	if r := c.rtc.ring; r != nil && r.timer != nil {
		r.timer.Stop()
	}
}

func sameMemberships(a, b []rtc.Membership) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Sender != b[i].Sender || a[i].DeviceID != b[i].DeviceID || a[i].Intent != b[i].Intent {
			return false
		}
	}
	return true
}

// rtcMembers is how a session's memberships are published.
func (c *Controller) rtcMembers(roomID id.RoomID, ms []rtc.Membership) []RTCMember {
	names := map[id.UserID]string{}
	out := make([]RTCMember, 0, len(ms))
	for _, m := range ms {
		name, ok := names[m.Sender]
		if !ok {
			name = c.mx.DisplayName(roomID, m.Sender)
			names[m.Sender] = name
		}
		out = append(out, RTCMember{UserID: m.Sender, DeviceID: m.DeviceID, Name: name, Intent: m.Intent, Sticky: m.Sticky})
	}
	return out
}

// Session returns the room's Element Call session as it stands: its
// members, oldest first, or none.
func (c *Controller) Session(roomID id.RoomID) []RTCMember {
	if c.mx == nil || roomID == "" {
		return nil
	}
	return c.rtcMembers(roomID, c.memberships(roomID, time.Now()))
}

// hasSession says whether an Element Call session runs in the room.
func (c *Controller) hasSession(roomID id.RoomID) bool {
	return len(c.memberships(roomID, time.Now())) > 0
}

// noteSticky keeps a sticky membership (or its leave) seen in the
// timeline and reads the room's session again.
func (c *Controller) noteSticky(roomID id.RoomID, ev *event.Event) {
	m, err := rtc.ParseSticky(roomID, ev)
	key := m.StateKey
	switch {
	case errors.Is(err, rtc.ErrLeft):
		var k struct {
			Key string `json:"msc4354_sticky_key"`
		}
		_ = json.Unmarshal(ev.Content.VeryRaw, &k)
		key = k.Key
	case err != nil:
		c.log.Debug().Err(err).Stringer("room", roomID).Msg("rtc: sticky membership refused")
		return
	}
	if key == "" {
		return
	}
	// A sticky key is the sender's own: one user cannot end another's.
	key = string(ev.Sender) + "\x00" + key
	c.mu.Lock()
	if c.rtc.sticky[roomID] == nil {
		c.rtc.sticky[roomID] = map[string]rtc.Membership{}
	}
	old, had := c.rtc.sticky[roomID][key]
	switch {
	case err != nil:
		delete(c.rtc.sticky[roomID], key)
	case !had || !old.Created.After(m.Created):
		c.rtc.sticky[roomID][key] = m
	}
	c.mu.Unlock()
	c.refreshSession(roomID)
}
