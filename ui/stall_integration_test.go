package ui_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/ui"
	"github.com/termatrix/termatrix/ui/uitest"
)

// TestStatusLineSaysHomeserverNotAnswering: with the real Dendrite behind
// a proxy that stalls, the status line turns from "synced" to "homeserver
// not answering (Ns)…" while the long-poll hangs, and back to "synced"
// once the stall ends. The time it took is printed as a figure.
func TestStatusLineSaysHomeserverNotAnswering(t *testing.T) {
	st := shared.Get(t)
	user := st.MustRegister(t, "stallui")
	proxy := st.FaultProxyForTest(t)
	c := ctx(t)
	sess, err := matrix.Login(c, matrix.LoginParams{Homeserver: st.BaseURL, User: user.UserID, Password: teststack.TestPassword})
	if err != nil {
		t.Fatal(err)
	}
	sess.Homeserver = proxy.URL()
	const longPoll, stall = 5 * time.Second, 15 * time.Second
	cl, err := matrix.Open(c, sess, filepath.Join(t.TempDir(), "store.db"), matrix.Options{SyncTimeout: longPoll})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); _ = cl.Close() })
	go func() { _ = cl.Run(runCtx) }()
	_, screen := runUI(t, ui.Options{Config: testConfig(t), Client: cl})
	uitest.WaitFor(t, screen, " synced", waitLong)
	time.Sleep(300 * time.Millisecond) // the long-poll is under way

	began := time.Now()
	proxy.Pause()
	if !waitScreen(screen, stall, "homeserver not answering (") {
		proxy.Resume()
		t.Fatalf("the status line never said the homeserver was not answering during a %v stall:\n%s", stall, uitest.Text(screen))
	}
	t.Logf("figure: status line says 'not answering' %.1fs after the stall began (long-poll %v)", time.Since(began).Seconds(), longPoll)
	time.Sleep(time.Until(began.Add(stall)))
	proxy.Resume()
	resumed := time.Now()
	uitest.WaitUntil(t, screen, "synced after the stall", waitLong, func(s string) bool {
		return strings.Contains(s, " synced") && !strings.Contains(s, "not answering")
	})
	t.Logf("figure: status line says 'synced' %.1fs after the stall ended", time.Since(resumed).Seconds())
}

// waitScreen polls the screen for want until timeout; false if it never
// showed.
func waitScreen(screen tcell.SimulationScreen, timeout time.Duration, want string) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if strings.Contains(uitest.Text(screen), want) {
			return true
		}
	}
	return false
}
