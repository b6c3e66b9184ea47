package ui

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/config"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/ui/uitest"
)

// countingScreen counts the cells handed to the terminal.
type countingScreen struct {
	tcell.SimulationScreen
	puts atomic.Int64
}

func (c *countingScreen) Put(x, y int, str string, style tcell.Style) (string, int) {
	c.puts.Add(1)
	return c.SimulationScreen.Put(x, y, str, style)
}

// TestFramesWriteOnlyWhatChanged: a redraw that changes nothing visible
// hands the terminal no cell, and a new status message about its own
// row's worth; before, every frame rewrote every non-blank cell.
func TestFramesWriteOnlyWhatChanged(t *testing.T) {
	sim := tcell.NewSimulationScreen("UTF-8")
	if err := sim.Init(); err != nil {
		t.Fatal(err)
	}
	screen := &countingScreen{SimulationScreen: sim}
	cfg := &config.Config{Keys: defaultKeys()}
	u, err := New(Options{Screen: screen, Config: cfg, Clipboard: &lockedBuffer{},
		Login: func(context.Context, matrix.LoginParams) (*matrix.Client, *calls.Controller, error) {
			return nil, nil, context.Canceled
		}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = u.Run(); close(done) }()
	t.Cleanup(func() { u.Stop(); <-done })
	u.queue(func() { sim.SetSize(160, 48); u.pages.SwitchToPage("main"); u.app.SetFocus(u.w.composer) })
	uitest.WaitFor(t, sim, "Type a message, or /help", 5*time.Second)
	first := screen.puts.Load()

	frame := func(f func()) int64 {
		before := screen.puts.Load()
		drawn := make(chan struct{})
		u.queue(func() { f() })
		u.queue(func() { close(drawn) })
		<-drawn
		u.queue(func() {}) // the frame after the change is shown
		time.Sleep(50 * time.Millisecond)
		return screen.puts.Load() - before
	}
	idle := frame(func() {})
	msg := frame(func() { u.say(false, "hello") })
	t.Logf("cells handed to the terminal: first frame %d, idle redraw %d, a status message %d (screen 160×48 = %d cells)",
		first, idle, msg, 160*48)
	if idle != 0 {
		t.Errorf("a redraw that changed nothing wrote %d cells", idle)
	}
	if msg == 0 || msg > 160 {
		t.Errorf("a status message wrote %d cells; want a row's worth at most", msg)
	}
}

// TestRuneStringIsStringOfRune: the ASCII table gives what string(r) does.
func TestRuneStringIsStringOfRune(t *testing.T) {
	for r := rune(0); r < 0x300; r++ {
		if got := runeString(r); got != string(r) {
			t.Fatalf("runeString(%#x) = %q, want %q", r, got, string(r))
		}
	}
}

// TestFrameStylesStayBounded: frames drawing ever new styles (a remote
// party's colours) keep the style table bounded, and every cell reaches
// the terminal in the style it was drawn with.
func TestFrameStylesStayBounded(t *testing.T) {
	sim := newSimScreen(t, 20, 4)
	f := newFrameScreen(sim)
	most := 0
	for n := 0; n < 5000; n++ {
		f.Clear()
		for x := 0; x < 20; x++ {
			f.SetContent(x, 0, 'a', nil, tcell.StyleDefault.Foreground(tcell.NewRGBColor(int32(n), int32(x), 7)))
		}
		f.SetContent(0, 1, 'b', nil, tcell.StyleDefault.Bold(true))
		f.Show()
		most = max(most, len(f.styles.styles))
		for x := 0; x < 20; x++ {
			if _, _, st, _ := sim.GetContent(x, 0); st != tcell.StyleDefault.Foreground(tcell.NewRGBColor(int32(n), int32(x), 7)) {
				t.Fatalf("frame %d: cell %d shown in the wrong style", n, x)
			}
		}
		if _, _, st, _ := sim.GetContent(0, 1); st != tcell.StyleDefault.Bold(true) {
			t.Fatalf("frame %d: a style kept across frames changed", n)
		}
	}
	t.Logf("at most %d styles numbered over 5,000 frames of 20 new ones", most)
	if most > maxFrameStyles+20 {
		t.Errorf("%d styles numbered", most)
	}
}
