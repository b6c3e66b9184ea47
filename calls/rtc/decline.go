package rtc

import (
	"context"
	"encoding/json"
	"fmt"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// When we start a call with a ring (a DM), the callees may decline it
// (org.matrix.msc4310.rtc.decline referencing our ring notification).
// Element Call, waiting for the pickup in a DM, stops ringing and leaves
// when the only callee declines; so do we, once every other member of
// the room has declined while nobody else has joined the call. A decline
// after someone joined, or of another ring, changes nothing.

// onTimeline looks at new (or newly decrypted) room events for declines
// of our ring.
func (s *session) onTimeline(ctx context.Context, roomID id.RoomID, evs []*event.Event) {
	if roomID != s.roomID || s.ringID == "" || s.ended {
		return
	}
	for _, ev := range evs {
		if ev == nil || ev.Type.Type != DeclineType.Type || ev.Sender == s.me || ReferencedEvent(ev) != s.ringID {
			continue
		}
		if s.declines == nil {
			s.declines = map[id.UserID]bool{}
		}
		s.declines[ev.Sender] = true
		s.m2log().Info().Stringer("user", ev.Sender).Msg("our ring was declined")
	}
	if len(s.declines) == 0 || s.othersInCall() {
		return
	}
	r, ok := s.m.Room(s.roomID)
	if !ok || r.JoinedMembers-1 > len(s.declines) {
		return // someone may still answer
	}
	s.leave(ctx, s.declineReason())
}

// othersInCall says whether another user is in the call.
func (s *session) othersInCall() bool {
	for _, m := range s.members {
		if m.Sender != s.me {
			return true
		}
	}
	return false
}

// declineReason names who declined: "bob declined the call".
func (s *session) declineReason() string {
	var who id.UserID
	for u := range s.declines {
		if who == "" || u < who {
			who = u
		}
	}
	name := s.m.DisplayName(s.roomID, who)
	if len(s.declines) > 1 {
		return fmt.Sprintf("%s and %d others declined the call", name, len(s.declines)-1)
	}
	return name + " declined the call"
}

// ReferencedEvent is the event an m.reference relation points at ("" if
// none): the ring notification of a decline.
func ReferencedEvent(ev *event.Event) id.EventID {
	var c struct {
		RelatesTo struct {
			RelType string     `json:"rel_type"`
			EventID id.EventID `json:"event_id"`
		} `json:"m.relates_to"`
	}
	raw := ev.Content.VeryRaw
	if json.Unmarshal(raw, &c) != nil || c.RelatesTo.RelType != "m.reference" {
		return ""
	}
	return c.RelatesTo.EventID
}
