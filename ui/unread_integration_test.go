package ui_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/ui/uitest"
)

// TestRoomMarkedUnreadAtOnce: bob writes in a room alice has read and is
// not looking at; her room list marks it unread from the sync that brings
// the message, with no later sync needed for Dendrite's count (no nudge
// here), and opening the room clears the mark.
func TestRoomMarkedUnreadAtOnce(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "oubob")
	alice := st.MustRegister(t, "oualice")
	ids := map[string]string{}
	for _, name := range []string{"Gamma Room", "Delta Room"} {
		roomID, err := bob.CreateRoom(ctx(t), map[string]any{"name": name, "invite": []string{alice.UserID}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := alice.Join(ctx(t), roomID); err != nil {
			t.Fatal(err)
		}
		// Alice has read everything so far: no count from before.
		evID, err := alice.SendMessage(ctx(t), roomID, "hello from alice")
		if err != nil {
			t.Fatal(err)
		}
		if err := alice.Do(ctx(t), http.MethodPost, "/_matrix/client/v3/rooms/"+roomID+"/receipt/m.read/"+evID, map[string]any{}, nil); err != nil {
			t.Fatal(err)
		}
		ids[name] = roomID
	}
	screen := loginUI(t, st, alice)
	header := func() string { return strings.SplitN(uitest.Text(screen), "\n", 2)[0] }
	uitest.WaitFor(t, screen, "Delta Room", waitLong)
	uitest.WaitFor(t, screen, "Gamma Room", waitLong)
	open, other := "Gamma Room", "Delta Room"
	if strings.Contains(header(), "Delta Room") {
		open, other = other, open
	}
	rowOf := func(s, name string) string {
		for _, r := range strings.Split(s, "\n") {
			if left := r[:min(28, len(r))]; strings.Contains(left, name) {
				return strings.TrimSpace(left)
			}
		}
		return ""
	}
	if r := rowOf(uitest.Text(screen), other); !strings.HasSuffix(r, "Room") {
		t.Fatalf("%s is unread before bob writes: %q", other, r)
	}
	sent := time.Now()
	if _, err := bob.SendMessage(ctx(t), ids[other], "news for alice"); err != nil {
		t.Fatal(err)
	}
	uitest.WaitUntil(t, screen, other+" shows an unread count", waitLong, func(s string) bool {
		r := rowOf(s, other)
		return r != "" && r[len(r)-1] >= '1' && r[len(r)-1] <= '9'
	})
	t.Logf("figure: %s marked unread %.2fs after bob sent (the open room was %s)", other, time.Since(sent).Seconds(), open)

	// Opening it sends a read receipt: the mark goes.
	screen.InjectKey(tcell.KeyCtrlK, 'k', tcell.ModCtrl)
	uitest.Type(screen, other)
	enter(screen)
	uitest.WaitFor(t, screen, "news for alice", waitLong)
	uitest.WaitUntil(t, screen, other+" has no unread count", waitLong, func(s string) bool {
		return strings.HasSuffix(rowOf(s, other), "Room")
	})
}
