package ui

import (
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/gdamore/tcell/v2/terminfo"
)

// recordingTty is a terminal device that keeps each write apart.
type recordingTty struct {
	mu     sync.Mutex
	writes []string
	closed chan struct{}
	once   sync.Once
}

func newRecordingTty() *recordingTty { return &recordingTty{closed: make(chan struct{})} }

func (r *recordingTty) Start() error               { return nil }
func (r *recordingTty) Stop() error                { return nil }
func (r *recordingTty) Drain() error               { return r.Close() } // unblocks Read, as tcell expects
func (r *recordingTty) NotifyResize(func())        {}
func (r *recordingTty) Close() error               { r.once.Do(func() { close(r.closed) }); return nil }
func (r *recordingTty) Read(p []byte) (int, error) { <-r.closed; return 0, io.EOF }
func (r *recordingTty) WindowSize() (tcell.WindowSize, error) {
	return tcell.WindowSize{Width: 40, Height: 10}, nil
}
func (r *recordingTty) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

// since returns the writes after the first n.
func (r *recordingTty) since(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.writes[n:]...)
}

func (r *recordingTty) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.writes)
}

// Each frame reaches the terminal in one write, the end of tcell's
// synchronized update included; what tcell writes outside a frame goes
// straight through.
func TestFrameReachesTheTerminalInOneWrite(t *testing.T) {
	ti, err := terminfo.LookupTerminfo("xterm-256color")
	if err != nil {
		t.Skipf("no terminfo for xterm-256color: %v", err)
	}
	rec := newRecordingTty()
	tty := &frameTty{Tty: rec}
	s, err := tcell.NewTerminfoScreenFromTtyTerminfo(tty, ti)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Init(); err != nil {
		t.Fatal(err)
	}
	defer s.Fini()
	if rec.count() == 0 {
		t.Fatal("tcell's set-up wrote nothing: not passed through")
	}
	f := newFrameScreen(s)
	f.opened, f.tty = true, tty
	for i, text := range []string{"first frame", "second"} {
		before := rec.count()
		f.Clear()
		for x, r := range text {
			f.SetContent(x, 1, r, nil, tcell.StyleDefault)
		}
		f.Show()
		got := rec.since(before)
		if len(got) != 1 {
			t.Fatalf("frame %d reached the terminal in %d writes: %q", i, len(got), got)
		}
		if !strings.Contains(got[0], text[:1]) {
			t.Errorf("frame %d's write %q lacks its text", i, got[0])
		}
	}
}
