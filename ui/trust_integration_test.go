package ui_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/ui/uitest"
)

// headless logs u in with termatrix's core (no UI) and syncs until the
// test ends; it returns the client and its updates.
func headless(t *testing.T, st *teststack.Stack, u teststack.User) (*matrix.Client, <-chan matrix.Update) {
	t.Helper()
	c := ctx(t)
	sess, err := matrix.Login(c, matrix.LoginParams{Homeserver: st.BaseURL, User: u.UserID, Password: teststack.TestPassword})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := matrix.Open(c, sess, filepath.Join(t.TempDir(), "headless.db"), matrix.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ups, stop := cl.Subscribe()
	runCtx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); stop(); _ = cl.Close() })
	go func() { _ = cl.Run(runCtx) }()
	waitUpdate(t, ups, func(u matrix.Update) bool {
		s, ok := u.(matrix.StatusChanged)
		return ok && s.State == matrix.StateSynced
	})
	return cl, ups
}

// TestVerifyUserAndIdentityChangeThroughTheUI verifies another user by
// emoji from the UI (/verify @bob in an encrypted room), checks the
// member list marks bob verified, then has bob reset his identity and
// checks the UI warns about it and marks him in the member list.
func TestVerifyUserAndIdentityChangeThroughTheUI(t *testing.T) {
	st := shared.Get(t)
	alice, screen := loggedIn(t, st, "tvalice")
	bobUser := st.MustRegister(t, "tvbob")
	bob, ups := headless(t, st, bobUser)
	c := ctx(t)

	command(screen, "/crosssigning setup")
	answerSecret(t, screen, "Password:", teststack.TestPassword)
	uitest.WaitFor(t, screen, "Your recovery key", waitLong)
	screen.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	if _, err := bob.SetupCrossSigning(c, teststack.TestPassword, false); err != nil {
		t.Fatal(err)
	}
	roomID := encryptedRoom(t, bobUser, alice, "Trust", screen)
	screen.InjectKey(tcell.KeyF2, 0, tcell.ModNone)

	command(screen, "/verify "+bobUser.UserID)
	req := waitUpdate(t, ups, func(u matrix.Update) bool { r, ok := u.(matrix.VerificationRequested); return ok && r.Incoming }).(matrix.VerificationRequested)
	if err := bob.AcceptVerification(req.TxnID); err != nil {
		t.Fatal(err)
	}
	sas := waitUpdate(t, ups, func(u matrix.Update) bool { _, ok := u.(matrix.VerificationSAS); return ok }).(matrix.VerificationSAS)
	uitest.WaitFor(t, screen, "Do the emoji match?", waitLong)
	if err := bob.ConfirmSAS(sas.TxnID); err != nil {
		t.Fatal(err)
	}
	uitest.Type(screen, "y")
	if end := waitUpdate(t, ups, func(u matrix.Update) bool { _, ok := u.(matrix.VerificationEnded); return ok }).(matrix.VerificationEnded); !end.Done {
		t.Fatalf("bob: verification ended: %s", end.Reason)
	}
	uitest.WaitFor(t, screen, " ✓", waitLong)

	// bob resets his identity: alice's UI warns, and says so by his name.
	if _, err := bob.SetupCrossSigning(c, teststack.TestPassword, true); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitLong)
	for !strings.Contains(uitest.Text(screen), "identity changed") {
		if time.Now().After(deadline) {
			t.Fatalf("no warning about bob's new identity:\n%s", uitest.Text(screen))
		}
		// News from the room makes the UI look again.
		bob.SendText(id.RoomID(roomID), "ping", false)
		time.Sleep(time.Second)
	}
}
