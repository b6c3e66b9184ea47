package ui_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/app"
	"github.com/termatrix/termatrix/ui"
	"github.com/termatrix/termatrix/ui/uitest"
)

// firstFrameScreen is a simulation screen that keeps the text of the
// first frame shown on it.
type firstFrameScreen struct {
	tcell.SimulationScreen
	once  sync.Once
	first chan string
}

func newFirstFrameScreen(t testing.TB) *firstFrameScreen {
	t.Helper()
	s := tcell.NewSimulationScreen("UTF-8")
	if err := s.Init(); err != nil {
		t.Fatal(err)
	}
	return &firstFrameScreen{SimulationScreen: s, first: make(chan string, 1)}
}

// Show shows the frame, keeping the first one's text.
func (s *firstFrameScreen) Show() {
	s.SimulationScreen.Show()
	s.once.Do(func() { s.first <- uitest.Text(s.SimulationScreen) })
}

// TestWarmStartDrawsRoomsBeforeTimeline shows that a start from the store
// draws its first frame (the room list, the open room's header, the
// composer) before the open room's timeline is read and laid out: that
// frame says "loading…", and the room's messages follow.
func TestWarmStartDrawsRoomsBeforeTimeline(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "wsbob")
	alice := st.MustRegister(t, "wsalice")
	roomID := roomOfTwo(t, "Warm Start Room", bob, alice)
	const msgs = 40
	for i := 1; i <= msgs; i++ {
		if _, err := bob.SendMessage(ctx(t), roomID, fmt.Sprintf("warm message %02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	cfg := testConfig(t)
	profile := storedProfile(t, cfg, st.BaseURL, alice.UserID, fmt.Sprintf("warm message %02d", msgs))
	c, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()

	ss2 := &app.Sessions{Profile: profile, Config: cfg}
	t.Cleanup(func() { _ = ss2.Close() })
	start := time.Now()
	acct2, err := ss2.Resume(c)
	if err != nil {
		t.Fatal(err)
	}
	screen := newFirstFrameScreen(t)
	runUIOn(t, ui.Options{Config: cfg, Client: acct2.Client, Calls: acct2.Calls}, screen)
	var first string
	select {
	case first = <-screen.first:
	case <-time.After(waitLong):
		t.Fatal("no frame drawn")
	}
	t.Logf("warm start: first frame after %v", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(first, "Warm Start Room") || !strings.Contains(first, "loading…") {
		t.Fatalf("the first frame lacks the room list or the timeline's loading note:\n%s", first)
	}
	if strings.Contains(first, "warm message") {
		t.Fatalf("the first frame waited for the timeline:\n%s", first)
	}
	text := uitest.WaitFor(t, screen, fmt.Sprintf("warm message %02d", msgs), waitLong)
	t.Logf("warm start: timeline shown after %v", time.Since(start).Round(time.Millisecond))
	if strings.Contains(text, "loading…") {
		t.Fatalf("still says loading with the timeline shown:\n%s", text)
	}
}
