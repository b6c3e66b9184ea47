package ui

import (
	"testing"

	"github.com/gdamore/tcell/v2"
)

// TestOpenedScreenIsInitialisedOnce: a screen opened ahead (OpenTerminal)
// is not initialised again when tview takes it, which would reset it (on a
// real terminal, engage it twice); later Inits (after a suspend) reach it.
func TestOpenedScreenIsInitialisedOnce(t *testing.T) {
	sim := tcell.NewSimulationScreen("UTF-8")
	if err := sim.Init(); err != nil {
		t.Fatal(err)
	}
	sim.SetSize(150, 40) // a simulation screen's Init resets its size
	f := newFrameScreen(sim)
	f.opened = true
	if err := f.Init(); err != nil {
		t.Fatal(err)
	}
	if w, h := sim.Size(); w != 150 || h != 40 {
		t.Fatalf("the opened screen was initialised again: %d×%d", w, h)
	}
	if err := f.Init(); err != nil {
		t.Fatal(err)
	}
	if w, h := sim.Size(); w == 150 && h == 40 {
		t.Fatal("a second Init did not reach the screen")
	}
}
