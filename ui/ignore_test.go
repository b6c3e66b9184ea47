package ui

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/ui/uitest"
)

// beepScreen is a simulation screen that counts the bells rung on it.
type beepScreen struct {
	tcell.SimulationScreen
	beeps atomic.Int32
}

func (s *beepScreen) Beep() error {
	s.beeps.Add(1)
	return nil
}

// Lock and Unlock pass on the screen's lock, which uitest reads under.
func (s *beepScreen) Lock()   { s.SimulationScreen.(interface{ Lock() }).Lock() }
func (s *beepScreen) Unlock() { s.SimulationScreen.(interface{ Unlock() }).Unlock() }

// recordingOneToOne is a 1:1 call manager that only records what the
// calls controller asks of it, so a test sees whatever would reach the peer.
type recordingOneToOne struct {
	mu    sync.Mutex
	calls []string
	got   chan string
}

func (r *recordingOneToOne) record(what string) error {
	r.mu.Lock()
	r.calls = append(r.calls, what)
	r.mu.Unlock()
	r.got <- what
	return nil
}

func (r *recordingOneToOne) PlaceCall(room id.RoomID, _ id.UserID, _ bool) error {
	return r.record("place " + string(room))
}
func (r *recordingOneToOne) Answer(room id.RoomID) error { return r.record("answer " + string(room)) }
func (r *recordingOneToOne) Reject(room id.RoomID) error { return r.record("reject " + string(room)) }
func (r *recordingOneToOne) Hangup(room id.RoomID) error { return r.record("hangup " + string(room)) }
func (r *recordingOneToOne) ToggleMute() error           { return r.record("mute") }
func (r *recordingOneToOne) Active() (calls.CallInfo, bool) {
	return calls.CallInfo{}, false
}
func (r *recordingOneToOne) Subscribe() (<-chan calls.CallChanged, func()) {
	return make(chan calls.CallChanged), func() {}
}

func (r *recordingOneToOne) recorded() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

// onUI runs f on the UI goroutine and waits until it has run, so all
// earlier queued work is done too.
func onUI(t *testing.T, u *UI, f func()) {
	t.Helper()
	done := make(chan struct{})
	u.queue(func() { f(); close(done) })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the UI goroutine did not run the function")
	}
}

// TestIgnoreSilencesRingingCall: the incoming-call banner offers the
// ignore key; pressing it hides the banner, sends nothing to the peer
// (no reject, no hangup) and rings no second bell when the same call is
// reported again, while /answer still answers it. /ignore does the same,
// and a new call rings again.
func TestIgnoreSilencesRingingCall(t *testing.T) {
	sim := tcell.NewSimulationScreen("UTF-8")
	if err := sim.Init(); err != nil {
		t.Fatal(err)
	}
	screen := &beepScreen{SimulationScreen: sim}
	u := offlineUIOn(t, screen, &lockedBuffer{})
	one := &recordingOneToOne{got: make(chan string, 10)}
	ctl := calls.New(calls.Options{})
	ctl.SetOneToOne(one)
	u.queue(func() {
		screen.SetSize(130, 40)
		u.cfg.Notifications.Bell = true
		u.s.calls = ctl
	})
	ringing := func(callID string) calls.CallChanged {
		return calls.CallChanged{Call: calls.CallInfo{CallID: callID, RoomID: "!dm:hs", PeerID: "@bob:hs", PeerName: "bob",
			Incoming: true, State: calls.CallRinging}}
	}

	u.queue(func() { u.handleCallEvent(ringing("c1")) })
	uitest.WaitFor(t, screen, "Incoming voice call from bob — F7 answer, F9 reject, F10 ignore", 5*time.Second)
	if n := screen.beeps.Load(); n != 1 {
		t.Fatalf("%d bells for the incoming call, want 1", n)
	}

	screen.InjectKey(tcell.KeyF10, 0, tcell.ModNone)
	text := uitest.WaitUntil(t, screen, "the banner goes", 5*time.Second, func(s string) bool {
		return !strings.Contains(s, "Incoming voice call") && strings.Contains(s, "Ignored the call from bob")
	})
	if !strings.Contains(text, "F7 or /answer still answers it") {
		t.Errorf("the status line does not say the call can still be answered:\n%s", text)
	}

	// The manager reports the same call again while it rings on: no
	// bell, no banner.
	onUI(t, u, func() { u.handleCallEvent(ringing("c1")) })
	time.Sleep(200 * time.Millisecond) // let a wrongly started Reject or Hangup arrive
	if n := screen.beeps.Load(); n != 1 {
		t.Errorf("%d bells after ignoring, want still 1", n)
	}
	if s := uitest.Text(screen); strings.Contains(s, "Incoming voice call") {
		t.Errorf("the banner came back for the ignored call:\n%s", s)
	}
	if got := one.recorded(); len(got) != 0 {
		t.Fatalf("ignoring sent %v to the call manager, want nothing", got)
	}

	// It can still be answered while it rings.
	uitest.Type(screen, "/answer")
	screen.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	select {
	case got := <-one.got:
		if got != "answer !dm:hs" {
			t.Fatalf("/answer on the ignored call did %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("/answer did not reach the call manager for the ignored call")
	}

	// It ends; a new call rings and shows again, and /ignore silences it.
	onUI(t, u, func() {
		u.handleCallEvent(calls.CallChanged{Call: calls.CallInfo{CallID: "c1", PeerName: "bob", State: calls.CallEnded, EndReason: "bob hung up"}})
		u.handleCallEvent(ringing("c2"))
	})
	uitest.WaitFor(t, screen, "Incoming voice call from bob", 5*time.Second)
	if n := screen.beeps.Load(); n != 2 {
		t.Errorf("%d bells after a new call, want 2", n)
	}
	uitest.Type(screen, "/ignore")
	screen.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	uitest.WaitUntil(t, screen, "/ignore hides the banner", 5*time.Second, func(s string) bool {
		return !strings.Contains(s, "Incoming voice call") && strings.Contains(s, "Ignored the call from bob")
	})
	onUI(t, u, func() { u.handleCallEvent(ringing("c2")) })
	time.Sleep(100 * time.Millisecond)
	if got := one.recorded(); len(got) != 1 {
		t.Errorf("the call manager got %v, want only the first answer", got)
	}
	if n := screen.beeps.Load(); n != 2 {
		t.Errorf("%d bells after /ignore, want still 2", n)
	}
}

// TestIgnoreWithoutRingingCall: with no call ringing the key only says so.
func TestIgnoreWithoutRingingCall(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	_ = u
	screen.InjectKey(tcell.KeyF10, 0, tcell.ModNone)
	uitest.WaitFor(t, screen, "No call is ringing.", 5*time.Second)
}

// TestHelpListsIgnore: /help names the ignore key and command.
func TestHelpListsIgnore(t *testing.T) {
	_, screen := offlineUI(t, &lockedBuffer{})
	uitest.Type(screen, "/help")
	screen.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	text := uitest.WaitFor(t, screen, "/ignore", 5*time.Second)
	if !strings.Contains(text, "F10") || !strings.Contains(text, "ignore call") {
		t.Errorf("help lacks the ignore key:\n%s", text)
	}
}
