package ui_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/calls/browser"
	"github.com/termatrix/termatrix/ui"
	"github.com/termatrix/termatrix/ui/uitest"
)

// TestLongMessageReadAgainFromTheStore: a long message from another
// member (55 KB, near the largest event Dendrite takes) is held compact
// by bob's view; the fold line counts the lines it holds, copying it
// (Alt+S, y) copies every line, read again from the store, and /expand
// shows it to its last line.
func TestLongMessageReadAgainFromTheStore(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "lbob")
	alice := st.MustRegister(t, "lalice")
	roomID := roomOfTwo(t, "Long Room", bob, alice)
	var b strings.Builder
	for i := 1; i <= 600; i++ {
		fmt.Fprintf(&b, "line %04d %s\n", i, strings.Repeat("y", 80))
	}
	body := strings.TrimSuffix(b.String(), "\n")

	cfg := testConfig(t)
	acct := login(t, sessions(t, cfg), st.BaseURL, bob.UserID)
	clip := &syncBuffer{}
	_, s := runUI(t, ui.Options{Config: cfg, Client: acct.Client, Calls: acct.Calls, Clipboard: clip})
	uitest.WaitFor(t, s, "Long Room", waitLong)
	if _, err := alice.SendMessage(ctx(t), roomID, body); err != nil {
		t.Fatal(err)
	}
	text := uitest.WaitFor(t, s, "lines more — /expand shows it", waitLong)
	if !strings.Contains(text, "line 0001") || strings.Contains(text, "line 0600") {
		t.Fatalf("the long message is not folded:\n%s", text)
	}

	altKey(s, 's')
	uitest.WaitFor(t, s, "y copy", waitLong)
	key(s, 'y')
	uitest.WaitFor(t, s, "Message copied", waitLong)
	if got, want := clip.String(), browser.OSC52(body); got != want {
		t.Errorf("copied %d bytes of OSC 52, want the whole message's %d", len(got), len(want))
	}
	s.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	uitest.WaitFor(t, s, "F1 help", waitLong)

	uitest.Type(s, "/expand")
	enter(s)
	text = uitest.WaitFor(t, s, "line 0600", waitLong)
	if strings.Contains(text, "/expand shows it") || strings.Contains(text, "too long to show") {
		t.Fatalf("the expanded message is still folded:\n%s", text)
	}
}
