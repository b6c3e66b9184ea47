package calls

import (
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls/rtc"
)

// An Element Call rings us when a ring notification (MSC4075, and the
// deprecated call.notify) addressed to us arrives while it is fresh:
// rtc.ParseNotification gives its end (at most 90 s after it was sent),
// so one from an old sync or from history never rings; nor does any that
// comes before the client's first sync is done (the catch-up of an initial
// sync or a restart: the server's timestamp of a notification relayed late
// is still fresh, so only this tells it from a live one). It stops at that
// end, when the caller's membership goes away, when one of our devices
// joins the call or declines it, or when we answer or decline here.

// ringState is the ringing call; c.mu guards it.
type ringState struct {
	RTCRing
	callerSeen bool
	timer      *time.Timer
}

// onRTCTimeline looks at a room's new timeline events for rings,
// declines and sticky memberships; catchUp says they came before the
// first sync was done, and then nothing rings.
func (c *Controller) onRTCTimeline(roomID id.RoomID, evs []*event.Event, catchUp bool) {
	for _, ev := range evs {
		if !rtcTimelineEvent(ev) {
			continue
		}
		switch ev.Type.Type {
		case rtc.NotificationType.Type, rtc.CallNotifyType.Type:
			if !catchUp {
				c.maybeRing(roomID, ev)
			}
		case rtc.DeclineType.Type:
			if ev.Sender == c.mx.UserID() {
				c.stopRing(referenced(ev), "declined on another device")
			}
		case rtc.StickyMemberType.Type:
			c.noteSticky(roomID, ev)
		}
	}
}

// rtcTimelineEvent tells whether onRTCTimeline acts on ev: a ring
// notification, a decline or a sticky membership (not a state event).
func rtcTimelineEvent(ev *event.Event) bool {
	if ev == nil || ev.StateKey != nil {
		return false
	}
	switch ev.Type.Type {
	case rtc.NotificationType.Type, rtc.CallNotifyType.Type, rtc.DeclineType.Type, rtc.StickyMemberType.Type:
		return true
	}
	return false
}

// hasRTCTimelineEvent tells whether any of evs is an rtcTimelineEvent.
func hasRTCTimelineEvent(evs []*event.Event) bool {
	for _, ev := range evs {
		if rtcTimelineEvent(ev) {
			return true
		}
	}
	return false
}

// referenced is the event an m.reference relation points at, "-" (no
// ring's ID) if none.
func referenced(ev *event.Event) id.EventID {
	if r := rtc.ReferencedEvent(ev); r != "" {
		return r
	}
	return "-"
}

// maybeRing rings for a fresh ring notification addressed to us.
func (c *Controller) maybeRing(roomID id.RoomID, ev *event.Event) {
	me := c.mx.UserID()
	n, err := rtc.ParseNotification(ev, me)
	if err != nil || !n.Ring || !n.ForUs {
		return
	}
	now := time.Now()
	if !now.Before(n.Until) {
		return // stale: from history or an old sync
	}
	if ec := c.elementCall(); ec != nil {
		if a, ok := ec.Active(); ok && a.RoomID == roomID && a.State != rtc.CallEnded {
			return // we are in it
		}
	}
	members := c.memberships(roomID, now)
	callerSeen := false
	for _, m := range members {
		if m.Sender == me {
			return // one of our devices is in the call already
		}
		callerSeen = callerSeen || m.Sender == n.Sender
	}
	r := &ringState{RTCRing: RTCRing{
		RoomID: roomID, EventID: n.EventID, Sender: n.Sender, SenderName: c.mx.DisplayName(roomID, n.Sender),
		Video: n.Intent == "video", Until: n.Until,
	}, callerSeen: callerSeen}
	c.mu.Lock()
	if c.rtc.stopped || c.rtc.ring != nil && c.rtc.ring.EventID == n.EventID {
		c.mu.Unlock()
		return
	}
	if old := c.rtc.ring; old != nil && old.timer != nil {
		old.timer.Stop()
	}
	r.timer = time.AfterFunc(n.Until.Sub(now), func() { c.stopRing(n.EventID, "no answer") })
	c.rtc.ring = r
	ring := r.RTCRing
	c.mu.Unlock()
	c.publish(RTCRingChanged{RoomID: roomID, Ring: &ring})
}

// stopRing stops the ring with this notification ID ("" any), saying why.
func (c *Controller) stopRing(notification id.EventID, reason string) {
	c.mu.Lock()
	r := c.rtc.ring
	if r == nil || notification != "" && r.EventID != notification {
		c.mu.Unlock()
		return
	}
	if r.timer != nil {
		r.timer.Stop()
	}
	c.rtc.ring = nil
	c.mu.Unlock()
	c.publish(RTCRingChanged{RoomID: r.RoomID, Reason: reason})
}

// checkRing stops the room's ring when one of our devices joined the
// call or the caller, once seen in it, left it.
func (c *Controller) checkRing(roomID id.RoomID, members []rtc.Membership) {
	me := c.mx.UserID()
	c.mu.Lock()
	r := c.rtc.ring
	if r == nil || r.RoomID != roomID {
		c.mu.Unlock()
		return
	}
	caller, ours := false, false
	for _, m := range members {
		caller = caller || m.Sender == r.Sender
		ours = ours || m.Sender == me
	}
	left := r.callerSeen && !caller
	r.callerSeen = r.callerSeen || caller
	ringID := r.EventID
	c.mu.Unlock()
	switch {
	case ours:
		c.stopRing(ringID, "answered on another device")
	case left:
		c.stopRing(ringID, "the caller left")
	}
}

// Ringing returns the Element Call ringing us, if any.
func (c *Controller) Ringing() (RTCRing, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rtc.ring == nil {
		return RTCRing{}, false
	}
	return c.rtc.ring.RTCRing, true
}

// ringIn returns the ring of a room ("" any room).
func (c *Controller) ringIn(roomID id.RoomID) (RTCRing, bool) {
	r, ok := c.Ringing()
	if !ok || roomID != "" && r.RoomID != roomID {
		return RTCRing{}, false
	}
	return r, true
}

// AnswerRing answers the Element Call ringing us (in roomID, or any room
// when it is ""): it joins the session with the ring's intent.
func (c *Controller) AnswerRing(roomID id.RoomID) {
	c.onRing(roomID, "join", func(ec ElementCall, r RTCRing) error { return ec.Join(r.RoomID, r.Video, false) })
}

// DeclineRing declines the Element Call ringing us (org.matrix.msc4310.rtc.decline).
func (c *Controller) DeclineRing(roomID id.RoomID) {
	c.onRing(roomID, "decline", func(ec ElementCall, r RTCRing) error { return ec.Decline(r.RoomID, r.EventID) })
}

// onRing stops the ring in roomID (any room when "") and does act with it
// in the background; a failure is told as "Could not VERB the call".
func (c *Controller) onRing(roomID id.RoomID, verb string, act func(ElementCall, RTCRing) error) {
	r, ok := c.ringIn(roomID)
	if !ok {
		c.status(roomID, false, "No call is ringing.")
		return
	}
	ec := c.elementCall()
	if ec == nil {
		c.status(r.RoomID, true, msgNoElementCall)
		return
	}
	c.stopRing(r.EventID, "")
	go func() {
		if err := act(ec, r); err != nil {
			c.status(r.RoomID, true, "Could not %s the call: %s", verb, err)
		}
	}()
}
