package calls

import "maunium.net/go/mautrix/id"

// OneToOne runs 1:1 WebRTC calls (package voip provides it). The
// Controller routes rooms of exactly two joined, non-functional members to
// it; until one is set, such rooms say 1:1 calls are not available yet.
// Methods return quickly; an error is shown to the user as a status line.
type OneToOne interface {
	// PlaceCall invites peer to a call in roomID.
	PlaceCall(roomID id.RoomID, peer id.UserID, video bool) error
	// Answer answers the ringing call in roomID.
	Answer(roomID id.RoomID) error
	// Reject rejects the ringing call in roomID.
	Reject(roomID id.RoomID) error
	// Hangup ends the call in roomID.
	Hangup(roomID id.RoomID) error
	// ToggleMute mutes or unmutes the microphone of the current call.
	ToggleMute() error
	// Active returns the current call, if any.
	Active() (CallInfo, bool)
	// Subscribe returns a channel of call snapshots and a function that
	// ends the subscription. The Controller forwards them to its own
	// subscribers.
	Subscribe() (<-chan CallChanged, func())
}

// msgNoOneToOne is said for 1:1 actions while no OneToOne is set.
const msgNoOneToOne = "1:1 calls are not available yet."
