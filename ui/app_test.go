package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/config"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/ui/uitest"
)

func TestStatusLineStates(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	u.queue(func() {
		u.handleUpdate(matrix.StatusChanged{State: matrix.StateReconnecting, RetryIn: 4 * time.Second, Err: errors.New("connection refused\x1b[2J")})
	})
	text := uitest.WaitFor(t, screen, "reconnecting in 4s (connection refused[2J)", 5*time.Second)
	if strings.Contains(text, "\x1b") {
		t.Fatal("escape in the status line")
	}
	u.queue(func() { u.handleUpdate(matrix.StatusChanged{State: matrix.StateSynced}) })
	uitest.WaitFor(t, screen, " synced", 5*time.Second)
	u.queue(func() {
		u.handleUpdate(matrix.StatusChanged{State: matrix.StateOffline, Err: errors.New("no network")})
	})
	uitest.WaitFor(t, screen, "offline (no network)", 5*time.Second)
}

func TestRoomListSectionsMarkersCountsAndClick(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	rooms := []matrix.Room{
		{ID: "!inv:hs", Name: "Invited Here", Membership: event.MembershipInvite, Inviter: "@carol:hs"},
		{ID: "!dm:hs", Name: "bob", Membership: event.MembershipJoin, IsDM: true, Unread: 3, LastActivity: time.UnixMilli(2000)},
		{ID: "!grp:hs", Name: "Group [red]\u202eChat", Membership: event.MembershipJoin, Highlights: 2, Unread: 5, LastActivity: time.UnixMilli(1000)},
	}
	u.queue(func() { u.handleUpdate(matrix.RoomsChanged{Rooms: matrix.NewRoomList(rooms...)}) })
	text := uitest.WaitFor(t, screen, "Invites", 5*time.Second)
	for _, want := range []string{"+ Invited Here", "Rooms", "@ bob", "# Group [red]Chat", " 3", " 2!"} {
		if !strings.Contains(text, want) {
			t.Errorf("room list lacks %q:\n%s", want, text)
		}
	}
	// The first joined room opens; Alt+3 opens the third; a click opens the invite.
	uitest.WaitUntil(t, screen, "bob is open", 5*time.Second, func(s string) bool { return strings.HasPrefix(strings.SplitN(s, "\n", 2)[0][28:], " bob") })
	screen.InjectKey(tcell.KeyRune, '3', tcell.ModAlt)
	uitest.WaitUntil(t, screen, "the group is open", 5*time.Second, func(s string) bool {
		return strings.Contains(strings.SplitN(s, "\n", 2)[0], "Group [red]Chat")
	})
	rows := uitest.Dump(screen)
	for y, r := range rows {
		if strings.Contains(r, "Invited Here") && !strings.Contains(r, "invited") {
			screen.InjectMouse(3, y, tcell.Button1, tcell.ModNone)
			screen.InjectMouse(3, y, tcell.ButtonNone, tcell.ModNone)
			break
		}
	}
	uitest.WaitFor(t, screen, "You are invited to Invited Here by @carol:hs", 5*time.Second)
	uitest.WaitFor(t, screen, "Alt+Y to accept, Alt+N to decline", 5*time.Second)
}

func TestTypingLineAndNotification(t *testing.T) {
	var mu sync.Mutex
	var got []string
	u, screen := offlineUI(t, &lockedBuffer{})
	u.queue(func() {
		u.cfg.Notifications.Desktop = true
		u.opts.Notify = func(title, body string) error {
			mu.Lock()
			got = append(got, title+"|"+body)
			mu.Unlock()
			return nil
		}
		u.handleUpdate(matrix.RoomsChanged{Rooms: matrix.NewRoomList(matrix.Room{ID: "!r:hs", Name: "Room", Membership: event.MembershipJoin})})
		u.handleUpdate(matrix.TypingChanged{RoomID: "!r:hs", UserIDs: []id.UserID{"@bob:hs", "@carol:hs"}})
	})
	uitest.WaitFor(t, screen, "@bob:hs, @carol:hs are typing…", 5*time.Second)
	u.queue(func() {
		u.handleUpdate(matrix.Notify{RoomID: "!r:hs", Highlight: true, Event: &event.Event{Sender: "@bob:hs", Type: event.EventMessage,
			Content: event.Content{Raw: map[string]any{"body": "hey\x1b]0;x\x07 you\u202e"}}}})
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != "Room|@bob:hs: hey]0;x you" {
		t.Fatalf("desktop notifications %q", got)
	}
}

func TestRoomListScrollsToTheOpenRoom(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	var rooms []matrix.Room
	for i := 0; i < 80; i++ {
		rooms = append(rooms, matrix.Room{ID: id.RoomID(fmt.Sprintf("!r%02d:hs", i)), Name: fmt.Sprintf("Room number %02d", i), Membership: event.MembershipJoin})
	}
	u.queue(func() { u.handleUpdate(matrix.RoomsChanged{Rooms: matrix.NewRoomList(rooms...)}) })
	uitest.WaitFor(t, screen, "Room number 00", 5*time.Second)
	u.queue(func() { u.openRoom("!r75:hs") })
	text := uitest.WaitUntil(t, screen, "room 75 is listed", 5*time.Second, func(s string) bool {
		for _, r := range strings.Split(s, "\n") {
			if strings.Contains(r[:min(28, len(r))], "Room number 75") {
				return true
			}
		}
		return false
	})
	if !strings.Contains(strings.SplitN(text, "\n", 2)[0], "Room number 75") {
		t.Fatalf("room 75 not open:\n%s", text)
	}
	// Alt+Up moves to the previous room.
	screen.InjectKey(tcell.KeyUp, 0, tcell.ModAlt)
	uitest.WaitUntil(t, screen, "room 74 is open", 5*time.Second, func(s string) bool {
		return strings.Contains(strings.SplitN(s, "\n", 2)[0], "Room number 74")
	})
}

func TestConfiguredKeysShowInFooterAndButtons(t *testing.T) {
	screen := tcell.NewSimulationScreen("UTF-8")
	if err := screen.Init(); err != nil {
		t.Fatal(err)
	}
	keys := defaultKeys()
	keys["voice"] = "Ctrl+V"
	keys["help"] = "F12"
	cfg := &config.Config{Keys: keys}
	u, err := New(Options{Screen: screen, Config: cfg,
		Login: func(context.Context, matrix.LoginParams) (*matrix.Client, *calls.Controller, error) {
			return nil, nil, context.Canceled
		}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = u.Run(); close(done) }()
	t.Cleanup(func() { u.Stop(); <-done })
	u.queue(func() { screen.SetSize(160, 30); u.pages.SwitchToPage("main"); u.app.SetFocus(u.w.composer) })
	text := uitest.WaitFor(t, screen, "F12 help", 5*time.Second)
	if !strings.Contains(text, "Ctrl+V voice call") || !strings.Contains(text, "Voice Ctrl+V") {
		t.Fatalf("configured keys not shown:\n%s", text)
	}
	screen.InjectKey(tcell.KeyF12, 0, tcell.ModNone)
	uitest.WaitFor(t, screen, "Commands", 5*time.Second)

	keys["voice"] = "Ctrl+Banana"
	if _, err := New(Options{Screen: tcell.NewSimulationScreen("UTF-8"), Config: &config.Config{Keys: keys}, Login: u.opts.Login}); err == nil || !strings.Contains(err.Error(), "Banana") {
		t.Fatalf("a bad key name is not an error: %v", err)
	}
}
