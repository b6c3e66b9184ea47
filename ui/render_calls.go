package ui

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/calls/voip"
	"github.com/termatrix/termatrix/sanitize"
)

// A 1:1 call is told in one line, on its invite, from the invite and (when
// loaded) its answer and end, as Element's call tiles do: "You called bob
// (voice) — 2:13", "Missed voice call from alice". A call that never could
// be set up (an invite that fails the protocol's checks, or one our client
// had to end because its media failed) is told as such, never as a call
// the user placed, declined or missed by choice.

// callTile tells the call an m.call.invite started.
func (r *renderer) callTile(invite obj) string {
	ev, st := r.ev, r.st
	kind := "voice"
	if offer, ok := invite.sub("offer"); ok && strings.Contains(offer.strOr("sdp", ""), "m=video") {
		kind = "video"
	}
	own := r.rc.Own != "" && ev.Sender == r.rc.Own
	peer := "them"
	if inv := invite.strOr("invitee", ""); inv != "" {
		peer = r.name(id.UserID(inv))
	}
	if !validInvite(invite) {
		if own {
			return "You placed a " + kind + " call that could not be set up"
		}
		return "Missed " + kind + " call from " + r.sender() + ": it could not be set up"
	}
	duration := ""
	if st.CallAnswer != nil && st.CallEnd != nil && st.CallEnd.Timestamp >= st.CallAnswer.Timestamp {
		d := time.Duration(st.CallEnd.Timestamp-st.CallAnswer.Timestamp) * time.Millisecond
		duration = fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
	}
	rejected := st.CallEnd != nil && st.CallEnd.Type == event.CallReject
	endedByMe := st.CallEnd != nil && r.rc.Own != "" && st.CallEnd.Sender == r.rc.Own
	failed, busy := endFailure(st.CallEnd)
	switch {
	case own && duration != "":
		return "You called " + peer + " (" + kind + ") — " + duration
	case own && rejected:
		return peer + " declined your " + kind + " call"
	case own && st.CallAnswer == nil && busy && !endedByMe:
		return "You called " + peer + " (" + kind + ") — busy"
	case own && st.CallAnswer == nil && failed:
		return "You called " + peer + " (" + kind + ") — it could not be set up"
	case own && st.CallEnd != nil && st.CallAnswer == nil:
		return "You called " + peer + " (" + kind + ") — no answer"
	case own && st.CallAnswer != nil:
		return "You called " + peer + " (" + kind + ") — answered"
	case own:
		return "You placed a " + kind + " call"
	case duration != "":
		return r.sender() + " called you (" + kind + ") — " + duration
	case st.CallEnd != nil && st.CallAnswer == nil && endedByMe && busy:
		return "Missed " + kind + " call from " + r.sender() + ": you were in another call"
	case st.CallEnd != nil && st.CallAnswer == nil && failed:
		return "Missed " + kind + " call from " + r.sender() + ": it could not be set up"
	case st.CallEnd != nil && st.CallAnswer == nil && endedByMe:
		return "You declined a " + kind + " call from " + r.sender()
	case st.CallEnd != nil && st.CallAnswer == nil:
		return "Missed " + kind + " call from " + r.sender()
	case st.CallAnswer != nil:
		return r.sender() + " called you (" + kind + ") — answered"
	default:
		return r.sender() + " placed a " + kind + " call"
	}
}

// validInvite says whether an m.call.invite's content passes the checks
// our call code makes before ringing (voip.Parse): one that does not never
// rang. Only the fields Parse reads are passed on, scalars as they are: a
// remote content can nest deeply or share sub-objects, and re-encoding it
// whole could cost far more than the event.
func validInvite(invite obj) bool {
	scalar := func(v any) any {
		switch v.(type) {
		case string, bool, nil, float64, float32, int, int64, json.Number:
			return v
		}
		return []any{} // a wrong type Parse reports
	}
	m := map[string]any{}
	for _, k := range []string{"call_id", "party_id", "version", "lifetime", "invitee"} {
		if v, ok := invite[k]; ok {
			m[k] = scalar(v)
		}
	}
	if offer, isObj := invite.sub("offer"); isObj {
		m["offer"] = map[string]any{"type": scalar(offer["type"]), "sdp": scalar(offer["sdp"])}
	} else if v, ok := invite["offer"]; ok {
		m["offer"] = scalar(v)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return false
	}
	_, err = voip.Parse(voip.TypeInvite.Type, raw)
	return err == nil
}

// endFailure reads the event that ended a call: failed when it is a hangup
// whose reason says the call could not be set up or kept (media or
// connection failure, an unknown error), busy when the callee was in
// another call.
func endFailure(end *event.Event) (failed, busy bool) {
	if end == nil || end.Type != event.CallHangup {
		return false, false
	}
	c, ok := contentOf(&end.Content)
	if !ok {
		return false, false
	}
	switch c.strOr("reason", "") {
	case voip.ReasonMediaFailed, voip.ReasonICEFailed, voip.ReasonICETimeout, voip.ReasonUnknown:
		return true, false
	case voip.ReasonUserBusy:
		return false, true
	}
	return false, false
}

// callEndText is the status line's word on an ended call: "Call with bob
// ended: bob hung up", or, for a call that never rang through, the
// reason alone ("Missed call from alice: it could not be set up").
func callEndText(info calls.CallInfo, peer string) string {
	reason := sanitize.Line(info.EndReason)
	if reason == "" {
		reason = "call ended"
	}
	if strings.HasPrefix(reason, "missed call") {
		return "M" + reason[1:]
	}
	return "Call with " + peer + " ended: " + reason
}
