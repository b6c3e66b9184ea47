package matrix

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/internal/elementpeer"
	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/matrix/e2ee"
)

// elementSession starts an Element session (matrix-js-sdk with Rust
// crypto in Chromium) of u.
func elementSession(t *testing.T, st *teststack.Stack, u teststack.User, recoveryKey string) *elementpeer.Peer {
	t.Helper()
	return elementpeer.ForTest(t, elementpeer.Options{
		BaseURL: st.BaseURL, UserID: u.UserID, AccessToken: u.AccessToken, DeviceID: u.DeviceID,
		Crypto: true, Password: u.Password, RecoveryKey: recoveryKey,
	})
}

// TestElementEncryptedChat is the everyday E2EE story with Element users,
// Element's own crypto on the other side: bob uses Element and logs in to
// termatrix next to it; alice uses Element in "only signed devices" mode.
// termatrix first shows bob's encrypted history as waiting for its key,
// verifies itself with bob's recovery key, decrypts the history from the
// key backup in place, chats with alice both ways (alice sees termatrix's
// device as signed by its owner), uploads its keys to the backup (a new
// Element session of bob reads termatrix's message from it), and trades
// key export files with Element both ways.
func TestElementEncryptedChat(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "elalice")
	bob := st.MustRegister(t, "elbob")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// Both Element users have cross-signing; alice excludes unsigned devices.
	ea := elementSession(t, st, alice, "")
	eb := elementSession(t, st, bob, "")
	if _, err := ea.BootstrapCrossSigning(ctx); err != nil {
		t.Fatal(err)
	}
	recovery, err := eb.BootstrapCrossSigning(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ea.SetOnlySignedDevices(ctx, true); err != nil {
		t.Fatal(err)
	}
	rid, err := ea.CreateEncryptedDM(ctx, bob.UserID)
	if err != nil {
		t.Fatal(err)
	}
	roomID := id.RoomID(rid)
	if _, err := eb.JoinRoom(ctx, rid); err != nil {
		t.Fatal(err)
	}
	const history = "said before termatrix logged in"
	if _, err := ea.SendText(ctx, rid, history); err != nil {
		t.Fatal(err)
	}
	if m, err := eb.WaitMessage(ctx, rid, history); err != nil || !m.Encrypted {
		t.Fatalf("bob's Element: %+v, %v", m, err)
	}
	if _, err := eb.WaitBackedUp(ctx); err != nil {
		t.Fatalf("bob's Element did not back the key up: %v", err)
	}
	// Bob's Element goes away: what termatrix sends later can only reach
	// the backup through termatrix.
	eb.Close()

	// termatrix logs in next to it: the history waits for its key.
	tm := loginLive(t, st, bob)
	tm.waitRoom(t, roomID, "the DM", func(r Room) bool { return r.Membership == event.MembershipJoin && r.Encrypted })
	var histID id.EventID
	waitStored(t, tm, roomID, "the history, undecryptable", func(ev *event.Event) bool {
		if _, ok := ev.Content.Parsed.(*Undecryptable); ok && ev.Sender == id.UserID(alice.UserID) {
			histID = ev.ID
			return true
		}
		return false
	})

	// alice's Element withholds keys from this unverified session, and
	// termatrix says so in the message's place.
	// Dendrite announces the new device asynchronously: alice's Element
	// can only withhold a key from a device it knows of.
	if _, err := ea.WaitDeviceTrust(ctx, bob.UserID, string(tm.DeviceID()), func(d elementpeer.DeviceTrust) bool { return d.Known }); err != nil {
		t.Fatalf("alice's Element never saw termatrix's device: %v", err)
	}
	const whileUnverified = "sent while termatrix was not verified"
	uvID, err := ea.SendText(ctx, rid, whileUnverified)
	if err != nil {
		t.Fatal(err)
	}
	withheld := waitStored(t, tm, roomID, "the message withheld from an unverified session", func(ev *event.Event) bool {
		u, ok := ev.Content.Parsed.(*Undecryptable)
		return ev.ID == id.EventID(uvID) && ok && u.Failure.Kind == e2ee.Withheld
	})
	if u := withheld.Content.Parsed.(*Undecryptable); u.Failure.Code != event.RoomKeyWithheldUnverified ||
		!strings.Contains(u.Failure.Text("alice"), "this session is not verified") {
		t.Errorf("withheld message: %+v %q", u.Failure, u.Failure.Text("alice"))
	}

	// The recovery key verifies the session and restores the backup.
	if err := tm.VerifyWithRecoveryKey(ctx, "not a key"); err == nil {
		t.Fatal("a wrong recovery key was accepted")
	}
	keyFile := filepath.Join(t.TempDir(), "recovery-key.txt")
	if err := os.WriteFile(keyFile, []byte(recovery), 0o600); err != nil {
		t.Fatal(err)
	}
	// As Element's "Download" saves it: read back through the flag's path.
	fromFile, err := e2ee.ReadRecoveryKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := tm.VerifyWithRecoveryKey(ctx, fromFile); err != nil {
		t.Fatalf("VerifyWithRecoveryKey: %v", err)
	}
	tm.rec.waitFor(t, waitTimeout, "history decrypted in place", func(u Update) bool {
		ed, ok := u.(EventsDecrypted)
		if !ok {
			return false
		}
		for _, ev := range ed.Events {
			if ev.ID == histID && body(ev) == history {
				return true
			}
		}
		return false
	})
	if v, err := tm.VerificationStatus(ctx); err != nil || !v.Verified {
		t.Fatalf("after the recovery key: %+v, %v", v, err)
	}
	if _, err := ea.WaitDeviceSignedByOwner(ctx, bob.UserID, string(tm.DeviceID())); err != nil {
		t.Fatalf("alice's Element does not see termatrix's device signed by bob: %v", err)
	}

	// Chat both ways, alice excluding unsigned devices.
	const fromTM = "hello from termatrix"
	txn := tm.SendText(roomID, fromTM, false)
	res := tm.rec.waitFor(t, waitTimeout, "sent", func(u Update) bool {
		er, ok := u.(EchoResolved)
		return ok && er.TxnID == txn
	}).(EchoResolved)
	if res.Err != nil {
		t.Fatalf("sending: %v", res.Err)
	}
	m, err := ea.WaitMessage(ctx, rid, fromTM)
	if err != nil {
		t.Fatalf("alice's Element: %v", err)
	}
	if !m.Encrypted || m.DecryptionFailure || strings.HasPrefix(m.Shield, "red") || m.SenderDevice != string(tm.DeviceID()) {
		t.Fatalf("alice's Element shows termatrix's message as %+v", m)
	}
	t.Logf("alice's Element: termatrix's message decrypted, shield %q", m.Shield)
	const fromElement = "hello from Element"
	sent, err := ea.SendText(ctx, rid, fromElement)
	if err != nil {
		t.Fatal(err)
	}
	got := tm.waitEvent(t, roomID, "alice's message", func(ev *event.Event) bool { return ev.ID == id.EventID(sent) })
	if body(got) != fromElement || !got.Mautrix.WasEncrypted {
		t.Fatalf("termatrix got %s %q", got.Type.Type, body(got))
	}

	// termatrix's key reached the backup: a new Element session of bob
	// restores it and reads termatrix's message.
	bob2, err := st.Login(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	var restored int
	var eb2 *elementpeer.Peer
	deadline := time.Now().Add(waitTimeout)
	for {
		if eb2 == nil {
			eb2 = elementSession(t, st, bob2, recovery)
		}
		if restored, err = eb2.RestoreKeyBackup(ctx); err != nil {
			t.Fatal(err)
		}
		if mm, err := eb2.Messages(ctx, rid); err == nil && hasBody(mm, fromTM) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob's new Element session cannot read termatrix's message from the backup (%d keys restored)", restored)
		}
		time.Sleep(time.Second)
	}

	// Key export files go both ways.
	exportFile := filepath.Join(t.TempDir(), "termatrix-keys.txt")
	n, err := tm.ExportKeys(ctx, exportFile, "pass phrase")
	if err != nil || n == 0 {
		t.Fatalf("ExportKeys: %d, %v", n, err)
	}
	data, err := os.ReadFile(exportFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := eb2.ImportKeys(ctx, string(data), "pass phrase"); err != nil {
		t.Fatalf("Element imports termatrix's export: %v", err)
	}
	text, err := eb2.ExportKeys(ctx, "other phrase")
	if err != nil {
		t.Fatal(err)
	}
	elFile := filepath.Join(t.TempDir(), "element-keys.txt")
	if err := os.WriteFile(elFile, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, total, err := tm.ImportKeys(ctx, elFile, "other phrase"); err != nil || total == 0 {
		t.Fatalf("termatrix imports Element's export: %d keys, %v", total, err)
	}
}

func hasBody(ms []elementpeer.Message, b string) bool {
	for _, m := range ms {
		if m.Body == b && !m.DecryptionFailure {
			return true
		}
	}
	return false
}

// waitStored waits until the room's stored timeline holds an event
// matching ok.
func waitStored(t *testing.T, l *live, roomID id.RoomID, what string, ok func(*event.Event) bool) *event.Event {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		tl, err := l.Timeline(roomID, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range tl {
			if ok(ev) {
				return ev
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
	return nil
}
