package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/ui/uitest"
)

// TestVerifySessionWithEmojiThroughTheUI verifies a new session with the
// user's other session (which holds the cross-signing keys) as a user
// does: /verify, the other session accepts, the UI shows the seven emoji
// with their names, y confirms, and the session ends verified.
func TestVerifySessionWithEmojiThroughTheUI(t *testing.T) {
	st := shared.Get(t)
	user := st.MustRegister(t, "vemoji")
	c := ctx(t)

	// The user's first session, with cross-signing set up.
	other, ups := headless(t, st, user)
	if _, err := other.SetupCrossSigning(c, teststack.TestPassword, false); err != nil {
		t.Fatal(err)
	}

	// termatrix's new session asks to be verified.
	screen := loginUI(t, st, user)
	uitest.WaitFor(t, screen, "This session is not verified", waitLong)
	uitest.WaitFor(t, screen, "unverified session", waitLong)
	command(screen, "/verify")
	req := waitUpdate(t, ups, func(u matrix.Update) bool { r, ok := u.(matrix.VerificationRequested); return ok && r.Incoming }).(matrix.VerificationRequested)
	if err := other.AcceptVerification(req.TxnID); err != nil {
		t.Fatal(err)
	}
	sas := waitUpdate(t, ups, func(u matrix.Update) bool { _, ok := u.(matrix.VerificationSAS); return ok }).(matrix.VerificationSAS)
	text := uitest.WaitFor(t, screen, "Do the emoji match?", waitLong)
	for _, e := range sas.Emoji {
		if !strings.Contains(text, e.Name) {
			t.Errorf("the UI does not show the emoji %q:\n%s", e.Name, text)
		}
	}
	if err := other.ConfirmSAS(sas.TxnID); err != nil {
		t.Fatal(err)
	}
	uitest.Type(screen, "y")
	end := waitUpdate(t, ups, func(u matrix.Update) bool { _, ok := u.(matrix.VerificationEnded); return ok }).(matrix.VerificationEnded)
	if !end.Done {
		t.Fatalf("the other session: verification ended: %s\n%s", end.Reason, uitest.Text(screen))
	}
	// The status line's lasting mark of an unverified session goes; the
	// messages on the way (verified, then the backup restored) pass
	// quickly, so the test looks for the mark.
	uitest.WaitUntil(t, screen, "the session shown verified", waitLong, func(s string) bool {
		return !strings.Contains(s, "unverified session") && !strings.Contains(s, "Do the emoji match?")
	})
}

// waitUpdate waits for a client update matching ok.
func waitUpdate(t *testing.T, ups <-chan matrix.Update, ok func(matrix.Update) bool) matrix.Update {
	t.Helper()
	deadline := time.After(waitLong)
	for {
		select {
		case u := <-ups:
			if ok(u) {
				return u
			}
		case <-deadline:
			t.Fatal("timed out waiting for a client update")
			return nil
		}
	}
}
