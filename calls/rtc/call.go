package rtc

import (
	"time"

	"maunium.net/go/mautrix/id"
)

// CallState is the phase of our part in a MatrixRTC call.
type CallState string

// The phases of our part in a MatrixRTC call as the call panel shows them.
const (
	CallJoining   CallState = "joining"   // transport, token, membership, SFU connection
	CallConnected CallState = "connected" // in the LiveKit room(s)
	CallEnded     CallState = "ended"
)

// CallInfo is a snapshot of the MatrixRTC call we take part in.
type CallInfo struct {
	RoomID   id.RoomID
	State    CallState
	JoinedAt time.Time // zero until connected
	// Video says we joined with the video intent (we still send no video).
	Video bool
	Muted bool
	// Encrypted says media are end-to-end encrypted (an encrypted room:
	// per-participant keys); false in a plain room.
	Encrypted bool
	// Hosts are the SFUs we are connected to, ours first.
	Hosts []string
	// Audio says where our sound comes from and goes to, or why there is
	// none (no Opus in this build, device failed).
	Audio string
	// Members are the other devices in the call, oldest first.
	Members []CallMember
	// EndReason says why the call ended ("you left", "the SFU closed
	// the connection: …"); Problem what is wrong right now, "" if nothing.
	EndReason string
	Problem   string
}

// CallMember is another device in the call, joined from its membership
// and what its LiveKit participant shows.
type CallMember struct {
	UserID   id.UserID
	DeviceID id.DeviceID
	// InMedia says its LiveKit participant is in a room we are connected
	// to; the rest describe that participant.
	InMedia  bool
	Speaking bool
	Muted    bool
	Video    []string
	// HasKey says we hold its media key (encrypted calls).
	HasKey bool
}

// CallChanged carries the new snapshot of our MatrixRTC call.
type CallChanged struct{ Call CallInfo }
