package ui

import (
	"testing"
	"time"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/ui/uitest"
)

// TestCallPanelShowsAudio (F25): the call panel says where the sound comes
// from and goes, or that there is no audio device.
func TestCallPanelShowsAudio(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	u.queue(func() {
		u.handleCallEvent(calls.CallChanged{Call: calls.CallInfo{CallID: "c1", RoomID: "!r:hs", PeerID: "@bob:hs", PeerName: "bob",
			State: calls.CallConnected, ConnectedAt: time.Now(), Codec: "PCMU/8000", Path: "direct",
			Audio: "no audio device (microphone: no such device\x1b[31m); the call goes on without sound"}})
	})
	uitest.WaitFor(t, screen, "audio: no audio device (microphone: no such device[31m); the call goes on without sound", 5*time.Second)
}

// TestCallPanelShowsLostConnectionAndPeerMute: a connected call whose
// media stopped says so, and the peer's mute shows.
func TestCallPanelShowsLostConnectionAndPeerMute(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	u.queue(func() {
		u.handleCallEvent(calls.CallChanged{Call: calls.CallInfo{CallID: "c1", RoomID: "!r:hs", PeerID: "@bob:hs", PeerName: "bob",
			State: calls.CallConnected, ConnectedAt: time.Now(), Codec: "PCMU/8000", Path: "relay",
			Problem: "connection lost, reconnecting…", PeerMuted: true}})
	})
	uitest.WaitFor(t, screen, "connection lost, reconnecting…", 5*time.Second)
	uitest.WaitFor(t, screen, "bob muted", 5*time.Second)
}
