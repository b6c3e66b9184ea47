package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/ui/uitest"
)

// encryptedRoom has owner create an end-to-end encrypted room named name
// and member join it, and waits until member's screen shows the room
// joined; it returns the room's ID.
func encryptedRoom(t *testing.T, owner, member teststack.User, name string, screen tcell.SimulationScreen) string {
	t.Helper()
	roomID, err := owner.CreateRoom(ctx(t), map[string]any{
		"name":   name,
		"invite": []string{member.UserID},
		"initial_state": []map[string]any{{"type": "m.room.encryption", "state_key": "",
			"content": map[string]any{"algorithm": "m.megolm.v1.aes-sha2"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := member.Join(ctx(t), roomID); err != nil {
		t.Fatal(err)
	}
	waitJoinedLine(t, screen, member)
	return roomID
}

// waitJoinedLine waits until the screen's timeline says member joined:
// the room name alone can show while the room is still an invite.
func waitJoinedLine(t *testing.T, screen tcell.SimulationScreen, member teststack.User) {
	t.Helper()
	local := strings.TrimPrefix(strings.SplitN(member.UserID, ":", 2)[0], "@")
	uitest.WaitFor(t, screen, local+" joined the room", waitLong)
}

// noCleartextFrom fails the test when sender's non-state events in the
// room reached the server unencrypted, or any holds secret; it returns how
// many encrypted events sender sent.
func noCleartextFrom(t *testing.T, reader teststack.User, roomID, sender, secret string) int {
	t.Helper()
	n := 0
	msgs, err := reader.Messages(ctx(t), roomID, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Sender == sender && m.StateKey == nil && m.Type != "m.room.encrypted" {
			t.Errorf("%s sent %s in clear: %s", sender, m.Type, m.Content)
		}
		if m.Sender == sender && m.Type == "m.room.encrypted" {
			n++
		}
		if strings.Contains(string(m.Content), secret) {
			t.Errorf("plaintext on the server: %s %s", m.Type, m.Content)
		}
	}
	return n
}

// TestEncryptedRoomIsOrdinary: an end-to-end encrypted room is a room like
// any other: the header marks it, no banner says it is read-only, a
// message goes out encrypted, and the voice key places a 1:1 call whose
// signalling is encrypted too.
func TestEncryptedRoomIsOrdinary(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "ebob")
	alice, screen := loggedIn(t, st, "ealice")
	roomID := encryptedRoom(t, bob, alice, "Secret Place", screen)
	text := uitest.WaitFor(t, screen, "Secret Place 🔒", waitLong)
	if strings.Contains(text, "cannot encrypt") {
		t.Fatalf("the old read-only warning is shown:\n%s", text)
	}

	uitest.Type(screen, "my secret plaintext")
	enter(screen)
	local := strings.TrimPrefix(strings.SplitN(alice.UserID, ":", 2)[0], "@")
	text = uitest.WaitUntil(t, screen, "the message is sent", waitLong, func(s string) bool {
		return strings.Contains(s, local+": my secret plaintext") && !strings.Contains(s, "(sending…)")
	})
	if strings.Contains(text, "failed to send") || strings.Contains(text, "Not sent") {
		t.Fatalf("the message was not sent:\n%s", text)
	}

	screen.InjectKey(tcell.KeyF5, 0, tcell.ModNone)
	uitest.WaitFor(t, screen, "Calling", waitLong)
	waitEncryptedFrom(t, bob, roomID, alice.UserID, 2) // the message and the call's invite
	screen.InjectKey(tcell.KeyF8, 0, tcell.ModNone)
	uitest.WaitUntil(t, screen, "the call ends", waitLong, func(s string) bool { return !strings.Contains(s, "Calling") })
	waitEncryptedFrom(t, bob, roomID, alice.UserID, 3) // and its hangup
	noCleartextFrom(t, bob, roomID, alice.UserID, "my secret plaintext")
}

// waitEncryptedFrom waits until the server holds n encrypted events from
// sender in the room (Dendrite serves /messages a moment after /send).
func waitEncryptedFrom(t *testing.T, reader teststack.User, roomID, sender string, n int) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		got := noCleartextFrom(t, reader, roomID, sender, "\x00")
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d encrypted events from %s, want %d", got, sender, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
