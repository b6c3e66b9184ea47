package matrix

import (
	"errors"
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// TestEncryptedRoomRefusesCleartext checks that nothing but state goes out
// in cleartext into a room with m.room.encryption: SendText resolves with
// ErrEncryptedRoom, SendEvent (m.call.* too) refuses, also on a client that
// has not synced the room yet, and the server never gets the plaintext.
func TestEncryptedRoomRefusesCleartext(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "ealice")
	bob := st.MustRegister(t, "ebob")
	ctx := ctxT(t)
	a := loginLive(t, st, alice)

	rid, err := bob.CreateRoom(ctx, map[string]any{
		"name":   "Secret",
		"invite": []string{alice.UserID},
		"power_level_content_override": map[string]any{
			"users": map[string]any{bob.UserID: 100, alice.UserID: 50},
		},
		"initial_state": []map[string]any{{
			"type": "m.room.encryption", "state_key": "",
			"content": map[string]any{"algorithm": "m.megolm.v1.aes-sha2"},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	roomID := id.RoomID(rid)
	a.waitRoom(t, roomID, "invite", func(r Room) bool { return r.Membership == event.MembershipInvite })
	if _, err := a.JoinRoom(ctx, rid); err != nil {
		t.Fatal(err)
	}
	a.waitRoom(t, roomID, "joined and encrypted", func(r Room) bool {
		return r.Membership == event.MembershipJoin && r.Encrypted
	})

	const secret = "my secret plaintext"
	txn := a.SendText(roomID, secret, false)
	res := a.rec.waitFor(t, waitTimeout, "echo resolved", func(u Update) bool {
		er, ok := u.(EchoResolved)
		return ok && er.TxnID == txn
	}).(EchoResolved)
	if !errors.Is(res.Err, ErrEncryptedRoom) || res.EventID != "" {
		t.Fatalf("SendText in an encrypted room resolved %+v, want ErrEncryptedRoom", res)
	}
	if !strings.Contains(res.Err.Error(), "nothing was sent") {
		t.Errorf("unclear error: %v", res.Err)
	}
	// A retry is refused the same way.
	before := len(a.rec.all())
	if err := a.Retry(roomID, txn); err != nil {
		t.Fatal(err)
	}
	res = a.rec.waitAfter(t, before, waitTimeout, "retry resolved", func(u Update) bool {
		er, ok := u.(EchoResolved)
		return ok && er.TxnID == txn
	}).(EchoResolved)
	if !errors.Is(res.Err, ErrEncryptedRoom) {
		t.Fatalf("Retry resolved %+v", res)
	}
	// Call signalling would leak SDP: refused.
	invite := map[string]any{"call_id": "c1", "version": "1", "lifetime": 60000,
		"offer": map[string]any{"type": "offer", "sdp": "v=0 secret-sdp"}}
	if _, err := a.SendEvent(ctx, roomID, event.CallInvite, invite); !errors.Is(err, ErrEncryptedRoom) {
		t.Fatalf("SendEvent m.call.invite: %v, want ErrEncryptedRoom", err)
	}
	// State is never encrypted in Matrix: allowed.
	if _, err := a.SendState(ctx, roomID, event.StateTopic, "", &event.TopicEventContent{Topic: "state is fine"}); err != nil {
		t.Fatalf("SendState topic: %v", err)
	}

	// A client that has not synced the room asks the server.
	sess2, err := Login(ctx, LoginParams{Homeserver: st.BaseURL, User: alice.UserID, Password: alice.Password})
	if err != nil {
		t.Fatal(err)
	}
	cold, _ := openTemp(t, sess2, Options{})
	if _, err := cold.SendEvent(ctx, roomID, event.EventMessage, map[string]any{"msgtype": "m.text", "body": secret}); !errors.Is(err, ErrEncryptedRoom) {
		t.Fatalf("unsynced SendEvent: %v, want ErrEncryptedRoom", err)
	}
	// ... and still sends into a room without encryption.
	plain, err := bob.CreateRoom(ctx, map[string]any{"invite": []string{alice.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Join(ctx, plain); err != nil {
		t.Fatal(err)
	}
	if _, err := cold.SendEvent(ctx, id.RoomID(plain), event.EventMessage, map[string]any{"msgtype": "m.text", "body": "plain"}); err != nil {
		t.Fatalf("unsynced SendEvent in a plain room: %v", err)
	}

	// The server holds no cleartext from alice.
	evs, err := bob.Messages(ctx, rid, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Sender == alice.UserID && ev.StateKey == nil {
			t.Errorf("alice's %s reached the encrypted room: %s", ev.Type, ev.Content)
		}
		if strings.Contains(string(ev.Content), secret) || strings.Contains(string(ev.Content), "secret-sdp") {
			t.Errorf("plaintext on the server: %s", ev.Content)
		}
	}
}
