package matrix

import (
	"testing"

	"maunium.net/go/mautrix/event"
)

// A room the store still believes unencrypted (sync has not brought its
// m.room.encryption yet: a room just created with encryption in its
// initial state can be synced before that event) is checked with the
// server before the first message goes in: the message goes encrypted,
// never in clear.
func TestStaleUnencryptedRoomIsCheckedBeforeSending(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "salice")
	bob := st.MustRegister(t, "sbob")
	a := loginLive(t, st, alice)
	b := loginLive(t, st, bob)
	roomID := encryptedRoom(t, b, a, bob)

	// Make alice's client see the room as sync may show it for a moment.
	a.mu.Lock()
	row := *a.rooms[roomID]
	row.Encrypted = false
	a.rooms[roomID] = &row
	a.mu.Unlock()

	const secret = "must never be cleartext"
	txn := a.SendText(roomID, secret, false)
	res := a.rec.waitFor(t, waitTimeout, "echo resolved", func(u Update) bool {
		er, ok := u.(EchoResolved)
		return ok && er.TxnID == txn
	}).(EchoResolved)
	if res.Err != nil {
		t.Fatalf("send: %v", res.Err)
	}
	ev, err := bob.WaitForEvent(ctxT(t), string(roomID), string(res.EventID))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != event.EventEncrypted.Type {
		t.Fatalf("the message went out as %s, not encrypted: %s", ev.Type, ev.Content)
	}
}
