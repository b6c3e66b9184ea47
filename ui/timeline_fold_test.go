package ui

import (
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/gdamore/tcell/v2"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

func longTextEvent(evID string, body string) *event.Event {
	return &event.Event{ID: id.EventID(evID), Type: event.EventMessage, Sender: "@mallory:hs", Timestamp: 1700000000000,
		Content: event.Content{Raw: map[string]any{"msgtype": "m.text", "body": body}}}
}

// A long message is folded: a 1 MB line and a 100,000-line message each
// take at most foldRows rows and a line saying how much more there is;
// /expand shows more. Laying them out costs the rows shown, not the size
// sent (figures printed).
func TestLongMessagesFold(t *testing.T) {
	oneLine := strings.Repeat("flood words that wrap ", 1<<20/22)
	manyLines := strings.Repeat("line\n", 100_000)
	for _, c := range []struct{ name, body, want string }{
		{"1 MB line", oneLine, "more — /expand shows it"},
		{"100k lines", manyLines, "99,97"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSimScreen(t, 100, 60)
			tv := NewTimelineView(testContext())
			tv.Append(longTextEvent("$big", c.body), longTextEvent("$after", "after the flood"))
			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			text := drawTimeline(s, tv)
			took := time.Since(start)
			var after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&after)
			rows := len(tv.rowsOf(0))
			t.Logf("%s (%d KB): laid out in %s, %d rows, heap %+.1f MB", c.name, len(c.body)>>10, took.Round(time.Millisecond), rows,
				float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20))
			if !strings.Contains(text, "more — /expand shows it") || !strings.Contains(text, "after the flood") {
				t.Fatalf("no fold line, or the next message pushed away:\n%s", text)
			}
			if rows > foldRows+2 {
				t.Errorf("a folded message takes %d rows", rows)
			}
			if tv.ExpandFolded() != 1 {
				t.Fatal("nothing to expand")
			}
			if n := len(tv.rowsOf(0)); n <= rows || n > expandedRows+2 {
				t.Errorf("expanded: %d rows", n)
			}
		})
	}
}

// The rows a folded message keeps cost memory in proportion to the cells
// shown: cells of one run of text share their style. A 64 KB line (the
// bench's flood) folded to foldRows rows of 100 columns kept about 290 KB
// when every cell held its own 72-byte style.
func TestFoldedRowsCostTheCellsShown(t *testing.T) {
	s := newSimScreen(t, 100, 60)
	tv := NewTimelineView(testContext())
	tv.Append(longTextEvent("$big", strings.Repeat("flood line of text that wraps on the screen ", 64<<10/45)))
	drawTimeline(s, tv)
	rows := tv.rowsOf(0)
	cellsShown, kept := 0, 0
	styles := map[*tcell.Style]bool{}
	for _, r := range rows {
		cellsShown += len(r)
		kept += cap(r) * int(unsafe.Sizeof(cell{}))
		for _, c := range r {
			styles[c.style] = true
		}
	}
	kept += len(styles) * int(unsafe.Sizeof(tcell.Style{}))
	t.Logf("%d rows, %d cells, %d styles: %d KB kept (%.0f bytes a cell)", len(rows), cellsShown, len(styles), kept>>10, float64(kept)/float64(cellsShown))
	if per := kept / cellsShown; per > 40 {
		t.Errorf("a cell shown costs %d bytes", per)
	}
}
