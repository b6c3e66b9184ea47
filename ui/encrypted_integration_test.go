package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/ui/uitest"
)

// TestEncryptedRoomSaysNothingIsSent (F29): in an end-to-end encrypted
// room the header banner warns that termatrix cannot send there, a typed
// message is marked not sent with the reason, and the voice key of a
// two-person room says plainly why there is no call.
func TestEncryptedRoomSaysNothingIsSent(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "ebob")
	alice, screen := loggedIn(t, st, "ealice")
	roomID, err := bob.CreateRoom(ctx(t), map[string]any{
		"name":   "Secret Place",
		"invite": []string{alice.UserID},
		"initial_state": []map[string]any{{"type": "m.room.encryption", "state_key": "",
			"content": map[string]any{"algorithm": "m.megolm.v1.aes-sha2"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Join(ctx(t), roomID); err != nil {
		t.Fatal(err)
	}
	uitest.WaitFor(t, screen, "Secret Place", waitLong)
	uitest.WaitFor(t, screen, "Encrypted room: this room is end-to-end encrypted and termatrix cannot encrypt yet", waitLong)

	uitest.Type(screen, "my secret plaintext")
	screen.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	text := uitest.WaitFor(t, screen, "my secret plaintext (not sent: the room is encrypted)", waitLong)
	if !strings.Contains(text, "Not sent: this room is end-to-end encrypted") {
		t.Fatalf("the status line does not say why:\n%s", text)
	}
	if strings.Contains(text, "to retry") {
		t.Fatalf("offers a retry that can never work:\n%s", text)
	}

	screen.InjectKey(tcell.KeyF5, 0, tcell.ModNone)
	uitest.WaitFor(t, screen, "No call: 1:1 calls need encrypted signalling here", waitLong)

	time.Sleep(200 * time.Millisecond)
	msgs, err := bob.Messages(ctx(t), roomID, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if strings.Contains(string(m.Content), "plaintext") || strings.HasPrefix(m.Type, "m.call.") {
			t.Fatalf("sent into the encrypted room: %s %s", m.Type, m.Content)
		}
	}
}
