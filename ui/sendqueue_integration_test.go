package ui_test

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/ui/uitest"
)

// TestSendQueueOnScreen: through a fault proxy, a message typed while the
// network stalls shows "(sending…)" and turns into the sent message when
// it resumes; a message the server refuses shows why with the retry hint,
// the message typed after it waits behind it, and the retry key sends both
// in order; /discard drops a refused one and lets the next go.
func TestSendQueueOnScreen(t *testing.T) {
	st := shared.Get(t)
	proxy := st.FaultProxyForTest(t)
	bob := st.MustRegister(t, "qbob")
	alice := st.MustRegister(t, "qalice")
	roomID := roomOfTwo(t, "Queue Room", bob, alice)
	screen := loginUIAt(t, proxy.URL(), alice)
	uitest.WaitFor(t, screen, "Queue Room", waitLong)
	screen.InjectKey(tcell.KeyCtrlK, 'k', tcell.ModCtrl)
	uitest.Type(screen, "Queue")
	enter(screen)
	uitest.WaitFor(t, screen, "Type a message", waitLong)

	// A stall: pending, then sent when the network comes back.
	proxy.Pause()
	uitest.Type(screen, "typed in a stall")
	enter(screen)
	uitest.WaitFor(t, screen, "typed in a stall (sending…", waitLong)
	proxy.Resume()
	uitest.WaitUntil(t, screen, "the stalled message is sent", waitLong, func(s string) bool {
		return strings.Contains(s, "typed in a stall") && !strings.Contains(s, "(sending")
	})
	waitServerMessage(t, bob, roomID, "typed in a stall")

	speak := func(level int) {
		t.Helper()
		if _, err := bob.SendState(ctx(t), roomID, "m.room.power_levels", "", map[string]any{
			"events_default": level, "users": map[string]any{bob.UserID: 100},
		}); err != nil {
			t.Fatal(err)
		}
	}
	// Refused: the reason and the retry hint; the next message waits.
	speak(50)
	uitest.Type(screen, "refused first")
	enter(screen)
	text := uitest.WaitFor(t, screen, "refused first (failed to send: M_FORBIDDEN", waitLong)
	uitest.WaitFor(t, screen, "press Ctrl+R to retry, /discard to drop it)", waitLong)
	uitest.Type(screen, "typed after it")
	enter(screen)
	text = uitest.WaitFor(t, screen, "typed after it (waiting: a message above was not sent)", waitLong)
	if strings.Count(text, "press Ctrl+R to retry, /discard") != 1 {
		t.Fatalf("the retry hint is not on the refused message alone:\n%s", text)
	}
	// Allowed again: the retry key sends both, in the order typed.
	speak(0)
	screen.InjectKey(tcell.KeyCtrlR, 'r', tcell.ModCtrl)
	uitest.WaitUntil(t, screen, "both sent", waitLong, func(s string) bool {
		return strings.Contains(s, "typed after it") && !strings.Contains(s, "failed to send") && !strings.Contains(s, "(waiting") && !strings.Contains(s, "(sending")
	})
	waitServerMessage(t, bob, roomID, "typed after it")
	msgs, err := bob.Messages(ctx(t), roomID, 20)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for i := len(msgs) - 1; i >= 0; i-- { // Messages is newest first
		for _, b := range []string{"refused first", "typed after it"} {
			if strings.Contains(string(msgs[i].Content), b) {
				order = append(order, b)
			}
		}
	}
	if strings.Join(order, ",") != "refused first,typed after it" {
		t.Fatalf("server order %v", order)
	}

	// /discard drops the refused message; the one behind it goes.
	speak(50)
	uitest.Type(screen, "doomed message")
	enter(screen)
	uitest.WaitFor(t, screen, "doomed message (failed to send", waitLong)
	uitest.Type(screen, "survivor")
	enter(screen)
	uitest.WaitFor(t, screen, "survivor (waiting", waitLong)
	speak(0)
	uitest.Type(screen, "/discard")
	enter(screen)
	uitest.WaitUntil(t, screen, "discarded, the next sent", waitLong, func(s string) bool {
		return !strings.Contains(s, "doomed message") && strings.Contains(s, "survivor") && !strings.Contains(s, "(waiting") && !strings.Contains(s, "(sending")
	})
	waitServerMessage(t, bob, roomID, "survivor")
}

// loginUIAt logs a registered user in at the homeserver URL base (a fault
// proxy) and runs the UI for them.
func loginUIAt(t *testing.T, base string, user teststack.User) tcell.SimulationScreen {
	t.Helper()
	cfg := testConfig(t)
	return loginUIOn(t, sessions(t, cfg), cfg, base, user)
}
