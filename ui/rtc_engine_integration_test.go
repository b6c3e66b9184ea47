package ui_test

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/app"
	"github.com/termatrix/termatrix/calls/audio"
	"github.com/termatrix/termatrix/calls/rtc"
	"github.com/termatrix/termatrix/calls/rtc/lkmedia"
	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/ui/uitest"
)

// TestElementCallWithTheEngine: the program's own Element Call engine
// (app.NewElementCall: rtc.Manager, LiveKit media) on a stack with a
// LiveKit SFU: /call in an encrypted DM joins, the panel shows the SFU and
// encryption; bob (termatrix's engine too) joins and shows with his key;
// F8 leaves, and bob sees alice go.
func TestElementCallWithTheEngine(t *testing.T) {
	st := teststack.ForTest(t, teststack.Options{LiveKit: true})
	alice, bob := st.MustRegister(t, "ecalice"), st.MustRegister(t, "ecbob")
	roomID, err := bob.CreateRoom(ctx(t), map[string]any{
		"name": "Engine DM", "preset": "trusted_private_chat", "is_direct": true, "invite": []string{alice.UserID},
		"initial_state": []any{map[string]any{"type": "m.room.encryption", "state_key": "",
			"content": map[string]any{"algorithm": "m.megolm.v1.aes-sha2"}}},
		"power_level_content_override": map[string]any{"events": map[string]any{rtc.MemberStateType.Type: 0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Join(ctx(t), roomID); err != nil {
		t.Fatal(err)
	}
	screen := loginUIWithECFactory(t, st, alice, testConfig(t), app.NewElementCall)
	openRoom(t, screen, "Engine DM", "engine")
	uitest.Type(screen, "/call")
	enter(screen)
	uitest.WaitFor(t, screen, "In voice call (Element Call)", waitLong)
	u, err := url.Parse(st.LiveKitURL)
	if err != nil {
		t.Fatal(err)
	}
	host := u.Hostname()
	uitest.WaitUntil(t, screen, "the SFU and encryption in the panel", waitLong, func(s string) bool {
		return strings.Contains(s, "SFU "+host) && strings.Contains(s, "encrypted")
	})

	// Bob joins with termatrix's engine on his own client.
	sess, err := matrix.Login(ctx(t), matrix.LoginParams{Homeserver: st.BaseURL, User: bob.UserID, Password: bob.Password})
	if err != nil {
		t.Fatal(err)
	}
	cb, err := matrix.Open(ctx(t), sess, filepath.Join(t.TempDir(), "bob.db"), matrix.Options{})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = cb.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done; _ = cb.Close() })
	mb := rtc.NewManager(cb, lkmedia.NewDialer(audio.Discard{}), rtc.Options{Source: audio.NewTone(660, 0.5)})
	defer mb.Close()
	chB, _ := mb.Subscribe()
	for deadline := time.Now().Add(waitLong); ; time.Sleep(50 * time.Millisecond) {
		if r, ok := cb.Room(id.RoomID(roomID)); ok && r.Encrypted && r.JoinedMembers == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("bob's client never saw the DM")
		}
	}
	if err := mb.Join(id.RoomID(roomID), false, false); err != nil {
		t.Fatal(err)
	}
	// In the LiveKit room (not "not connected yet") with his key; muted
	// without Opus (no audio track), so not checked.
	bobDev := "(" + string(cb.DeviceID()) + ")"
	uitest.WaitUntil(t, screen, "bob in the media with his key", waitLong, func(s string) bool {
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, bobDev) && strings.Contains(l, "key ✓") && !strings.Contains(l, "not connected") {
				return true
			}
		}
		return false
	})

	screen.InjectKey(tcell.KeyF8, 0, tcell.ModNone)
	uitest.WaitFor(t, screen, "Left the call: you left", waitLong)
	deadline := time.After(waitLong)
	for {
		select {
		case u := <-chB:
			if u.Call.State == rtc.CallConnected && len(u.Call.Members) == 0 {
				return
			}
		case <-deadline:
			info, _ := mb.Active()
			t.Fatalf("bob still sees %+v", info.Members)
		}
	}
}
