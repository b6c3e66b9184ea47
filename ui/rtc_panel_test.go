package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/calls/rtc"
	"github.com/termatrix/termatrix/ui/uitest"
)

// TestElementCallPanelShowsSnapshot: the call panel tells an Element Call
// snapshot: each participant with speaking, muted, video tracks and key,
// our mute, the SFU host, encryption, the audio note and the mute and
// leave keys; remote strings are made inert; an ended call leaves the
// panel and says why.
func TestElementCallPanelShowsSnapshot(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	info := rtc.CallInfo{RoomID: "!r:hs", State: rtc.CallConnected, JoinedAt: time.Now(), Muted: true, Encrypted: true,
		Hosts: []string{"sfu.example.org", "sfu2.example.net\x1b[2J"}, Audio: "no audio: this build has no Opus",
		Members: []rtc.CallMember{
			{UserID: "@alice:hs", DeviceID: "ADEV", InMedia: true, Speaking: true, HasKey: true, Video: []string{"1280x720"}},
			{UserID: "@bob:hs", DeviceID: "BDEV", InMedia: true, Muted: true},
			{UserID: "@carol:hs", DeviceID: "CDEV"},
		}}
	u.queue(func() { u.handleCallEvent(calls.ElementCallChanged{Call: info}) })
	text := uitest.WaitFor(t, screen, "In voice call (Element Call)", 5*time.Second)
	for _, want := range []string{
		"encrypted", "SFU sfu.example.org, sfu2.example.net", "MUTED", "F4 mute, F8 leave",
		"audio: no audio: this build has no Opus",
		"● @alice:hs (ADEV) · speaking · video 1280x720 · key ✓",
		"○ @bob:hs (BDEV) · muted · no key yet",
		"○ @carol:hs (CDEV) · not connected yet · no key yet",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("panel lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\x1b") {
		t.Error("an escape sequence reached the screen")
	}

	info.State, info.EndReason = rtc.CallEnded, "you left"
	u.queue(func() { u.handleCallEvent(calls.ElementCallChanged{Call: info}) })
	uitest.WaitUntil(t, screen, "the panel gone", 5*time.Second, func(s string) bool {
		return !strings.Contains(s, "Element Call)") && strings.Contains(s, "Left the call: you left")
	})
}

// TestElementCallRingInPanel: a ring shows with the answer, decline and
// ignore keys; ignoring hides it; its end says why.
func TestElementCallRingInPanel(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	ring := calls.RTCRing{RoomID: "!r:hs", EventID: "$n", Sender: "@bob:hs", SenderName: "bob\x1b[31m", Video: true, Until: time.Now().Add(time.Minute)}
	u.queue(func() { u.handleCallEvent(calls.RTCRingChanged{RoomID: ring.RoomID, Ring: &ring}) })
	uitest.WaitFor(t, screen, "Incoming video call (Element Call) from bob[31m — F7 answer, F9 decline, F10 ignore", 5*time.Second)
	u.queue(func() { u.runAction(ActIgnore) })
	uitest.WaitUntil(t, screen, "the ring hidden", 5*time.Second, func(s string) bool {
		return !strings.Contains(s, "Incoming video call") && strings.Contains(s, "Ignored the call from bob[31m")
	})
	u.queue(func() { u.handleCallEvent(calls.RTCRingChanged{RoomID: ring.RoomID, Reason: "the caller left"}) })
	uitest.WaitFor(t, screen, "stopped ringing: the caller left", 5*time.Second)
}
