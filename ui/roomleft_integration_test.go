package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/ui/uitest"
)

// TestKickAndBanAreToldNotSilent (F27): being removed from the open room
// says who did it and why, and opens the room next to it; a ban from a
// room that is not open is told too.
func TestKickAndBanAreToldNotSilent(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "kbob")
	alice, screen := loggedIn(t, st, "kalice")
	if err := bob.Do(ctx(t), http.MethodPut, "/_matrix/client/v3/profile/"+url.PathEscape(bob.UserID)+"/displayname",
		map[string]any{"displayname": "Bob Boss"}, nil); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, name := range []string{"Room Ant", "Room Kick", "Room Ban"} {
		roomID, err := bob.CreateRoom(ctx(t), map[string]any{"name": name, "invite": []string{alice.UserID}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := alice.Join(ctx(t), roomID); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, roomID)
	}
	uitest.WaitFor(t, screen, "Room Ban", waitLong)
	// Open Room Kick with the switcher.
	screen.InjectKey(tcell.KeyCtrlK, 'k', tcell.ModCtrl)
	uitest.WaitFor(t, screen, "Switch room", waitLong)
	uitest.Type(screen, "Room Kick")
	enter(screen)
	uitest.WaitUntil(t, screen, "Room Kick is open", waitLong, func(s string) bool {
		return !strings.Contains(s, "Switch room") && strings.Contains(strings.SplitN(s, "\n", 2)[0], "Room Kick")
	})

	kick := func(what, roomID, reason string) {
		t.Helper()
		path := "/_matrix/client/v3/rooms/" + url.PathEscape(roomID) + "/" + what
		if err := bob.Do(ctx(t), http.MethodPost, path, map[string]any{"user_id": alice.UserID, "reason": reason}, nil); err != nil {
			t.Fatal(err)
		}
	}
	kick("kick", ids[1], "bye now")
	text := uitest.WaitFor(t, screen, "You were removed from Room Kick by Bob Boss: bye now", waitLong)
	header := strings.SplitN(text, "\n", 2)[0]
	if !strings.Contains(header, "Room Ant") && !strings.Contains(header, "Room Ban") {
		t.Fatalf("no other room opened after the kick:\n%s", text)
	}
	uitest.WaitUntil(t, screen, "Room Kick gone from the list", waitLong, func(s string) bool {
		for _, r := range strings.Split(s, "\n")[1:] {
			if strings.Contains(r[:min(len(r), 28)], "Room Kick") {
				return false
			}
		}
		return true
	})

	kick("ban", ids[2], "spam")
	uitest.WaitFor(t, screen, "You were banned from Room Ban by Bob Boss: spam", waitLong)
}
