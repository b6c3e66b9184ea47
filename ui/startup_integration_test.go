package ui_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/termatrix/termatrix/app"
	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/ui"
	"github.com/termatrix/termatrix/ui/uitest"
)

// TestStartsFromStoreWhileOffline shows that a resumed session draws its
// rooms and last messages from the local store, with the homeserver down,
// and reports the start-up time.
func TestStartsFromStoreWhileOffline(t *testing.T) {
	st := teststack.ForTest(t, teststack.Options{}) // its own: the homeserver is stopped below
	bob := st.MustRegister(t, "sbob")
	alice := st.MustRegister(t, "salice")
	const rooms = 12
	for i := 1; i <= rooms; i++ {
		roomID, err := bob.CreateRoom(ctx(t), map[string]any{"name": fmt.Sprintf("Store Room %02d", i), "invite": []string{alice.UserID}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := alice.Join(ctx(t), roomID); err != nil {
			t.Fatal(err)
		}
		if _, err := bob.SendMessage(ctx(t), roomID, fmt.Sprintf("last words %02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	cfg := testConfig(t)
	profile := storedProfile(t, cfg, st.BaseURL, alice.UserID, "synced", "last words 12")
	c, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()

	st.StopHomeserver()
	ss2 := &app.Sessions{Profile: profile, Config: cfg}
	t.Cleanup(func() { _ = ss2.Close() })
	start := time.Now()
	acct2, err := ss2.Resume(c)
	if err != nil {
		t.Fatal(err)
	}
	_, screen2 := runUI(t, ui.Options{Config: cfg, Client: acct2.Client, Calls: acct2.Calls})
	text := uitest.WaitUntil(t, screen2, "all rooms and the last message shown", waitLong, func(s string) bool {
		for i := 1; i <= rooms; i++ {
			if !strings.Contains(s, fmt.Sprintf("Store Room %02d", i)) {
				return false
			}
		}
		return strings.Contains(s, "last words 12")
	})
	elapsed := time.Since(start)
	t.Logf("start-up from the store with %d rooms, homeserver down: %v to the room list and last message", rooms, elapsed.Round(time.Millisecond))
	if strings.Contains(text, " synced") {
		t.Fatalf("claims to be synced with the homeserver down:\n%s", text)
	}
	if err := st.StartHomeserver(c); err != nil {
		t.Fatal(err)
	}
	// The client retries with back-off (up to 30 s) while the homeserver is down.
	uitest.WaitFor(t, screen2, " synced", 3*waitLong)
}
