package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/app"
	"github.com/termatrix/termatrix/config"
	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
	"github.com/termatrix/termatrix/ui"
	"github.com/termatrix/termatrix/ui/uitest"
)

var shared teststack.Shared

func TestMain(m *testing.M) {
	os.Exit(shared.Run(m, teststack.Options{}))
}

const waitLong = 30 * time.Second

// testConfig loads the shipped config.json, as the program does.
func testConfig(t testing.TB) *config.Config {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(data, "", false)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Notifications.Bell = false
	// Calls in tests need no sound card: a test tone in, nothing out.
	cfg.Audio.Input, cfg.Audio.Output = "tone:440", "none"
	return cfg
}

// sessions returns a session manager for a fresh profile directory.
func sessions(t testing.TB, cfg *config.Config) *app.Sessions {
	dir := t.TempDir()
	ss := &app.Sessions{Config: cfg, Profile: app.Profile{
		DataDir: dir, SessionFile: filepath.Join(dir, "session.json"), DBFile: filepath.Join(dir, "store.db"),
	}}
	t.Cleanup(func() { _ = ss.Close() })
	return ss
}

// runUI runs the real UI on a simulation screen until the test ends.
func runUI(t *testing.T, opts ui.Options) (*ui.UI, tcell.SimulationScreen) {
	t.Helper()
	screen := tcell.NewSimulationScreen("UTF-8")
	if err := screen.Init(); err != nil {
		t.Fatal(err)
	}
	return runUIOn(t, opts, screen), screen
}

// runUIOn runs the real UI on screen (a simulation screen, or one
// wrapping it) until the test ends.
func runUIOn(t *testing.T, opts ui.Options, screen tcell.SimulationScreen) *ui.UI {
	t.Helper()
	opts.Screen = screen
	u, err := ui.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- u.Run() }()
	// Init (in Run) resets a simulation screen's size: set it afterwards.
	sized := make(chan struct{})
	u.Queue(func() { screen.SetSize(150, 40); close(sized) })
	<-sized
	t.Cleanup(func() {
		u.Stop()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("UI did not stop")
		}
	})
	return u
}

// loggedIn registers a user, logs in and runs the UI for them.
func loggedIn(t *testing.T, st *teststack.Stack, prefix string) (teststack.User, tcell.SimulationScreen) {
	t.Helper()
	user := st.MustRegister(t, prefix)
	return user, loginUI(t, st, user)
}

// loginUI logs a registered user in and runs the UI for them.
func loginUI(t *testing.T, st *teststack.Stack, user teststack.User) tcell.SimulationScreen {
	t.Helper()
	return loginUIWith(t, st, user, testConfig(t))
}

// roomOfTwo is a room named name that owner creates and member joins;
// it returns the room's ID.
func roomOfTwo(t *testing.T, name string, owner, member teststack.User) string {
	t.Helper()
	roomID, err := owner.CreateRoom(ctx(t), map[string]any{"name": name, "invite": []string{member.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := member.Join(ctx(t), roomID); err != nil {
		t.Fatal(err)
	}
	return roomID
}

// loginUIWith is loginUI with a config of the test's own.
func loginUIWith(t *testing.T, st *teststack.Stack, user teststack.User, cfg *config.Config) tcell.SimulationScreen {
	t.Helper()
	return loginUIOn(t, sessions(t, cfg), cfg, st.BaseURL, user)
}

// loginUIOn logs user in at the homeserver URL base through ss and runs
// the UI for them, as the program does, until it says "synced".
func loginUIOn(t *testing.T, ss *app.Sessions, cfg *config.Config, base string, user teststack.User) tcell.SimulationScreen {
	t.Helper()
	acct := login(t, ss, base, user.UserID)
	_, screen := runUI(t, ui.Options{Config: cfg, Client: acct.Client, Calls: acct.Calls, Login: ss.UILogin, Logout: ss.Logout})
	uitest.WaitFor(t, screen, "synced", waitLong)
	return screen
}

// login logs user in with the test password at base through ss.
func login(t *testing.T, ss *app.Sessions, base, user string) *app.Account {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	acct, err := ss.Login(c, matrix.LoginParams{Homeserver: base, User: user, Password: teststack.TestPassword})
	if err != nil {
		t.Fatal(err)
	}
	return acct
}

// storedProfile logs user in on a fresh profile, runs the UI until each of
// shown is on the screen (what the test needs is then stored) and closes
// the account: the profile a warm start resumes.
func storedProfile(t *testing.T, cfg *config.Config, base, user string, shown ...string) app.Profile {
	t.Helper()
	ss := sessions(t, cfg)
	acct := login(t, ss, base, user)
	u, screen := runUI(t, ui.Options{Config: cfg, Client: acct.Client, Calls: acct.Calls})
	for _, text := range shown {
		uitest.WaitFor(t, screen, text, waitLong)
	}
	u.Stop()
	if err := ss.Close(); err != nil {
		t.Fatal(err)
	}
	return ss.Profile
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), waitLong)
	t.Cleanup(cancel)
	return c
}

func enter(s tcell.SimulationScreen) { s.InjectKey(tcell.KeyEnter, 0, tcell.ModNone) }

func TestLoginFormLogsIn(t *testing.T) {
	st := shared.Get(t)
	user := st.MustRegister(t, "formuser")
	cfg := testConfig(t)
	ss := sessions(t, cfg)
	_, screen := runUI(t, ui.Options{Config: cfg, Login: ss.UILogin, Logout: ss.Logout})
	uitest.WaitFor(t, screen, "log in", waitLong)

	uitest.Type(screen, user.UserID)
	screen.InjectKey(tcell.KeyTab, 0, tcell.ModNone)
	uitest.Type(screen, st.BaseURL)
	screen.InjectKey(tcell.KeyTab, 0, tcell.ModNone)
	uitest.Type(screen, "wrong-password")
	enter(screen)
	uitest.WaitFor(t, screen, "Login failed", waitLong)

	// The password field is cleared and focused again: type the right one.
	uitest.Type(screen, teststack.TestPassword)
	enter(screen)
	text := uitest.WaitFor(t, screen, "synced", waitLong)
	if strings.Contains(text, teststack.TestPassword) {
		t.Fatal("the password is on the screen")
	}
	fi, err := os.Stat(ss.Profile.SessionFile)
	if err != nil {
		t.Fatalf("no session saved: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("session file mode %v", fi.Mode().Perm())
	}

	// /logout asks first: n keeps the session.
	uitest.Type(screen, "/logout")
	enter(screen)
	uitest.WaitFor(t, screen, "y log out · n stay", waitLong)
	screen.InjectKey(tcell.KeyRune, 'n', tcell.ModNone)
	uitest.WaitUntil(t, screen, "the question closes", waitLong, func(s string) bool { return !strings.Contains(s, "y log out") })
	if _, err := os.Stat(ss.Profile.SessionFile); err != nil {
		t.Fatalf("answering no logged out: %v", err)
	}
	// y ends the session, removes the file and shows the form again.
	uitest.Type(screen, "/logout")
	enter(screen)
	uitest.WaitFor(t, screen, "y log out · n stay", waitLong)
	screen.InjectKey(tcell.KeyRune, 'y', tcell.ModNone)
	uitest.WaitFor(t, screen, "Logged out.", waitLong)
	if _, err := os.Stat(ss.Profile.SessionFile); !os.IsNotExist(err) {
		t.Fatalf("session file still there after /logout: %v", err)
	}
}

func TestRoomListTimelineAndComposer(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "bob")
	alice, screen := loggedIn(t, st, "alice")

	roomID, err := bob.CreateRoom(ctx(t), map[string]any{"name": "Garden Party", "invite": []string{alice.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	// The invite appears in its own section; accept it with its key.
	text := uitest.WaitFor(t, screen, "Garden Party", waitLong)
	if !strings.Contains(text, "Invites") {
		t.Fatalf("invite not in the Invites section:\n%s", text)
	}
	uitest.WaitFor(t, screen, "You are invited", waitLong)
	screen.InjectKey(tcell.KeyRune, 'y', tcell.ModAlt)
	uitest.WaitUntil(t, screen, "the room is joined", waitLong, func(s string) bool {
		return !strings.Contains(s, "Invites") && strings.Contains(s, "Rooms")
	})

	// A message from bob shows in the timeline.
	if _, err := bob.SendMessage(ctx(t), roomID, "hello from bob"); err != nil {
		t.Fatal(err)
	}
	uitest.WaitFor(t, screen, "hello from bob", waitLong)

	// The composer sends; bob reads it back from the server.
	uitest.Type(screen, "hi bob, alice here")
	enter(screen)
	uitest.WaitFor(t, screen, "hi bob, alice here", waitLong)
	waitServerMessage(t, bob, roomID, "hi bob, alice here")

	// Tab completes a member's name; the member list shows power levels.
	local := strings.TrimPrefix(strings.SplitN(bob.UserID, ":", 2)[0], "@")
	uitest.Type(screen, local[:4])
	screen.InjectKey(tcell.KeyTab, 0, tcell.ModNone)
	uitest.WaitFor(t, screen, local+": ", waitLong)
	uitest.Type(screen, "ping")
	enter(screen)
	waitServerMessage(t, bob, roomID, local+": ping")
	screen.InjectKey(tcell.KeyF2, 0, tcell.ModNone)
	uitest.WaitFor(t, screen, "Members", waitLong)
	uitest.WaitFor(t, screen, "100 "+local, waitLong)
	screen.InjectKey(tcell.KeyF2, 0, tcell.ModNone)

	// An unknown command says so and sends nothing.
	uitest.Type(screen, "/frobnicate now")
	enter(screen)
	uitest.WaitFor(t, screen, "Unknown command /frobnicate", waitLong)
	uitest.Type(screen, "x")
	// A later real message arrives after it: nothing was sent in between.
	screen.InjectKey(tcell.KeyCtrlU, 0, tcell.ModCtrl)
	msgs, err := bob.Messages(ctx(t), roomID, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if strings.Contains(string(m.Content), "frobnicate") {
			t.Fatalf("the unknown command was sent: %s", m.Content)
		}
	}

	// An invite can be declined with its key.
	if _, err := bob.CreateRoom(ctx(t), map[string]any{"name": "Unwanted Room", "invite": []string{alice.UserID}}); err != nil {
		t.Fatal(err)
	}
	uitest.WaitFor(t, screen, "Unwanted Room", waitLong)
	screen.InjectKey(tcell.KeyCtrlK, 'k', tcell.ModCtrl)
	uitest.Type(screen, "Unwanted")
	enter(screen)
	uitest.WaitFor(t, screen, "You are invited to Unwanted Room", waitLong)
	screen.InjectKey(tcell.KeyRune, 'n', tcell.ModAlt)
	uitest.WaitUntil(t, screen, "the invite is gone from the list", waitLong, func(s string) bool {
		for _, r := range strings.Split(s, "\n") {
			if strings.Contains(r[:min(28, len(r))], "Unwanted") {
				return false
			}
		}
		return true
	})
}

// waitServerMessage waits until the room holds a message with body.
func waitServerMessage(t *testing.T, u teststack.User, roomID, body string) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for time.Now().Before(deadline) {
		msgs, err := u.Messages(ctx(t), roomID, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Type == "m.room.message" && strings.Contains(string(m.Content), `"body":"`+body+`"`) {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the server never got %q", body)
}

func TestHostileStringsRenderInert(t *testing.T) {
	st := shared.Get(t)
	mallory := st.MustRegister(t, "mallory")
	victim, screen := loggedIn(t, st, "victim")

	roomName := "\x1b[31mEvil\u202eroom [red]tag\x1b]0;pwned\x07"
	roomID, err := mallory.CreateRoom(ctx(t), map[string]any{"name": roomName, "invite": []string{victim.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	uitest.WaitFor(t, screen, "You are invited", waitLong)
	screen.InjectKey(tcell.KeyRune, 'y', tcell.ModAlt)
	uitest.WaitFor(t, screen, "Rooms", waitLong)
	body := "\x1b[2Jwipe \u202eesrever [yellow]bright[-] \x1b]8;;https://evil\x1b\\link \u009b31m"
	if _, err := mallory.SendMessage(ctx(t), roomID, body); err != nil {
		t.Fatal(err)
	}
	text := uitest.WaitFor(t, screen, "bright[-]", waitLong)
	for _, want := range []string{"[red]tag", "[yellow]bright[-]", "wipe", "esrever"} {
		if !strings.Contains(text, want) {
			t.Errorf("screen lacks %q:\n%s", want, text)
		}
	}
	cells, _, _ := uitest.Cells(screen)
	for _, c := range cells {
		for _, r := range c.Runes {
			if sanitize.Dropped(r) {
				t.Fatalf("the screen holds %U", r)
			}
		}
	}
}

func TestScrollbackLoadsHistoryAndSwitcher(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "hbob")
	alice := st.MustRegister(t, "halice")
	roomID := roomOfTwo(t, "Long History", bob, alice)
	if _, err := bob.CreateRoom(ctx(t), map[string]any{"name": "Other Place", "invite": []string{alice.UserID}}); err != nil {
		t.Fatal(err)
	}
	const n = 120
	for i := 1; i <= n; i++ {
		if _, err := bob.SendMessage(ctx(t), roomID, fmt.Sprintf("history line %03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	screen := loginUI(t, st, alice)
	uitest.WaitFor(t, screen, "history line 120", waitLong)
	// Page up until the first message, fetched from the server, shows.
	deadline := time.Now().Add(waitLong)
	for text := uitest.Text(screen); !strings.Contains(text, "history line 001") || !strings.Contains(text, "beginning of the room"); text = uitest.Text(screen) {
		if time.Now().After(deadline) {
			t.Fatalf("scrollback never reached the first message:\n%s", uitest.Text(screen))
		}
		screen.InjectKey(tcell.KeyPgUp, 0, tcell.ModNone)
		time.Sleep(50 * time.Millisecond)
	}

	// Ctrl+K opens the switcher; typing filters; Enter opens the room.
	screen.InjectKey(tcell.KeyCtrlK, 'k', tcell.ModCtrl)
	uitest.WaitFor(t, screen, "Switch room", waitLong)
	uitest.Type(screen, "lhis")
	enter(screen)
	uitest.WaitUntil(t, screen, "Long History is open", waitLong, func(s string) bool {
		return !strings.Contains(s, "Switch room") && strings.Contains(strings.SplitN(s, "\n", 2)[0], "Long History")
	})
}

func TestVoiceButtonClickReachesCalls(t *testing.T) {
	st := shared.Get(t)
	solo, screen := loggedIn(t, st, "solo")
	if _, err := solo.CreateRoom(ctx(t), map[string]any{"name": "Just Me"}); err != nil {
		t.Fatal(err)
	}
	uitest.WaitFor(t, screen, "Just Me", waitLong)
	// Click the [Voice] button on the composer row.
	clicked := false
	for y, r := range uitest.Dump(screen) {
		if x := strings.Index(r, "Voice F5"); x >= 0 {
			screen.InjectMouse(x+2, y, tcell.Button1, tcell.ModNone)
			screen.InjectMouse(x+2, y, tcell.ButtonNone, tcell.ModNone)
			clicked = true
		}
	}
	if !clicked {
		t.Fatal("no Voice button on the screen")
	}
	uitest.WaitFor(t, screen, "You cannot place a call with yourself.", waitLong)
	// The focus is back in the composer: typing goes there.
	uitest.Type(screen, "still typing here")
	uitest.WaitFor(t, screen, "still typing here", waitLong)
}

func TestUnreadCountClearsWhenRoomIsRead(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "rbob")
	alice := st.MustRegister(t, "ralice")
	ids := map[string]string{}
	for _, name := range []string{"Alpha Room", "Beta Room"} {
		roomID, err := bob.CreateRoom(ctx(t), map[string]any{"name": name, "invite": []string{alice.UserID}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := alice.Join(ctx(t), roomID); err != nil {
			t.Fatal(err)
		}
		ids[name] = roomID
	}
	screen := loginUI(t, st, alice)
	header := func() string { return strings.SplitN(uitest.Text(screen), "\n", 2)[0] }
	uitest.WaitFor(t, screen, "Beta Room", waitLong)
	open, other := "Alpha Room", "Beta Room"
	if strings.Contains(header(), "Beta Room") {
		open, other = other, open
	}
	for i := 0; i < 2; i++ {
		if _, err := bob.SendMessage(ctx(t), ids[other], fmt.Sprintf("unread %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	rowOf := func(s, name string) string {
		for _, r := range strings.Split(s, "\n") {
			if left := r[:min(28, len(r))]; strings.Contains(left, name) {
				return left
			}
		}
		return ""
	}
	// Dendrite counts notifications after it has served the events, so the
	// count arrives with the next sync that includes the room: nudge one.
	lastNudge := time.Now()
	uitest.WaitUntil(t, screen, other+" shows an unread count", waitLong, func(s string) bool {
		r := strings.TrimSpace(rowOf(s, other))
		if r != "" && r[len(r)-1] >= '1' && r[len(r)-1] <= '9' {
			return true
		}
		if time.Since(lastNudge) > 2*time.Second {
			lastNudge = time.Now()
			go func() {
				_ = bob.Do(context.Background(), http.MethodPut, "/_matrix/client/v3/rooms/"+ids[other]+"/typing/"+bob.UserID,
					map[string]any{"typing": false}, nil)
			}()
		}
		return false
	})
	// Opening it sends a read receipt; the server's count drops to zero.
	screen.InjectKey(tcell.KeyCtrlK, 'k', tcell.ModCtrl)
	uitest.Type(screen, other)
	enter(screen)
	uitest.WaitFor(t, screen, "unread 1", waitLong)
	uitest.WaitUntil(t, screen, other+" has no unread count", waitLong, func(s string) bool {
		r := strings.TrimSpace(rowOf(s, other))
		return r != "" && strings.HasSuffix(r, "Room")
	})
	_ = open
}

func TestTwoClientsChatWithTyping(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "tbob")
	alice := st.MustRegister(t, "talice")
	roomID := roomOfTwo(t, "Chat Room", bob, alice)
	aliceScreen := loginUI(t, st, alice)
	bobScreen := loginUI(t, st, bob)
	uitest.WaitFor(t, aliceScreen, "Chat Room", waitLong)
	uitest.WaitFor(t, bobScreen, "Chat Room", waitLong)
	aliceLocal := strings.TrimPrefix(strings.SplitN(alice.UserID, ":", 2)[0], "@")

	uitest.Type(aliceScreen, "typing something")
	uitest.WaitFor(t, bobScreen, aliceLocal+" is typing…", waitLong)
	enter(aliceScreen)
	uitest.WaitFor(t, bobScreen, aliceLocal+": typing something", waitLong)
	uitest.WaitUntil(t, bobScreen, "the typing line clears", waitLong, func(s string) bool { return !strings.Contains(s, "is typing") })

	// And back, with a multi-line message (Alt+Enter).
	uitest.Type(bobScreen, "first line")
	bobScreen.InjectKey(tcell.KeyEnter, 0, tcell.ModAlt)
	uitest.Type(bobScreen, "second line")
	enter(bobScreen)
	text := uitest.WaitFor(t, aliceScreen, "second line", waitLong)
	if !strings.Contains(text, "first line") {
		t.Fatalf("multi-line message lost its first line:\n%s", text)
	}
	waitServerMessage(t, alice, roomID, `first line\nsecond line`)
}

func TestServerEndedSessionReturnsToLogin(t *testing.T) {
	st := shared.Get(t)
	user := st.MustRegister(t, "ended")
	cfg := testConfig(t)
	ss := sessions(t, cfg)
	acct, err := ss.Login(ctx(t), matrix.LoginParams{Homeserver: st.BaseURL, User: user.UserID, Password: teststack.TestPassword})
	if err != nil {
		t.Fatal(err)
	}
	_, screen := runUI(t, ui.Options{Config: cfg, Client: acct.Client, Calls: acct.Calls, Login: ss.UILogin, Logout: ss.Logout, SessionEnded: ss.Ended})
	uitest.WaitFor(t, screen, "synced", waitLong)
	// Another device logs this one out (its token dies on the server).
	sess, err := matrix.LoadSession(ss.Profile.SessionFile)
	if err != nil {
		t.Fatal(err)
	}
	dead := teststack.User{UserID: user.UserID, AccessToken: sess.AccessToken, HomeserverURL: st.BaseURL}
	if err := dead.Do(ctx(t), "POST", "/_matrix/client/v3/logout", map[string]any{}, nil); err != nil {
		t.Fatal(err)
	}
	uitest.WaitFor(t, screen, "The session ended", waitLong)
	deadline := time.Now().Add(waitLong)
	for {
		if _, err := os.Stat(ss.Profile.SessionFile); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the dead session file was not removed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSlashCommands(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "cbob")
	carol, screen := loggedIn(t, st, "carol")
	alias := "cmdroom" + strings.TrimPrefix(strings.SplitN(carol.UserID, ":", 2)[0], "@carol")
	if _, err := carol.CreateRoom(ctx(t), map[string]any{"name": "Command Room", "preset": "public_chat", "room_alias_name": alias}); err != nil {
		t.Fatal(err)
	}
	uitest.WaitFor(t, screen, "Command Room", waitLong)
	run := func(cmd, want string) string {
		t.Helper()
		uitest.Type(screen, cmd)
		enter(screen)
		return uitest.WaitFor(t, screen, want, waitLong)
	}
	run("/topic Plans for the weekend", "Command Room — Plans for the weekend")
	run("/nick Carol Cmd", "changed their name to Carol Cmd")
	run("/me waves", "* Carol Cmd waves")
	run("/invite "+bob.UserID, "Invited "+bob.UserID+".")
	run("/invite not-a-user", "Usage: /invite @user:server")
	// A usage error keeps the text to fix; clear it.
	screen.InjectKey(tcell.KeyCtrlU, 'u', tcell.ModCtrl)
	uitest.Type(screen, "/leave")
	enter(screen)
	uitest.WaitUntil(t, screen, "the leave is told", waitLong, func(s string) bool {
		return strings.Contains(s, "Left Command Room.") || strings.Contains(s, "You left Command Room.")
	})
	// Only the room list counts: the status line may go on saying
	// "You left Command Room.".
	uitest.WaitUntil(t, screen, "the room is gone from the list", waitLong, func(s string) bool { return !inRoomList(s, "Command Room") })
	run("/join #"+alias+":localhost", "Joined #"+alias+":localhost.")
	uitest.WaitUntil(t, screen, "the room is back in the list", waitLong, func(s string) bool { return inRoomList(s, "Command Room") })
	// /leave with an argument: only a room of the user's, named once.
	run("/leave Nowhere Room", "None of your rooms is called Nowhere Room.")
	screen.InjectKey(tcell.KeyCtrlU, 'u', tcell.ModCtrl)
	run("/leave !nope:localhost", "You are not in !nope:localhost.")
	screen.InjectKey(tcell.KeyCtrlU, 'u', tcell.ModCtrl)
	run("/leave #nobody-has-this:localhost", "no room has that address")
	uitest.Type(screen, "/leave #"+alias+":localhost")
	enter(screen)
	uitest.WaitUntil(t, screen, "the room named is left", waitLong, func(s string) bool { return !inRoomList(s, "Command Room") })
	run("/help", "/join #alias:server")
	screen.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	uitest.WaitUntil(t, screen, "help closes", waitLong, func(s string) bool { return !strings.Contains(s, "/join #alias:server") })
	run("/jitsi", "New conferences use jitsi.riot.im")
}

// inRoomList reports whether the room list (the screen's left column)
// shows name.
func inRoomList(screen, name string) bool {
	for _, row := range strings.Split(screen, "\n") {
		if r := []rune(row); strings.Contains(string(r[:min(28, len(r))]), name) {
			return true
		}
	}
	return false
}
