package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/termatrix/termatrix/ui/uitest"
)

// TestStatusMessagesExpire: a status note or error that nothing replaces
// disappears after its time instead of staying for good (F18); a newer
// message replaces an older one and gets its own time.
func TestStatusMessagesExpire(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	u.queue(func() { u.w.statusTTL = [2]time.Duration{300 * time.Millisecond, 800 * time.Millisecond} })
	u.queue(func() { u.say(true, "Sending failed: boom") })
	start := time.Now()
	uitest.WaitFor(t, screen, "Sending failed: boom", 5*time.Second)
	uitest.WaitUntil(t, screen, "the error expires", 5*time.Second, func(s string) bool { return !strings.Contains(s, "Sending failed") })
	if d := time.Since(start); d < 700*time.Millisecond {
		t.Fatalf("the error went after %v, before its time", d)
	}
	u.queue(func() { u.say(false, "Joined the room.") })
	uitest.WaitFor(t, screen, "Joined the room.", 5*time.Second)
	u.queue(func() { u.say(false, "Invited bob.") })
	text := uitest.WaitFor(t, screen, "Invited bob.", 5*time.Second)
	if strings.Contains(text, "Joined the room.") {
		t.Fatal("the older note was not replaced")
	}
	uitest.WaitUntil(t, screen, "the note expires", 5*time.Second, func(s string) bool { return !strings.Contains(s, "Invited bob.") })
}
