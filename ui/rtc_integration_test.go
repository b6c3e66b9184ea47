package ui_test

import (
	"context"
	"fmt"
	"github.com/termatrix/termatrix/app"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/calls/rtc"
	"github.com/termatrix/termatrix/config"
	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/ui/uitest"
)

// recEC stands in for the Element Call engine (rtc.Manager, built in
// parallel): it records what the UI asks of it. Everything else is real.
type recEC struct {
	mu  sync.Mutex
	got []string
}

func (e *recEC) add(s string) error { e.mu.Lock(); e.got = append(e.got, s); e.mu.Unlock(); return nil }
func (e *recEC) Available(context.Context, id.RoomID) (bool, string) {
	return false, "no LiveKit transport in this test"
}
func (e *recEC) Join(r id.RoomID, video, ring bool) error {
	return e.add(fmt.Sprintf("join %s video=%v ring=%v", r, video, ring))
}
func (e *recEC) Leave(r id.RoomID) error { return e.add("leave " + string(r)) }
func (e *recEC) Decline(r id.RoomID, n id.EventID) error {
	return e.add("decline " + string(r) + " " + string(n))
}
func (e *recEC) ToggleMute() error            { return e.add("mute") }
func (e *recEC) Active() (rtc.CallInfo, bool) { return rtc.CallInfo{}, false }
func (e *recEC) Subscribe() (<-chan rtc.CallChanged, func()) {
	return make(chan rtc.CallChanged), func() {}
}
func (e *recEC) wait(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		got := strings.Join(e.got, "\n")
		e.mu.Unlock()
		if strings.Contains(got, want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("ElementCall never got %q (got %q)", want, e.got)
}

// loginUIWithEC is loginUIWith where the account's Element Call engine is ec,
// plugged in through the hook the program uses (app.Sessions.ElementCall).
func loginUIWithEC(t *testing.T, st *teststack.Stack, user teststack.User, cfg *config.Config, ec calls.ElementCall) tcell.SimulationScreen {
	t.Helper()
	return loginUIWithECFactory(t, st, user, cfg, func(*matrix.Client, *config.Config) calls.ElementCall { return ec })
}

// loginUIWithECFactory is loginUIWithEC with the engine made by newEC for
// the account's client (app.NewElementCall: the program's own).
func loginUIWithECFactory(t *testing.T, st *teststack.Stack, user teststack.User, cfg *config.Config, newEC app.ElementCallFactory) tcell.SimulationScreen {
	t.Helper()
	ss := sessions(t, cfg)
	ss.ElementCall = newEC
	return loginUIOn(t, ss, cfg, st.BaseURL, user)
}

// callRoom creates a room where every member may send call membership.
func callRoom(t *testing.T, creator teststack.User, name string, members ...teststack.User) string {
	t.Helper()
	var invite []string
	for _, m := range members {
		invite = append(invite, m.UserID)
	}
	roomID, err := creator.CreateRoom(ctx(t), map[string]any{
		"name": name, "preset": "private_chat", "invite": invite,
		"power_level_content_override": map[string]any{"events": map[string]any{
			rtc.MemberStateType.Type: 0,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if _, err := m.Join(ctx(t), roomID); err != nil {
			t.Fatal(err)
		}
	}
	return roomID
}

// joinCall sends u's membership of the room's call for device, as Element
// Call does in compatibility mode.
func joinCall(t *testing.T, u teststack.User, roomID, device string) {
	t.Helper()
	if _, err := u.SendState(ctx(t), roomID, rtc.MemberStateType.Type, rtc.MemberStateKey(id.UserID(u.UserID), id.DeviceID(device)),
		rtc.MemberContent(id.DeviceID(device), id.UserID(u.UserID), "audio", rtc.Transport{Type: "livekit", ServiceURL: "https://sfu.example.org"}, id.RoomID(roomID), time.Time{}, rtc.DefaultExpires)); err != nil {
		t.Fatal(err)
	}
}

// openRoom opens a room by name with the switcher.
func openRoom(t *testing.T, screen tcell.SimulationScreen, name, filter string) {
	t.Helper()
	uitest.WaitFor(t, screen, name, waitLong)
	screen.InjectKey(tcell.KeyCtrlK, 'k', tcell.ModCtrl)
	uitest.WaitFor(t, screen, "Switch room", waitLong)
	uitest.Type(screen, filter)
	enter(screen)
	uitest.WaitUntil(t, screen, name+" is open", waitLong, func(s string) bool {
		return !strings.Contains(s, "Switch room") && strings.Contains(strings.SplitN(s, "\n", 2)[0], name)
	})
}

// TestElementCallBannerAndTiles: memberships sent by others through the
// real homeserver show the banner with the count and names and join tiles;
// their leaves shrink and then remove the banner and show left tiles; a
// hostile membership (another user's state key) shows neither; F3 in a
// room with a session asks the Element Call engine to join it.
func TestElementCallBannerAndTiles(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "rbob")
	carol := st.MustRegister(t, "rcarol")
	mallory := st.MustRegister(t, "rmallory")
	alice := st.MustRegister(t, "ralice")
	roomID := callRoom(t, bob, "Call Room", carol, alice)
	hostile := callRoom(t, mallory, "Quiet Room", bob, alice)

	ec := &recEC{}
	screen := loginUIWithEC(t, st, alice, testConfig(t), ec)
	openRoom(t, screen, "Call Room", "call r")
	joinCall(t, bob, roomID, "BOBDEV")
	joinCall(t, carol, roomID, "CAROLDEV")
	text := uitest.WaitFor(t, screen, "Call in progress — 2 participants", waitLong)
	if !strings.Contains(text, "(rbob") || !strings.Contains(text, "rcarol") || !strings.Contains(text, "— F3 join") {
		t.Errorf("banner lacks the names or the key:\n%s", text)
	}
	uitest.WaitFor(t, screen, "joined the call", waitLong)

	screen.InjectKey(tcell.KeyF3, 0, tcell.ModNone)
	ec.wait(t, "join "+roomID+" video=false ring=false")

	if _, err := bob.SendState(ctx(t), roomID, rtc.MemberStateType.Type, rtc.MemberStateKey(id.UserID(bob.UserID), "BOBDEV"), map[string]any{}); err != nil {
		t.Fatal(err)
	}
	uitest.WaitFor(t, screen, "Call in progress — 1 participant (rcarol", waitLong)
	uitest.WaitFor(t, screen, "left the call", waitLong)
	if _, err := carol.SendState(ctx(t), roomID, rtc.MemberStateType.Type, rtc.MemberStateKey(id.UserID(carol.UserID), "CAROLDEV"), map[string]any{}); err != nil {
		t.Fatal(err)
	}
	uitest.WaitUntil(t, screen, "the banner gone", waitLong, func(s string) bool { return !strings.Contains(s, "Call in progress") })

	// Mallory claims a device of bob's: no banner, no join tile.
	openRoom(t, screen, "Quiet Room", "quiet")
	content := rtc.MemberContent("EVIL", id.UserID(bob.UserID), "audio", rtc.Transport{Type: "livekit", ServiceURL: "https://sfu.example.org"}, id.RoomID(hostile), time.Time{}, rtc.DefaultExpires)
	if _, err := mallory.SendState(ctx(t), hostile, rtc.MemberStateType.Type, rtc.MemberStateKey(id.UserID(bob.UserID), "EVIL"), content); err != nil {
		t.Fatal(err)
	}
	if _, err := mallory.SendMessage(ctx(t), hostile, "after the hostile membership"); err != nil {
		t.Fatal(err)
	}
	text = uitest.WaitFor(t, screen, "after the hostile membership", waitLong)
	if strings.Contains(text, "Call in progress") || strings.Contains(text, "joined the call") {
		t.Errorf("a hostile membership counted:\n%s", text)
	}
}

// ring sends a ring notification for the room's call, as js-sdk does.
func ring(t *testing.T, u teststack.User, roomID string, sent time.Time) string {
	t.Helper()
	evID, err := u.SendEvent(ctx(t), roomID, rtc.NotificationType.Type, rtc.NotificationContent("$membership", true, "video", sent))
	if err != nil {
		t.Fatal(err)
	}
	return evID
}

// TestElementCallRingsThroughTheUI: a stale ring in history does not ring
// at start; a fresh ring sent through the homeserver rings while another
// room is open; the reject key declines it through the Element Call
// engine and a second ring's answer key joins with its video intent.
func TestElementCallRingsThroughTheUI(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "gbob")
	alice := st.MustRegister(t, "galice")
	dm := callRoom(t, bob, "Bob DM", alice)
	callRoom(t, bob, "Elsewhere", alice)
	// The stale ring: sent before alice's client exists, stamped 5 minutes ago.
	joinCall(t, bob, dm, "BOBDEV")
	ring(t, bob, dm, time.Now().Add(-5*time.Minute))
	if _, err := bob.SendMessage(ctx(t), dm, "history ends here"); err != nil {
		t.Fatal(err)
	}

	ec := &recEC{}
	screen := loginUIWithEC(t, st, alice, testConfig(t), ec)
	openRoom(t, screen, "Bob DM", "bob dm")
	uitest.WaitFor(t, screen, "history ends here", waitLong)
	if text := uitest.Text(screen); strings.Contains(text, "Incoming") {
		t.Fatalf("a stale ring rang:\n%s", text)
	}

	openRoom(t, screen, "Elsewhere", "elsew")
	n1 := ring(t, bob, dm, time.Now())
	text := uitest.WaitFor(t, screen, "Incoming video call (Element Call) from gbob", waitLong)
	if !strings.Contains(text, "in Bob DM") || !strings.Contains(text, "F7 answer, F9 decline, F10 ignore") {
		t.Errorf("ring lacks the room or keys:\n%s", text)
	}
	screen.InjectKey(tcell.KeyF9, 0, tcell.ModNone)
	ec.wait(t, "decline "+dm+" "+n1)
	uitest.WaitUntil(t, screen, "the ring gone", waitLong, func(s string) bool { return !strings.Contains(s, "Incoming video call") })

	ring(t, bob, dm, time.Now())
	uitest.WaitFor(t, screen, "Incoming video call (Element Call)", waitLong)
	screen.InjectKey(tcell.KeyF7, 0, tcell.ModNone)
	ec.wait(t, "join "+dm+" video=true ring=false")
}
