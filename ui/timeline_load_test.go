package ui

import (
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"
)

// TestBuildingViewKeepsLiveEventsBelow checks a view being built from the
// store: it says loading… and asks for no history; live events that
// arrive meanwhile stay below the events read, shown once; what waits for
// the build (a jump, a decrypted form) runs after it.
func TestBuildingViewKeepsLiveEventsBelow(t *testing.T) {
	s := newSimScreen(t, 50, 12)
	tv := NewTimelineView(testContext())
	asked := false
	tv.SetOnReachTop(func() { asked = true })
	tv.SetBuilding(true)
	if text := drawTimeline(s, tv); !strings.Contains(text, "loading…") {
		t.Fatalf("a building view does not say loading:\n%s", text)
	}
	if asked {
		t.Fatal("a building view asked for history")
	}
	tv.Append(textEvent(3, "live three"), textEvent(4, "live four"))
	ran := false
	tv.whenBuilt(func() { ran = true })
	tv.ReplaceDecrypted([]*event.Event{textEvent(1, "one decrypted")})
	if ran {
		t.Fatal("whenBuilt ran before the build")
	}
	if !tv.finishBuild([]*event.Event{textEvent(1, "stored one"), textEvent(2, "stored two"), textEvent(3, "live three")}) {
		t.Fatal("the events read were not used")
	}
	if !ran || tv.Building() {
		t.Fatalf("after the build: whenBuilt ran %v, building %v", ran, tv.Building())
	}
	text := drawTimeline(s, tv)
	order := []string{"one decrypted", "stored two", "live three", "live four"}
	at := -1
	for _, want := range order {
		i := strings.Index(text, want)
		if i < 0 || i < at {
			t.Fatalf("%q missing or out of order:\n%s", want, text)
		}
		at = i
	}
	if strings.Count(text, "live three") != 1 || strings.Contains(text, "loading…") {
		t.Fatalf("an event shown twice, or still loading:\n%s", text)
	}
}

// TestBuildingViewResetDropsEventsRead checks that a Reset (a gap) while
// the view is built makes it whole: the events read are dropped.
func TestBuildingViewResetDropsEventsRead(t *testing.T) {
	s := newSimScreen(t, 50, 12)
	tv := NewTimelineView(testContext())
	tv.SetBuilding(true)
	tv.Reset([]*event.Event{textEvent(50, "after the gap")})
	if tv.finishBuild([]*event.Event{textEvent(1, "before the gap")}) {
		t.Fatal("the events read were used after a reset")
	}
	text := drawTimeline(s, tv)
	if strings.Contains(text, "before the gap") || !strings.Contains(text, "after the gap") {
		t.Fatalf("the reset's events are not the view:\n%s", text)
	}
}
