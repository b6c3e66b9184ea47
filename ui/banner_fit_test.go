package ui

import (
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/ui/uitest"
)

// TestBannerRefitsAfterResize: the conference banner wraps to the width
// the terminal has now, so its key hint is never cut off (QA at 80×24).
func TestBannerRefitsAfterResize(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	room := id.RoomID("!r:hs")
	u.queue(func() {
		u.s.current = room
		u.handleCallEvent(calls.ConferenceChanged{RoomID: room, Conference: &calls.Conference{
			WidgetID: "w", Domain: "meet.example.org", ConferenceID: "JitsiX", CreatorID: "@alice:hs", CreatorName: "Alice A.", IsAudioOnly: true}})
	})
	uitest.WaitFor(t, screen, "press F3 to join", 5*time.Second)
	u.queue(func() { screen.SetSize(80, 24) })
	uitest.WaitUntil(t, screen, "the whole banner at 80 columns", 5*time.Second, func(s string) bool {
		flat := strings.Join(strings.Fields(s), " ")
		return strings.Contains(flat, "Voice conference started by Alice A. on meet.example.org") &&
			strings.Contains(flat, "to end it for everyone")
	})
}
