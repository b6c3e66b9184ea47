package ui_test

import (
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/ui/uitest"
)

// TestOneToOneCallThroughTheUI places a voice call with the voice key,
// answers it with the answer key on the other client's screen, and hangs
// up: the incoming banner and the call panel follow the call.
func TestOneToOneCallThroughTheUI(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "vbob")
	alice := st.MustRegister(t, "valice")
	roomID, err := bob.CreateRoom(ctx(t), map[string]any{"name": "Call Room", "invite": []string{alice.UserID}, "is_direct": true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Join(ctx(t), roomID); err != nil {
		t.Fatal(err)
	}
	aliceScreen := loginUI(t, st, alice)
	bobScreen := loginUI(t, st, bob)
	uitest.WaitFor(t, aliceScreen, "Call Room", waitLong)
	uitest.WaitFor(t, bobScreen, "Call Room", waitLong)

	aliceScreen.InjectKey(tcell.KeyF5, 0, tcell.ModNone)
	uitest.WaitFor(t, aliceScreen, "Calling ", waitLong)
	uitest.WaitFor(t, bobScreen, "Incoming voice call from", waitLong)
	bobScreen.InjectKey(tcell.KeyF7, 0, tcell.ModNone)
	uitest.WaitFor(t, bobScreen, "In voice call with", waitLong)
	uitest.WaitFor(t, aliceScreen, "In voice call with", waitLong)
	// The panel says how media flows (no TURN on this stack: direct).
	uitest.WaitFor(t, aliceScreen, " · direct", waitLong)
	aliceScreen.InjectKey(tcell.KeyF4, 0, tcell.ModNone)
	uitest.WaitFor(t, aliceScreen, "MUTED", waitLong)
	aliceScreen.InjectKey(tcell.KeyF8, 0, tcell.ModNone)
	uitest.WaitFor(t, aliceScreen, "ended", waitLong)
	uitest.WaitFor(t, bobScreen, "ended", waitLong)
	// The timeline tells the call in one line on each side.
	uitest.WaitFor(t, aliceScreen, "You called ", waitLong)
	uitest.WaitFor(t, bobScreen, " called you (voice) — 0:0", waitLong)
}
