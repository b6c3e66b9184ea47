package ui

import (
	"fmt"
	"sync"

	"github.com/gdamore/tcell/v2"
)

// Terminal is the real terminal, opened ahead of the UI: tcell's set-up
// (the terminal database, raw mode, the alternate screen and its cell
// buffers, about 10–20 ms of CPU) then runs on another core while the
// account's store opens, instead of before the first frame. Hand it to
// the UI in Options.Terminal, and Close it in any case: Close restores the
// terminal unless a UI took it (the UI restores it when it stops).
type Terminal struct {
	done   chan struct{}
	screen tcell.Screen
	tty    *frameTty // nil: tcell fell back to another kind of screen
	err    error

	mu    sync.Mutex
	taken bool
}

// OpenTerminal starts opening the terminal on its own goroutine.
func OpenTerminal() *Terminal {
	t := &Terminal{done: make(chan struct{})}
	go func() {
		defer close(t.done)
		s, tty, err := newTerminalScreen()
		if err != nil {
			t.err = err
			return
		}
		if err := s.Init(); err != nil {
			t.err = fmt.Errorf("opening the terminal: %w", err)
			return
		}
		t.screen, t.tty = s, tty
	}()
	return t
}

// take waits for the terminal to be open and hands it to the UI, with
// its device (nil if not a frameTty).
func (t *Terminal) take() (tcell.Screen, *frameTty, error) {
	<-t.done
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return nil, nil, t.err
	}
	t.taken = true
	return t.screen, t.tty, nil
}

// Close waits for the terminal to be open and restores it, unless a UI
// took it. It is safe to call more than once.
func (t *Terminal) Close() {
	<-t.done
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.taken || t.screen == nil {
		return
	}
	t.taken = true
	t.screen.Fini()
}
