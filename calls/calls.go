// Package calls decides how a call is placed in a room and runs it: Jitsi
// conferences through room widgets (package jitsi) for rooms of more than
// two, and 1:1 WebRTC calls (package voip) for rooms of two. It knows
// nothing of any UI: it takes commands and publishes typed Events.
package calls

import (
	"time"

	"maunium.net/go/mautrix/id"
)

// Event is a typed event published by the Controller to its subscribers.
// Strings in events are remote data where they come from widgets or peers:
// the UI sanitizes them before showing them.
type Event interface{ isEvent() }

// Status is a one-line message for the status line.
type Status struct {
	RoomID id.RoomID
	Text   string
	Error  bool
}

// ShowLink asks the UI to show a URL the user can open themselves: a
// dialog with the URL as an OSC 8 link, a key that copies it with OSC 52,
// and a QR code. Sent when no browser may be launched here (SSH, no
// display, "browser": "none") or the browser failed to start.
type ShowLink struct {
	RoomID id.RoomID
	Title  string // e.g. "Jitsi conference Jitsiabc on meet.example.org"
	URL    string // a validated https URL
	Reason string // why it was not opened here
}

// ConferenceChanged says a room's Jitsi conference appeared, changed or
// ended (Conference nil). The UI shows or hides the room's banner.
type ConferenceChanged struct {
	RoomID     id.RoomID
	Conference *Conference
}

// Conference describes a room's Jitsi widget as the banner shows it.
type Conference struct {
	WidgetID     string
	Domain       string
	ConferenceID string
	IsAudioOnly  bool
	CreatorID    id.UserID
	CreatorName  string
	// Suspicious is set when the widget failed validation; it cannot be
	// opened, and Reason says why.
	Suspicious bool
	Reason     string
}

// CallState is the phase of a 1:1 call.
type CallState string

// The phases of a 1:1 call as the call panel shows them.
const (
	CallRinging    CallState = "ringing"    // incoming, waiting for the user
	CallInviting   CallState = "inviting"   // outgoing, waiting for the peer
	CallConnecting CallState = "connecting" // answered, ICE/DTLS in progress
	CallConnected  CallState = "connected"
	CallEnded      CallState = "ended"
)

// CallInfo is a snapshot of a 1:1 call for the call panel.
type CallInfo struct {
	CallID      string
	RoomID      id.RoomID
	PeerID      id.UserID
	PeerName    string
	Incoming    bool
	Video       bool
	State       CallState
	ConnectedAt time.Time // zero until connected
	Muted       bool
	Codec       string // e.g. "opus/48000", "PCMU/8000"
	Path        string // "relay" or "direct" once connected
	RemoteVideo string // e.g. "640x480 @ 30 fps", or why there is none
	LocalVideo  string // e.g. "no camera source configured"
	// Audio says where the call's sound comes from and goes to ("device
	// default device → file out.wav"), or why a device could not be opened
	// (the call then goes on without it).
	Audio     string
	EndReason string // human text once ended: "no answer", "bob hung up"...
	// Problem says what is wrong with a connected call right now, e.g.
	// "connection lost, reconnecting…" while its media is lost; "" when
	// all is well. State stays CallConnected meanwhile; if the media does
	// not come back the call ends with an EndReason that says so.
	Problem string
	// PeerMuted says the peer has muted its microphone, as its
	// sdp_stream_metadata tells (Element and termatrix send it).
	PeerMuted bool
}

// CallChanged carries a 1:1 call's new snapshot.
type CallChanged struct{ Call CallInfo }

func (Status) isEvent()            {}
func (ShowLink) isEvent()          {}
func (ConferenceChanged) isEvent() {}
func (CallChanged) isEvent()       {}
