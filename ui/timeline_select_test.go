package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"

	"github.com/termatrix/termatrix/ui/uitest"
)

// selectedRows are the screen rows drawn with the selection's background.
func selectedRows(s tcell.SimulationScreen) []string {
	cells, w, h := uitest.Cells(s)
	rows := uitest.Dump(s)
	var out []string
	for y := 0; y < h; y++ {
		_, bg, _ := cells[y*w].Style.Decompose()
		if bg == tcell.ColorDarkBlue {
			out = append(out, rows[y])
		}
	}
	return out
}

// TestSelectionMovesOverMessagesAndScrolls: selection starts on the
// newest message, Up/Down walk the messages only (a state event between
// them is skipped), going past the top of the view scrolls so the
// selected message shows whole and highlighted, a page moves by about a
// screenful, and a click selects the message under it.
func TestSelectionMovesOverMessagesAndScrolls(t *testing.T) {
	s := newSimScreen(t, 50, 8)
	tv := NewTimelineView(testContext())
	var evs []*event.Event
	for i := 1; i <= 30; i++ {
		evs = append(evs, textEvent(i, fmt.Sprintf("message %02d", i)))
		if i == 29 {
			evs = append(evs, memberEv(100, "@carol:hs", "join", "carol", nil))
		}
	}
	tv.Append(evs...)
	drawTimeline(s, tv)
	if !tv.StartSelection() {
		t.Fatal("nothing selected")
	}
	check := func(want string) {
		t.Helper()
		text := drawTimeline(s, tv)
		ev, _, ok := tv.Selected()
		if !ok || !strings.Contains(ev.Content.Raw["body"].(string), want) {
			t.Fatalf("selected %v, want %q", ev, want)
		}
		rows := selectedRows(s)
		if len(rows) != 1 || !strings.Contains(rows[0], want) {
			t.Fatalf("highlighted rows %q, want the one with %q, in\n%s", rows, want, text)
		}
	}
	check("message 30")
	tv.MoveSelection(-1)
	check("message 29") // the member event between is skipped
	tv.MoveSelection(1)
	check("message 30")
	tv.MoveSelection(1) // nothing newer: stays
	check("message 30")
	tv.MoveSelection(-12)
	check("message 18") // scrolled up to it
	if tv.Following() {
		t.Error("still following after selecting an old message")
	}
	tv.MoveSelection(-17)
	check("message 01")
	tv.PageSelection(1)
	ev, _, _ := tv.Selected()
	if b := ev.Content.Raw["body"].(string); b < "message 06" || b > "message 09" {
		t.Errorf("a page down from 01 selected %q, want about a screenful (7 rows) further", b)
	}
	// A click on "message 03" selects it.
	drawTimeline(s, tv)
	y := uitest.Row(s, "message 03")
	if y < 0 || !tv.clickSelect(y) {
		t.Fatalf("click on row %d selected nothing", y)
	}
	check("message 03")
	tv.EndSelection()
	drawTimeline(s, tv)
	if rows := selectedRows(s); len(rows) != 0 || tv.Selecting() {
		t.Fatalf("still selected after EndSelection: %q", rows)
	}
}

// TestSelectionSurvivesReset: after a gap resets the timeline, a
// selection on an event no longer loaded ends instead of pointing at it.
func TestSelectionSurvivesReset(t *testing.T) {
	tv := NewTimelineView(testContext())
	tv.Append(textEvent(1, "one"), textEvent(2, "two"))
	drawTimeline(newSimScreen(t, 40, 5), tv)
	tv.StartSelection()
	tv.Reset([]*event.Event{textEvent(3, "three")})
	if tv.Selecting() {
		t.Fatal("selection kept on an event the reset dropped")
	}
}
