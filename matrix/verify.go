package matrix

import (
	"context"
	"strings"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Interactive (emoji) verification: the sync loop hands every
// m.key.verification.* event to the verifier, to-device ones and in-room
// ones (decrypted) alike; commands start, accept, confirm and cancel; the
// verifier publishes VerificationRequested, VerificationSAS and
// VerificationEnded updates.

// isVerificationEvent says whether an event belongs to interactive
// verification: an m.key.verification.* event, or an in-room request
// (an m.room.message with msgtype m.key.verification.request).
func isVerificationEvent(ev *event.Event) bool {
	if ev == nil {
		return false
	}
	if strings.HasPrefix(ev.Type.Type, "m.key.verification.") {
		return true
	}
	if ev.Type.Type == event.EventMessage.Type {
		if m, ok := ev.Content.Parsed.(*event.MessageEventContent); ok && m.MsgType == event.MsgVerificationRequest {
			return true
		}
	}
	return false
}

// dispatchVerification hands a sync's verification events to the
// verifier once the sync is stored: to-device ones, then in-room ones from
// the published timeline (not those of an initial sync: old requests are
// not live).
func (c *Client) dispatchVerification(ctx context.Context, toDevice []*event.Event, ups []Update, initial bool) {
	for _, ev := range toDevice {
		if isVerificationEvent(ev) {
			c.handleVerificationEvent(ctx, ev, "")
		}
	}
	if initial {
		return
	}
	for _, u := range ups {
		ta, ok := u.(TimelineAppended)
		if !ok {
			continue
		}
		for _, ev := range ta.Events {
			if isVerificationEvent(ev) {
				c.handleVerificationEvent(ctx, ev, ta.RoomID)
			}
		}
	}
}

// handleVerificationEvent passes one verification event to the verifier;
// roomID is set for in-room events. It must not block on the network.
func (c *Client) handleVerificationEvent(ctx context.Context, ev *event.Event, roomID id.RoomID) {
	_ = ctx // the work runs later, on the verification's own worker
	c.routeVerification(ev, roomID)
}
