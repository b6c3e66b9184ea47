package matrix

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"

	"github.com/termatrix/termatrix/matrix/e2ee"
)

// TestEncryptedChat checks end-to-end encryption between two termatrix
// clients: messages and call signalling are encrypted on the way out and
// decrypted (before the timeline, notifications and the calls code see
// them) on the way in, the server holds no cleartext, a session that
// joined later shows the older message as waiting for its key, and the
// key imported from the first session's export decrypts it in place.
func TestEncryptedChat(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "ealice")
	bob := st.MustRegister(t, "ebob")
	ctx := ctxT(t)
	a := loginLive(t, st, alice)
	b := loginLive(t, st, bob)

	roomID := encryptedRoom(t, b, a, bob)
	rid := string(roomID)
	a.waitRoom(t, roomID, "joined and encrypted", func(r Room) bool {
		return r.Membership == event.MembershipJoin && r.Encrypted && r.JoinedMembers == 2
	})

	const secret = "my secret plaintext"
	txn := a.SendText(roomID, secret, false)
	res := a.rec.waitFor(t, waitTimeout, "echo resolved", func(u Update) bool {
		er, ok := u.(EchoResolved)
		return ok && er.TxnID == txn
	}).(EchoResolved)
	if res.Err != nil || res.EventID == "" {
		t.Fatalf("SendText in an encrypted room resolved %+v", res)
	}
	got := b.waitEvent(t, roomID, "alice's message decrypted", func(ev *event.Event) bool { return ev.ID == res.EventID })
	if body(got) != secret || got.Type != event.EventMessage || !got.Mautrix.WasEncrypted {
		t.Fatalf("bob got %s %q (encrypted %v), want the decrypted message", got.Type.Type, body(got), got.Mautrix.WasEncrypted)
	}
	// Alice's own echo through sync decrypts too (her own session).
	mine := a.waitEvent(t, roomID, "own message through sync", func(ev *event.Event) bool { return ev.ID == res.EventID })
	if body(mine) != secret {
		t.Fatalf("own message through sync: %s %q", mine.Type.Type, body(mine))
	}
	// And from the store after a restart of the view.
	stored, err := b.Timeline(roomID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if last := stored[len(stored)-1]; body(last) != secret || !last.Mautrix.WasEncrypted {
		t.Fatalf("stored: %s %q encrypted=%v", last.Type.Type, body(last), last.Mautrix.WasEncrypted)
	}

	// A single event fetched (a reply's quote) is decrypted too.
	if fetched, err := b.Event(ctx, roomID, res.EventID); err != nil || body(fetched) != secret {
		t.Fatalf("Event: %v %q", err, body(fetched))
	}

	// Call signalling is encrypted and reaches the calls code decrypted.
	invite := map[string]any{"call_id": "c1", "party_id": string(a.DeviceID()), "version": "1", "lifetime": 60000,
		"offer": map[string]any{"type": "offer", "sdp": "v=0 secret-sdp"}}
	if _, err := a.SendEvent(ctx, roomID, event.CallInvite, invite); err != nil {
		t.Fatalf("SendEvent m.call.invite: %v", err)
	}
	cs := b.rec.waitFor(t, waitTimeout, "call invite signal", func(u Update) bool {
		c, ok := u.(CallSignal)
		return ok && c.RoomID == roomID
	}).(CallSignal)
	if cs.Event.Type != event.CallInvite || !strings.Contains(string(cs.Event.Content.VeryRaw), "secret-sdp") {
		t.Fatalf("call signal: %s %s", cs.Event.Type.Type, cs.Event.Content.VeryRaw)
	}
	// State is never encrypted in Matrix.
	if _, err := a.SendState(ctx, roomID, event.StateTopic, "", &event.TopicEventContent{Topic: "state is fine"}); err != nil {
		t.Fatalf("SendState topic: %v", err)
	}

	// The server holds no cleartext from alice.
	evs, err := bob.Messages(ctx, rid, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Sender == alice.UserID && ev.StateKey == nil && ev.Type != event.EventEncrypted.Type {
			t.Errorf("alice's %s reached the encrypted room in clear: %s", ev.Type, ev.Content)
		}
		if strings.Contains(string(ev.Content), secret) || strings.Contains(string(ev.Content), "secret-sdp") {
			t.Errorf("plaintext on the server: %s", ev.Content)
		}
	}

	// A second session of alice's, logged in after the message, has no
	// key for it: the message says so...
	sess2, err := Login(ctx, LoginParams{Homeserver: st.BaseURL, User: alice.UserID, Password: alice.Password})
	if err != nil {
		t.Fatal(err)
	}
	a2 := startLive(t, sess2, filepath.Join(t.TempDir(), "store2.db"), Options{})
	var utd *event.Event
	deadline := time.Now().Add(waitTimeout)
	for utd == nil && time.Now().Before(deadline) {
		tl, err := a2.Timeline(roomID, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range tl {
			if ev.ID == res.EventID {
				utd = ev
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if utd == nil {
		t.Fatal("the second session never got the room's history")
	}
	u, ok := utd.Content.Parsed.(*Undecryptable)
	if !ok || u.Failure.Kind != e2ee.Waiting {
		t.Fatalf("second session: %s %T %+v, want an undecryptable event waiting for its key", utd.Type.Type, utd.Content.Parsed, u)
	}
	if text := u.Failure.Text("alice"); !strings.HasPrefix(text, "Unable to decrypt: waiting for the key from alice's device") {
		t.Errorf("placeholder: %q", text)
	}
	// ... until the first session's key export is imported there.
	keyFile := filepath.Join(t.TempDir(), "keys.txt")
	n, err := a.ExportKeys(ctx, keyFile, "correct horse")
	if err != nil || n == 0 {
		t.Fatalf("ExportKeys: %d keys, %v", n, err)
	}
	if _, _, err := a2.ImportKeys(ctx, keyFile, "wrong"); err == nil {
		t.Error("ImportKeys with a wrong passphrase succeeded")
	}
	imported, total, err := a2.ImportKeys(ctx, keyFile, "correct horse")
	if err != nil || imported == 0 || total != n {
		t.Fatalf("ImportKeys: %d of %d (exported %d), %v", imported, total, n, err)
	}
	dec := a2.rec.waitFor(t, waitTimeout, "decrypted in place", func(u Update) bool {
		ed, ok := u.(EventsDecrypted)
		if !ok || ed.RoomID != roomID {
			return false
		}
		for _, ev := range ed.Events {
			if ev.ID == res.EventID && body(ev) == secret {
				return true
			}
		}
		return false
	})
	_ = dec
	tl, err := a2.Timeline(roomID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range tl {
		if ev.ID == res.EventID && body(ev) != secret {
			t.Errorf("stored after the import: %s %q", ev.Type.Type, body(ev))
		}
	}
}
