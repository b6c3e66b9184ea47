package calls

import (
	"context"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls/rtc"
	"github.com/termatrix/termatrix/config"
)

// PlanKind is what a voice or video key does in a room.
type PlanKind string

// What a call key does. A call already running in the room is joined
// (answered when it rings us) whatever calls.group and calls.dm say, as
// Element does; otherwise they decide.
const (
	PlanRefuse           PlanKind = "refuse"             // Plan.Why says why
	PlanAnswerRing       PlanKind = "answer-ring"        // answer the Element Call ringing us here
	PlanJoinElementCall  PlanKind = "join-element-call"  // join the room's running Element Call
	PlanInElementCall    PlanKind = "in-element-call"    // we are in it already
	PlanJoinJitsi        PlanKind = "join-jitsi"         // open the room's Jitsi conference
	PlanAnswerOne        PlanKind = "answer-one"         // answer the ringing 1:1 call
	PlanInOne            PlanKind = "in-one"             // a 1:1 call of ours runs here
	PlanStartElementCall PlanKind = "start-element-call" // Plan.Ring: a DM, the other side rings
	PlanStartJitsi       PlanKind = "start-jitsi"
	PlanStartOne         PlanKind = "start-one"
)

// Plan is what a call key does in a room and, for /help, why.
type Plan struct {
	Kind PlanKind
	// Ring says a new Element Call rings the other side (a DM).
	Ring bool
	// Peer is whom a new 1:1 call calls.
	Peer id.UserID
	// Why is the reason for the choice or the refusal, for the user.
	Why string
}

// Describe says in a few words what the plan does.
func (p Plan) Describe() string {
	switch p.Kind {
	case PlanAnswerRing:
		return "answer the ringing Element Call"
	case PlanJoinElementCall:
		return "join the running Element Call"
	case PlanInElementCall:
		return "nothing: you are in this room's Element Call"
	case PlanJoinJitsi:
		return "join the room's Jitsi conference"
	case PlanAnswerOne:
		return "answer the ringing 1:1 call"
	case PlanInOne:
		return "nothing: your 1:1 call runs here"
	case PlanStartElementCall:
		if p.Ring {
			return "start an Element Call that rings them"
		}
		return "start an Element Call"
	case PlanStartJitsi:
		return "start a Jitsi conference"
	case PlanStartOne:
		return "place a 1:1 call"
	}
	return "nothing: " + p.Why
}

// SetElementCall plugs in the Element Call engine (before Run).
func (c *Controller) SetElementCall(ec ElementCall) {
	c.mu.Lock()
	c.ec = ec
	c.mu.Unlock()
}

func (c *Controller) elementCall() ElementCall {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ec
}

// ActiveElementCall returns our Element Call, if any.
func (c *Controller) ActiveElementCall() (rtc.CallInfo, bool) {
	if ec := c.elementCall(); ec != nil {
		if info, ok := ec.Active(); ok && info.State != rtc.CallEnded {
			return info, true
		}
	}
	return rtc.CallInfo{}, false
}

// KeyPlan says what the voice and video keys do in a room now. It may ask
// the ElementCall whether Element Call is available (network, bounded
// by ctx).
func (c *Controller) KeyPlan(ctx context.Context, roomID id.RoomID) Plan {
	n, others := c.callMembers(roomID)
	if r, ok := c.ringIn(roomID); ok && r.RoomID == roomID {
		return Plan{Kind: PlanAnswerRing, Why: "an Element Call rings you here"}
	}
	if info, ok := c.ActiveElementCall(); ok && info.RoomID == roomID {
		return Plan{Kind: PlanInElementCall, Why: "you are in this call"}
	}
	if c.hasSession(roomID) {
		return Plan{Kind: PlanJoinElementCall, Why: "an Element Call runs in this room"}
	}
	if c.currentJitsi(roomID) != nil {
		return Plan{Kind: PlanJoinJitsi, Why: "a Jitsi conference runs in this room"}
	}
	if info, ok := c.ActiveCall(); ok && info.RoomID == roomID {
		if info.State == CallRinging {
			return Plan{Kind: PlanAnswerOne, Why: "a 1:1 call rings you here"}
		}
		return Plan{Kind: PlanInOne, Why: "your 1:1 call runs here"}
	}
	if n <= 1 {
		return Plan{Kind: PlanRefuse, Why: msgCallYourself}
	}
	setting, key, def := c.cfg.Calls.Group, "calls.group", PlanStartJitsi
	if n == 2 {
		setting, key, def = c.cfg.Calls.DM, "calls.dm", PlanStartOne
	}
	fallback := Plan{Kind: def, Why: key + " is " + quoteSetting(setting)}
	if def == PlanStartOne {
		if len(others) != 1 {
			return Plan{Kind: PlanRefuse, Why: "Could not tell who to call in this room."}
		}
		fallback.Peer = others[0]
	}
	switch setting {
	case config.CallElementCall, config.CallAuto:
		ec := c.elementCall()
		ok, reason := false, msgNoElementCall
		if ec != nil {
			ok, reason = ec.Available(ctx, roomID)
		}
		if ok {
			return Plan{Kind: PlanStartElementCall, Ring: n == 2, Why: key + " is " + quoteSetting(setting)}
		}
		if setting == config.CallAuto {
			fallback.Why = key + " is \"auto\" and Element Call is not available here: " + reason
			return fallback
		}
		return Plan{Kind: PlanRefuse, Why: key + " is \"element-call\" but Element Call is not available here: " + reason}
	}
	return fallback
}

func quoteSetting(s string) string {
	if s == "" {
		return "not set (the default)"
	}
	return "\"" + s + "\""
}

// place carries out what a voice or video key does in a room.
func (c *Controller) place(roomID id.RoomID, video bool) {
	start := time.Now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		p := c.KeyPlan(ctx, roomID)
		switch p.Kind {
		case PlanRefuse:
			c.status(roomID, true, "%s", p.Why)
		case PlanAnswerRing:
			c.AnswerRing(roomID)
		case PlanInElementCall:
			c.status(roomID, false, "You are already in this room's call.")
		case PlanJoinElementCall:
			c.joinElementCall(roomID, video, false)
		case PlanStartElementCall:
			c.joinElementCall(roomID, video, p.Ring)
		case PlanJoinJitsi, PlanStartJitsi:
			c.startOrJoin(ctx, roomID, !video, start)
		case PlanAnswerOne:
			c.Answer(roomID)
		case PlanInOne:
			c.status(roomID, false, "You are already in this room's call.")
		case PlanStartOne:
			o := c.one()
			if o == nil {
				c.status(roomID, true, msgNoOneToOne)
				return
			}
			if err := o.PlaceCall(roomID, p.Peer, video); err != nil {
				c.status(roomID, true, "%s", err)
			}
		}
	}()
}

// StartElementCall is /call: it joins the room's Element Call, or starts
// one (ringing the other side in a room of two), whatever the settings.
func (c *Controller) StartElementCall(roomID id.RoomID, video bool) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		if _, ok := c.ringIn(roomID); ok {
			c.AnswerRing(roomID)
			return
		}
		if info, ok := c.ActiveElementCall(); ok && info.RoomID == roomID {
			c.status(roomID, false, "You are already in this room's call.")
			return
		}
		ec := c.elementCall()
		if ec == nil {
			c.status(roomID, true, msgNoElementCall)
			return
		}
		if c.hasSession(roomID) {
			c.joinElementCall(roomID, video, false)
			return
		}
		if ok, reason := ec.Available(ctx, roomID); !ok {
			c.status(roomID, true, "Element Call is not available here: %s", reason)
			return
		}
		n, _ := c.callMembers(roomID)
		c.joinElementCall(roomID, video, n == 2)
	}()
}

// joinElementCall asks the ElementCall to join (or start) the room's call.
func (c *Controller) joinElementCall(roomID id.RoomID, video, ring bool) {
	ec := c.elementCall()
	if ec == nil {
		c.status(roomID, true, msgNoElementCall)
		return
	}
	if err := ec.Join(roomID, video, ring); err != nil {
		c.status(roomID, true, "Could not join the call: %s", err)
	}
}

// LeaveElementCall leaves our Element Call.
func (c *Controller) LeaveElementCall() {
	info, ok := c.ActiveElementCall()
	ec := c.elementCall()
	if !ok || ec == nil {
		c.status("", false, "No call in progress.")
		return
	}
	go func() {
		if err := ec.Leave(info.RoomID); err != nil {
			c.status(info.RoomID, true, "Could not leave the call: %s", err)
		}
	}()
}

// ToggleElementCallMute mutes or unmutes our microphone in the Element Call.
func (c *Controller) ToggleElementCallMute() {
	ec := c.elementCall()
	if ec == nil {
		c.status("", true, msgNoElementCall)
		return
	}
	go func() {
		if err := ec.ToggleMute(); err != nil {
			c.status("", true, "%s", err)
		}
	}()
}
