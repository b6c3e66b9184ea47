package ui_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/termatrix/termatrix/app"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/ui"
	"github.com/termatrix/termatrix/ui/uitest"
)

// TestAccountWorkWaitsForTheFirstFrame shows that a start wired as the
// program wires it (app.Sessions.StartAfter closed by ui.Options.FirstFrame)
// draws the room list from the store before the account's background work
// starts: the client says "connecting" only after the first frame was
// shown, FirstFrame is called once, and the account then syncs.
func TestAccountWorkWaitsForTheFirstFrame(t *testing.T) {
	st := shared.Get(t)
	alice := st.MustRegister(t, "ffalice")
	if _, err := alice.CreateRoom(ctx(t), map[string]any{"name": "First Frame Room"}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	profile := storedProfile(t, cfg, st.BaseURL, alice.UserID, "First Frame Room")
	c, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()

	// What happened, in order: the client's connection states as they
	// arrive (each published before it arrives) and the first frame.
	var mu sync.Mutex
	var order []string
	note := func(s string) {
		mu.Lock()
		order = append(order, s)
		mu.Unlock()
	}
	gate := make(chan struct{})
	ss2 := &app.Sessions{Profile: profile, Config: cfg, StartAfter: gate}
	t.Cleanup(func() { _ = ss2.Close() })
	acct2, err := ss2.Resume(c)
	if err != nil {
		t.Fatal(err)
	}
	updates, stop := acct2.Client.Subscribe()
	t.Cleanup(stop)
	go func() {
		for up := range updates {
			if s, ok := up.(matrix.StatusChanged); ok && s.State != matrix.StateOffline {
				note("status " + s.State.String())
			}
		}
	}()
	screen := newFirstFrameScreen(t)
	var calls atomic.Int32
	runUIOn(t, ui.Options{Config: cfg, Client: acct2.Client, Calls: acct2.Calls, FirstFrame: func() {
		calls.Add(1)
		note("first frame")
		close(gate) // as app.run does
	}}, screen)
	var first string
	select {
	case first = <-screen.first:
	case <-time.After(waitLong):
		t.Fatal("no frame drawn")
	}
	if !strings.Contains(first, "First Frame Room") {
		t.Fatalf("the first frame lacks the room list:\n%s", first)
	}
	// Frames after the first (the timeline, the sync) call it no more.
	uitest.WaitFor(t, screen, " synced", waitLong)
	if n := calls.Load(); n != 1 {
		t.Fatalf("FirstFrame called %d times, want once", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(order) < 2 || order[0] != "first frame" || !strings.HasPrefix(order[1], "status ") {
		t.Fatalf("the account's work did not wait for the first frame; in order: %q", order)
	}
}
