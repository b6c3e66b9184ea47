package ui

import (
	"fmt"
	"sync"

	"github.com/gdamore/tcell/v2"
)

// frameTty is the terminal device under tcell's screen. While a frame is
// handed to the terminal (frameScreen.Show) it gathers what tcell writes
// and passes it on in one write: tcell writes a frame, then the end of its
// synchronized update on its own, and each write wakes the terminal (a
// system call and a task switch each, for every message that arrives).
// Outside a frame, writes go straight through.
type frameTty struct {
	tcell.Tty

	mu   sync.Mutex
	held bool
	buf  []byte
}

// frameTtyKeep is the largest buffer kept between frames; a bigger one
// (a whole screen of a very large terminal) goes to the collector.
const frameTtyKeep = 256 << 10

// newTerminalScreen opens the terminal as tcell.NewScreen does, its device
// wrapped in a frameTty; the returned frameTty is nil where tcell had to
// fall back to another kind of screen.
func newTerminalScreen() (tcell.Screen, *frameTty, error) {
	if dev, err := tcell.NewDevTty(); err == nil {
		tty := &frameTty{Tty: dev}
		if s, err := tcell.NewTerminfoScreenFromTty(tty); err == nil {
			return s, tty, nil
		}
		_ = dev.Close()
	}
	s, err := tcell.NewScreen()
	if err != nil {
		return nil, nil, fmt.Errorf("opening the terminal: %w", err)
	}
	return s, nil, nil
}

// Write implements tcell.Tty.
func (t *frameTty) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.held {
		t.buf = append(t.buf, p...)
		return len(p), nil
	}
	return t.Tty.Write(p)
}

// hold starts gathering writes; flush ends it. Both do nothing on nil.
func (t *frameTty) hold() {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.held = true
	t.mu.Unlock()
}

// flush writes what was gathered since hold, in one write.
func (t *frameTty) flush() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.held = false
	if len(t.buf) > 0 {
		// As tcell does, a failed write to the terminal is not reported:
		// the next frame writes again.
		_, _ = t.Tty.Write(t.buf)
	}
	if cap(t.buf) > frameTtyKeep {
		t.buf = nil
	} else {
		t.buf = t.buf[:0]
	}
}
