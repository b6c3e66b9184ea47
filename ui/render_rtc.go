package ui

import (
	"errors"
	"strings"

	"maunium.net/go/mautrix/event"

	"github.com/termatrix/termatrix/calls/rtc"
)

// Element Call (MatrixRTC) events are told as Element's call tiles tell
// them: a device's membership state event says who joined or left the
// call. A refresh of a membership (the same device, still in the call)
// says nothing; a membership that fails rtc.ParseMember's checks (another
// user's state key, not the room call, malformed) is never told as a
// join: it is hidden, as a leave whose state key is not its sender's is.
// Ring notifications are told by the join beside them; sticky
// memberships (matrix_2_0 mode) are read by the calls controller only.

// rtcMember tells an org.matrix.msc3401.call.member state event.
func (r *renderer) rtcMember() []Line {
	ev := r.ev
	_, err := rtc.ParseMember(ev.RoomID, ev)
	wasIn := false
	if ev.Unsigned.PrevContent != nil {
		prev := *ev
		prev.Content = *ev.Unsigned.PrevContent
		prev.Unsigned = event.Unsigned{}
		_, perr := rtc.ParseMember(ev.RoomID, &prev)
		wasIn = perr == nil
	}
	switch {
	case err == nil && wasIn:
		return nil // a refresh
	case err == nil:
		text := r.sender() + " joined the call"
		if intent := intentOf(ev); intent == "video" {
			text += " (video)"
		}
		return []Line{prefix(ev, r.rc, styleCall, text)}
	case errors.Is(err, rtc.ErrLeft) && ownMemberKey(ev) && (wasIn || ev.Unsigned.PrevContent == nil):
		return []Line{prefix(ev, r.rc, styleCall, r.sender()+" left the call")}
	}
	return nil
}

// ownMemberKey says whether a membership's state key is its sender's own
// ("_@user:server_DEVICE_m.call", or without the leading "_").
func ownMemberKey(ev *event.Event) bool {
	if ev.StateKey == nil || !rtc.IsMemberStateKey(*ev.StateKey) {
		return false
	}
	key := strings.TrimPrefix(*ev.StateKey, "_")
	return strings.HasPrefix(key, string(ev.Sender)+"_")
}

// intentOf is a membership's m.call.intent.
func intentOf(ev *event.Event) string {
	c, ok := contentOf(&ev.Content)
	if !ok {
		return ""
	}
	return c.strOr("m.call.intent", "")
}

// rtcDecline tells an org.matrix.msc4310.rtc.decline.
func (r *renderer) rtcDecline() []Line {
	return []Line{prefix(r.ev, r.rc, styleCall, r.sender()+" declined the call")}
}
