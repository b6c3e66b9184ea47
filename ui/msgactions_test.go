package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls/browser"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/ui/uitest"
)

// TestSelectedMessageCopyAndOpen: on someone else's message the footer
// offers open and copy but not edit or delete; y copies the text with
// OSC 52; o over SSH launches nothing and shows the link dialog with the
// link rebuilt; Esc leaves selection and the footer lists the global keys
// again. The message commands answer a wrong use with their usage.
func TestSelectedMessageCopyAndOpen(t *testing.T) {
	t.Setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
	clip := &lockedBuffer{}
	u, s := offlineUI(t, clip)
	room := id.RoomID("!acts:hs")
	body := "see https://example.org/page?x=1 for more"
	onUI(t, u, func() {
		u.handleUpdate(matrix.RoomsChanged{Rooms: matrix.NewRoomList(matrix.Room{ID: room, Name: "Acts", Membership: event.MembershipJoin})})
		u.handleUpdate(matrix.TimelineAppended{RoomID: room, Events: []*event.Event{textEvent(1, body)}})
	})
	uitest.WaitFor(t, s, "example.org/page", 5*time.Second)

	s.InjectKey(tcell.KeyRune, 's', tcell.ModAlt)
	text := uitest.WaitFor(t, s, "o open", 5*time.Second)
	if !strings.Contains(text, "y copy") || strings.Contains(text, "e edit") || strings.Contains(text, "d delete") {
		t.Fatalf("footer for someone else's message:\n%s", text)
	}
	s.InjectKey(tcell.KeyRune, 'y', tcell.ModNone)
	uitest.WaitFor(t, s, "Message copied", 5*time.Second)
	if got, want := clip.String(), browser.OSC52(body); got != want {
		t.Errorf("clipboard got %q, want %q", got, want)
	}
	s.InjectKey(tcell.KeyRune, 'o', tcell.ModNone)
	text = uitest.WaitFor(t, s, "Open this link in a browser", 5*time.Second)
	if !strings.Contains(text, "https://example.org/page?x=1") || !strings.Contains(text, "SSH") {
		t.Fatalf("link dialog:\n%s", text)
	}
	s.InjectKey(tcell.KeyEscape, 0, tcell.ModNone) // the dialog
	uitest.WaitUntil(t, s, "the dialog closes", 5*time.Second, func(s string) bool { return !strings.Contains(s, "Open this link") })
	s.InjectKey(tcell.KeyEscape, 0, tcell.ModNone) // the selection
	uitest.WaitFor(t, s, "F1 help", 5*time.Second)

	for cmd, usage := range map[string]string{
		"/reply hi": "Usage: /reply TEXT",
		"/react":    "Usage: /react KEY",
		"/delete":   "Usage: /delete [REASON]",
	} {
		uitest.Type(s, cmd)
		s.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
		uitest.WaitFor(t, s, usage, 5*time.Second)
		onUI(t, u, func() { u.w.composer.SetText("", false) })
	}
}

// TestSelectionKeysAreConfigurable: selection actions take plain
// characters, other actions do not, and a selection key bound twice is
// refused.
func TestSelectionKeysAreConfigurable(t *testing.T) {
	km, err := NewKeymap(map[string]string{"select": "Ctrl+S", "reply": "R", "react": "!"})
	if err != nil {
		t.Fatal(err)
	}
	if a := km.SelectionAction(tcell.NewEventKey(tcell.KeyRune, '!', tcell.ModNone)); a != ActReact {
		t.Errorf("! is %q, want react", a)
	}
	if a := km.Action(tcell.NewEventKey(tcell.KeyRune, 'R', tcell.ModNone)); a != "" {
		t.Errorf("a selection key acts globally as %q", a)
	}
	if _, err := NewKeymap(map[string]string{"select": "s"}); err == nil {
		t.Error("a plain character accepted for the global select key")
	}
	if _, err := NewKeymap(map[string]string{"reply": "x", "copy": "x"}); err == nil {
		t.Error("one key bound to two selection actions")
	}
}

// TestReactionShortcodes: picker numbers and :shortcodes: give Element's
// keys; anything else is sent as typed.
func TestReactionShortcodes(t *testing.T) {
	for in, want := range map[string]string{"1": "👍", "2": "❤️", " :thumbsup: ": "👍", ":TADA:": "🎉", ":nope:": ":nope:", "lol": "lol", "9": "9"} {
		if got := reactionKey(in); got != want {
			t.Errorf("reactionKey(%q) = %q, want %q", in, got, want)
		}
	}
}
