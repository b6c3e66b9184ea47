package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// A click on a message's row selects that message.
func TestClickSelectsAMessage(t *testing.T) {
	s := newSimScreen(t, 60, 8)
	tv := NewTimelineView(testContext())
	for i := 0; i < 5; i++ {
		tv.Append(&event.Event{ID: id.EventID(fmt.Sprintf("$m%d", i)), Type: event.EventMessage, Sender: "@alice:hs",
			Timestamp: 1700000000000 + int64(i), Content: event.Content{Raw: map[string]any{"msgtype": "m.text", "body": fmt.Sprintf("message number %d", i)}}})
	}
	drawTimeline(s, tv)
	row := -1
	cells, w, h := s.GetContents()
	for y := 0; y < h && row < 0; y++ {
		line := ""
		for x := 0; x < w; x++ {
			line += string(cells[y*w+x].Runes)
		}
		if strings.Contains(line, "message number 2") {
			row = y
		}
	}
	if row < 0 {
		t.Fatal("message 2 not on screen")
	}
	consumed, _ := tv.MouseHandler()(tview.MouseLeftClick, tcell.NewEventMouse(10, row, tcell.Button1, 0), func(tview.Primitive) {})
	ev, _, ok := tv.Selected()
	if !consumed || !ok || ev.ID != "$m2" {
		t.Fatalf("click on row %d selected %v (ok %v, consumed %v)", row, ev, ok, consumed)
	}
}
