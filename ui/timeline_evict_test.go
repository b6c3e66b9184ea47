package ui

import (
	"fmt"
	"strings"
	"testing"
)

// Scrolling through a long timeline lays out the events it passes, and
// drops them again once they are more than a screen away: what stays laid
// out follows the screen, not how far the user scrolled. Coming back
// shows the same text.
func TestTimelineDropsFarRows(t *testing.T) {
	s := newSimScreen(t, 80, 20)
	tv := NewTimelineView(testContext())
	for i := 0; i < 300; i++ {
		tv.Append(textEvent(i, fmt.Sprintf("message %d %s", i, strings.Repeat("word ", 20))))
	}
	bottom := drawTimeline(s, tv)
	most := 0
	for i := 0; i < 200; i++ {
		tv.PageUp()
		drawTimeline(s, tv)
		most = max(most, len(tv.laid))
	}
	top := drawTimeline(s, tv)
	if !strings.Contains(top, "message 0 ") {
		t.Fatalf("scrolled to the top, the first message is not shown:\n%s", top)
	}
	for i := 0; i < 200; i++ {
		tv.PageDown()
		drawTimeline(s, tv)
		most = max(most, len(tv.laid))
	}
	if again := drawTimeline(s, tv); again != bottom {
		t.Errorf("back at the bottom the screen differs:\n%s\nfirst:\n%s", again, bottom)
	}
	t.Logf("at most %d of 300 events laid out while scrolling a 20-row screen", most)
	// Each message takes 2–3 rows: a screen shows under 10, a screen
	// above and below about as many again.
	if most > 40 {
		t.Errorf("%d events laid out at once", most)
	}
	for _, it := range tv.items {
		if _, ok := tv.laid[it]; !ok && (it.rows != nil || it.lines != nil) {
			t.Fatalf("an event keeps rows but is not tracked: %q", it.ev.ID)
		}
	}
}
