package calls

import (
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls/rtc"
)

// RTCMember is one device in a room's Element Call (MatrixRTC) session as
// the banner shows it.
type RTCMember struct {
	UserID   id.UserID
	DeviceID id.DeviceID
	// Name is the member's shown name (matrix.Client.DisplayName: already
	// disambiguated, still remote text the UI sanitizes).
	Name string
	// Intent is "audio", "video" or "" as the membership says.
	Intent string
	// Sticky says the membership came from a sticky
	// org.matrix.msc4143.rtc.member event.
	Sticky bool
}

// RTCSessionChanged says a room's Element Call session started, changed
// or ended (Members empty). Members are the valid, unexpired memberships,
// oldest first, one per device.
type RTCSessionChanged struct {
	RoomID  id.RoomID
	Members []RTCMember
}

// Participants counts the distinct users of a session's members, as
// Element's call banner counts participants.
func Participants(members []RTCMember) int {
	seen := map[id.UserID]bool{}
	for _, m := range members {
		seen[m.UserID] = true
	}
	return len(seen)
}

// RTCRing is an Element Call ringing us (a fresh ring notification
// addressed to us).
type RTCRing struct {
	RoomID     id.RoomID
	EventID    id.EventID
	Sender     id.UserID
	SenderName string
	Video      bool
	Until      time.Time
}

// RTCRingChanged says an Element Call started ringing us (Ring set) or
// stopped (Ring nil; Reason says why when it was not our own answer or
// decline: "no answer", "the caller left", "answered on another device").
type RTCRingChanged struct {
	RoomID id.RoomID
	Ring   *RTCRing
	Reason string
}

// ElementCallChanged carries the snapshot of our Element Call, as the
// ElementCall implementation publishes it.
type ElementCallChanged struct{ Call rtc.CallInfo }

func (RTCSessionChanged) isEvent()  {}
func (RTCRingChanged) isEvent()     {}
func (ElementCallChanged) isEvent() {}

// msgNoElementCall is said for Element Call actions while no ElementCall
// is set.
const msgNoElementCall = "Element Call is not available in this build/session."
