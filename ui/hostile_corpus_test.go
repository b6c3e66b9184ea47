package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
	"github.com/termatrix/termatrix/ui/uitest"
)

// hostileRoom is where the corpus is replayed.
const hostileRoom = id.RoomID("!hostile:hs")

// tagColour is the colour the corpus's tview tags ask for: a cell in it
// means a tag was interpreted.
var tagColour = tcell.NewHexColor(0xff00ff)

// bareAlice finds "alice" shown without a user ID after it, as a sender,
// a typer, a caller or a member joining.
var bareAlice = regexp.MustCompile(`(^|[^\w(@])alice( is typing|: | joined| changed| placed| called)`)

// TestHostileCorpusRendersInert replays the hostile-input corpus
// (ui/testdata/hostile and generatedInputs) against the real UI on a
// SimulationScreen, as the client hands events to it, in a room where
// @mallory:hs has taken @alice:hs's name. After every input: nothing
// panicked, no control, escape or bidi character is in a screen cell, no
// tview tag was interpreted, no name "alice" is shown bare, no forged
// text (FORGED) is on the screen, and alice's message ($alice1) still
// says what alice wrote (no redaction or edit by mallory applied). It
// prints how many inputs were tried and rendered, the slowest render and
// the memory the UI kept.
func TestHostileCorpusRendersInert(t *testing.T) {
	inputs := append(loadHostileCorpus(t), generatedInputs()...)
	u, screen := offlineUI(t, &lockedBuffer{})
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	base := []*event.Event{
		memberEv(1, "@alice:hs", "join", "alice", nil),
		memberEv(2, "@mallory:hs", "join", "alice", nil),
		memberEv(3, "@bob:hs", "join", "bob", nil),
	}
	original := textEvent(4, "KEEPME original words")
	original.ID = "$alice1"
	onUI(t, u, func() {
		u.handleUpdate(matrix.RoomsChanged{Rooms: matrix.NewRoomList(matrix.Room{ID: hostileRoom, Name: "Hostile", Membership: event.MembershipJoin})})
		for _, ev := range base {
			u.handleUpdate(matrix.StateChanged{RoomID: hostileRoom, Event: ev})
		}
		u.handleUpdate(matrix.TimelineAppended{RoomID: hostileRoom, Events: append(base, original)})
	})
	uitest.WaitFor(t, screen, "KEEPME", 5*time.Second)

	tried, rendered := 0, 0
	var slowest time.Duration
	slowestName := ""
	for n, in := range inputs {
		evs, err := hostileEvents(n, in)
		if err != nil {
			t.Fatalf("%s: %v", in.Name, err)
		}
		tried++
		start := time.Now()
		var tv *TimelineView
		onUI(t, u, func() {
			if in.room != nil {
				u.handleUpdate(matrix.RoomsChanged{Rooms: matrix.NewRoomList(matrix.Room{ID: hostileRoom, Name: in.room.name, Topic: in.room.topic, Membership: event.MembershipJoin})})
			}
			for _, ev := range evs {
				if ev.StateKey != nil {
					u.handleUpdate(matrix.StateChanged{RoomID: hostileRoom, Event: ev})
				}
			}
			if len(evs) > 0 {
				u.handleUpdate(matrix.TimelineAppended{RoomID: hostileRoom, Events: evs})
			}
			u.handleUpdate(matrix.TypingChanged{RoomID: hostileRoom, UserIDs: in.Typing})
			tv = u.s.timelines[hostileRoom]
		})
		onUI(t, u, func() {}) // the draw after the update is done
		if d := time.Since(start); d > slowest {
			slowest, slowestName = d, in.Name
		}
		drew := in.room != nil || len(in.Typing) > 0
		onUI(t, u, func() {
			for _, ev := range evs {
				if it := tv.byID[ev.ID]; it != nil {
					tv.render(it)
					drew = drew || len(it.lines) > 0
				}
			}
		})
		if drew {
			rendered++
		}
		if err := checkHostileScreen(screen); err != nil {
			t.Fatalf("after %q: %v\n%s", in.Name, err, uitest.Text(screen))
		}
		var keep string
		onUI(t, u, func() {
			it := tv.byID["$alice1"]
			if it == nil {
				keep = "alice's message is gone from the timeline"
				return
			}
			tv.render(it)
			var b strings.Builder
			for _, l := range it.lines {
				b.WriteString(l.String())
			}
			keep = b.String()
		})
		if !strings.Contains(keep, "alice (@alice:hs): KEEPME original words") || strings.Contains(keep, "FORGED") {
			t.Fatalf("after %q alice's message reads %q", in.Name, keep)
		}
	}
	onUI(t, u, func() {})
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	retained := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("hostile corpus: %d inputs tried, %d rendered, 0 crashed, 0 leaked, 0 spoofed; slowest render %v (%s); heap kept by the UI after all: %.1f MB",
		tried, rendered, slowest.Round(time.Millisecond), slowestName, float64(retained)/(1<<20))
	fmt.Printf("FIGURES hostile corpus: tried=%d rendered=%d crashed=0 leaked=0 spoofed=0 max_render=%v retained_heap=%.1fMB\n",
		tried, rendered, slowest.Round(time.Millisecond), float64(retained)/(1<<20))
}

// hostileEvents turns an input into events as the client hands them to
// the UI: parsed from JSON like a sync response, with the class set from
// the state key and the content parsed where mautrix knows the type
// (malformed content keeps only the raw JSON, as the store does).
func hostileEvents(n int, in hostileInput) ([]*event.Event, error) {
	var out []*event.Event
	for i, data := range in.Events {
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, err
		}
		if _, ok := m["event_id"]; !ok {
			m["event_id"] = fmt.Sprintf("$h%d-%d", n, i)
		}
		if _, ok := m["origin_server_ts"]; !ok {
			m["origin_server_ts"] = 1700000100000 + n*1000 + i
		}
		m["room_id"] = string(hostileRoom)
		data, _ = json.Marshal(m)
		var ev event.Event
		if err := json.Unmarshal(data, &ev); err != nil {
			// mautrix refuses it: a sync response holding it would not
			// reach the UI either.
			continue
		}
		prepareForUI(&ev)
		out = append(out, &ev)
	}
	for i, ev := range in.built {
		ev.ID = id.EventID(fmt.Sprintf("$b%d-%d", n, i))
		ev.RoomID = hostileRoom
		ev.Timestamp = 1700000100000 + int64(n)*1000
		prepareForUI(ev)
		out = append(out, ev)
	}
	return out, nil
}

// prepareForUI does what the store does to an event before publishing it.
func prepareForUI(ev *event.Event) {
	if ev.StateKey != nil {
		ev.Type.Class = event.StateEventType
	} else {
		ev.Type.Class = event.MessageEventType
	}
	if ev.Content.Parsed == nil && len(ev.Content.VeryRaw) > 0 {
		if err := ev.Content.ParseRaw(ev.Type); err != nil && !errors.Is(err, event.ErrUnsupportedContentType) {
			ev.Content.Parsed = nil
		}
	}
}

// checkHostileScreen looks at every cell: no character sanitize drops,
// no cell in the colour of the corpus's tags, no forged text, no bare
// "alice".
func checkHostileScreen(screen tcell.SimulationScreen) error {
	cells, w, _ := uitest.Cells(screen)
	for i, c := range cells {
		for _, r := range c.Runes {
			if sanitize.Dropped(r) {
				return fmt.Errorf("cell (%d,%d) holds %U", i%w, i/w, r)
			}
		}
		if fg, _, _ := c.Style.Decompose(); fg == tagColour {
			return fmt.Errorf("cell (%d,%d) has the colour of a tview tag from the corpus", i%w, i/w)
		}
	}
	text := uitest.Text(screen)
	if strings.Contains(text, "FORGED") {
		return errors.New("forged text on the screen")
	}
	if m := bareAlice.FindString(text); m != "" {
		return fmt.Errorf("a bare alice on the screen: %q", m)
	}
	return nil
}
