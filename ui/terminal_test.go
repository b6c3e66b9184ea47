package ui

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
)

// fakeTty is a terminal that records what is written to it.
type fakeTty struct {
	out  lockedBuffer
	r    *io.PipeReader
	w    *io.PipeWriter
	once sync.Once
}

func newFakeTty() *fakeTty {
	r, w := io.Pipe()
	return &fakeTty{r: r, w: w}
}

func (f *fakeTty) Start() error                { return nil }
func (f *fakeTty) Stop() error                 { return nil }
func (f *fakeTty) Drain() error                { return nil }
func (f *fakeTty) NotifyResize(func())         {}
func (f *fakeTty) Read(p []byte) (int, error)  { return f.r.Read(p) }
func (f *fakeTty) Write(p []byte) (int, error) { return f.out.Write(p) }
func (f *fakeTty) Close() error                { f.once.Do(func() { f.w.Close() }); return nil }
func (f *fakeTty) WindowSize() (tcell.WindowSize, error) {
	return tcell.WindowSize{Width: 140, Height: 40}, nil
}

// TestTerminalBytesAreInert renders hostile remote strings through a real
// terminfo screen and checks the bytes sent to the terminal: no escape
// sequence from the content, and links only as well-formed OSC 8.
func TestTerminalBytesAreInert(t *testing.T) {
	t.Setenv("TERM", "xterm-256color")
	tty := newFakeTty()
	screen, err := tcell.NewTerminfoScreenFromTty(tty)
	if err != nil {
		t.Fatal(err)
	}
	u := offlineUIOn(t, screen, &lockedBuffer{})
	defer tty.Close()
	room := "!r:hs"
	hostile := "\x1b]0;pwned-title\x07\x1b]52;c;cHduZWQ=\x07\u202eevil\u009b31m [red]tag"
	u.queue(func() {
		u.handleUpdate(matrix.RoomsChanged{Rooms: matrix.NewRoomList(matrix.Room{ID: "!r:hs", Name: "Room " + hostile, Topic: hostile, Membership: event.MembershipJoin})})
		u.handleUpdate(matrix.TimelineAppended{RoomID: "!r:hs", Events: []*event.Event{
			{ID: "$1", Type: event.EventMessage, Sender: id.UserID("@mallory:hs" + hostile), Timestamp: 1,
				Content: event.Content{Raw: map[string]any{"msgtype": "m.text", "body": "body " + hostile}}},
			{ID: "$2", Type: event.EventMessage, Sender: "@alice:hs", Timestamp: 2,
				Content: event.Content{Raw: map[string]any{"msgtype": "m.text", "body": "x", "format": "org.matrix.custom.html",
					"formatted_body": `see <a href="https://example.org/a?b=1&amp;c=%1b]0;x">the docs</a> and <a href="javascript:alert(1)">this</a> sentinel-end`}}},
		}})
	})
	_ = room
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(tty.out.String(), "sentinel-end") {
		if time.Now().After(deadline) {
			t.Fatalf("nothing drawn; wrote %q", tty.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	out := []byte(tty.out.String())
	for _, bad := range []string{"\x1b]0;", "\x1b]52;", "\u202e", "\u009b", "\x07", "javascript:"} {
		if bytes.Contains(out, []byte(bad)) {
			t.Errorf("terminal output holds %q", bad)
		}
	}
	if !bytes.Contains(out, []byte("[red]tag")) {
		t.Error("tview-style tags not shown literally")
	}
	osc8 := []byte("\x1b]8;;https://example.org/a?b=1&c=%1b]0;x\x1b\\")
	if !bytes.Contains(out, osc8) {
		t.Errorf("no well-formed OSC 8 link in the output")
	}
	// Every OSC the screen wrote is an OSC 8 hyperlink (opening or closing).
	for i := 0; ; {
		j := bytes.Index(out[i:], []byte("\x1b]"))
		if j < 0 {
			break
		}
		i += j
		if !bytes.HasPrefix(out[i:], []byte("\x1b]8;")) {
			t.Fatalf("unexpected OSC at %d: %q", i, out[i:min(i+20, len(out))])
		}
		i += 2
	}
}
