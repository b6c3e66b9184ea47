package ui_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/ui/uitest"
)

// recoveryKeyPattern finds a recovery key as termatrix shows it: twelve
// groups of four base58 characters.
var recoveryKeyPattern = regexp.MustCompile(`(?:[1-9A-HJ-NP-Za-km-z]{4} ){11}[1-9A-HJ-NP-Za-km-z]{4}`)

// command types a slash command into the composer and sends it.
func command(screen tcell.SimulationScreen, cmd string) {
	uitest.Type(screen, cmd)
	enter(screen)
}

// answerSecret waits for a masked prompt labelled label, types secret
// into it, checks that the screen shows only asterisks, and submits it.
func answerSecret(t *testing.T, screen tcell.SimulationScreen, label, secret string) {
	t.Helper()
	uitest.WaitFor(t, screen, label, waitLong)
	uitest.Type(screen, secret)
	// A long secret scrolls in the field: its start may be out of view.
	text := uitest.WaitFor(t, screen, label+" "+strings.Repeat("*", min(len([]rune(secret)), 40)), waitLong)
	if strings.Contains(text, secret) {
		t.Fatalf("the secret typed at %q is on the screen:\n%s", label, text)
	}
	enter(screen)
	uitest.WaitUntil(t, screen, "the prompt closes", waitLong, func(s string) bool { return !strings.Contains(s, label) })
}

// waitBackedUp waits until the account's key backup holds a key of roomID.
func waitBackedUp(t *testing.T, u teststack.User, roomID string) {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	for {
		var ver struct {
			Version string `json:"version"`
		}
		var keys struct {
			Rooms map[string]any `json:"rooms"`
		}
		if err := u.Do(c, "GET", "/_matrix/client/v3/room_keys/version", nil, &ver); err == nil && ver.Version != "" {
			if err := u.Do(c, "GET", "/_matrix/client/v3/room_keys/keys?version="+url.QueryEscape(ver.Version), nil, &keys); err == nil && keys.Rooms[roomID] != nil {
				return
			}
		}
		select {
		case <-c.Done():
			t.Fatalf("the key backup never got a key of %s", roomID)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestCrossSigningRecoveryAndKeysThroughTheUI drives secure backup as a
// user does: /crosssigning setup in one session (password masked, the
// recovery key shown once), then a second session that cannot read an
// older message until /recovery (a wrong key first) verifies it and the
// backup's key decrypts the message in its place; /devices lists both
// sessions verified; /keys export asks the passphrase twice and /keys
// import reads the file back.
func TestCrossSigningRecoveryAndKeysThroughTheUI(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "xbob")
	alice, screen := loggedIn(t, st, "xalice")
	roomID := encryptedRoom(t, bob, alice, "Vault", screen)
	uitest.WaitFor(t, screen, "Vault 🔒", waitLong)
	uitest.WaitFor(t, screen, "/crosssigning setup", waitLong) // the notice, or the reminder after it

	const secret = "written before the second session"
	command(screen, secret)
	aliceLocal := strings.TrimPrefix(strings.SplitN(alice.UserID, ":", 2)[0], "@")
	uitest.WaitUntil(t, screen, "the message is sent", waitLong, func(s string) bool {
		return strings.Contains(s, aliceLocal+": "+secret) && !strings.Contains(s, "(sending…)")
	})

	command(screen, "/crosssigning setup")
	answerSecret(t, screen, "Password:", teststack.TestPassword)
	text := uitest.WaitFor(t, screen, "This is the recovery key of your account:", waitLong)
	key := recoveryKeyPattern.FindString(text)
	if key == "" {
		t.Fatalf("no recovery key shown:\n%s", text)
	}
	screen.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	text = uitest.WaitUntil(t, screen, "the key's dialog closes", waitLong, func(s string) bool { return !strings.Contains(s, "recovery key of your account") })
	if strings.Contains(text, key) || strings.Contains(text, teststack.TestPassword) {
		t.Fatalf("a secret stays on the screen:\n%s", text)
	}
	uitest.WaitUntil(t, screen, "this session is verified", waitLong, func(s string) bool {
		return strings.Contains(strings.ToLower(s), "this session is verified") && !strings.Contains(s, "/crosssigning setup")
	})
	waitBackedUp(t, alice, roomID)

	// A second session has no key for the older message.
	screen2 := loginUI(t, st, alice)
	// Why depends on timing: waiting for the key, or withheld by the
	// first session from an unverified one; it may change in place.
	placeholder := aliceLocal + ": Unable to decrypt: "
	uitest.WaitFor(t, screen2, placeholder, waitLong)
	uitest.WaitFor(t, screen2, "/recovery", waitLong) // not verified: the notice, or the reminder
	joined := aliceLocal + " joined the room"
	if uitest.Row(screen2, placeholder) != uitest.Row(screen2, joined)+1 {
		t.Fatalf("the placeholder is not right after %s's join:\n%s", aliceLocal, uitest.Text(screen2))
	}

	command(screen2, "/recovery")
	answerSecret(t, screen2, "Recovery key:", "not the key at all")
	uitest.WaitFor(t, screen2, "Wrong recovery key or passphrase", waitLong)
	command(screen2, "/recovery")
	answerSecret(t, screen2, "Recovery key:", key)
	text = uitest.WaitUntil(t, screen2, "the backup's key decrypts the message", waitLong, func(s string) bool {
		return strings.Contains(s, secret) && !strings.Contains(s, "Unable to decrypt")
	})
	// In the placeholder's place: the timeline is bottom-aligned, so a
	// one-row message where a wrapped reason was moves what is above it.
	if uitest.Row(screen2, aliceLocal+": "+secret) != uitest.Row(screen2, joined)+1 {
		t.Errorf("the decrypted message is not where its placeholder was:\n%s", text)
	}
	uitest.WaitUntil(t, screen2, "verified, and the backup restored", waitLong, func(s string) bool {
		return !strings.Contains(s, "unverified session") && (strings.Contains(s, "Restored") || strings.Contains(s, "This session is verified"))
	})

	command(screen2, "/devices")
	text = uitest.WaitFor(t, screen2, "(this session)", waitLong)
	if n := strings.Count(text, "✓ verified"); n != 2 {
		t.Errorf("%d sessions verified, want the two termatrix ones:\n%s", n, text)
	}
	screen2.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	uitest.WaitUntil(t, screen2, "the list closes", waitLong, func(s string) bool { return !strings.Contains(s, "(this session)") })

	file := filepath.Join(t.TempDir(), "element-keys.txt")
	command(screen, "/keys export "+file)
	answerSecret(t, screen, "Passphrase:", "correct horse")
	answerSecret(t, screen, "Again:", "correct horse battery")
	uitest.WaitFor(t, screen, "The passphrases differ: nothing was exported.", waitLong)
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("exported with differing passphrases: %v", err)
	}
	command(screen, "/keys export "+file)
	answerSecret(t, screen, "Passphrase:", "correct horse")
	answerSecret(t, screen, "Again:", "correct horse")
	uitest.WaitFor(t, screen, " to "+file+".", waitLong)
	if !regexp.MustCompile(`Exported [1-9][0-9]* room keys? to `).MatchString(uitest.Text(screen)) {
		t.Fatalf("no count of exported keys:\n%s", uitest.Text(screen))
	}

	command(screen2, "/keys import "+file)
	answerSecret(t, screen2, "Passphrase:", "wrong horse")
	uitest.WaitFor(t, screen2, "wrong passphrase", waitLong)
	command(screen2, "/keys import "+file)
	answerSecret(t, screen2, "Passphrase:", "correct horse")
	uitest.WaitFor(t, screen2, "Imported ", waitLong)
}
