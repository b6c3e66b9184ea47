package matrix

import (
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// TestJoinByAliasThenLoadHistory joins a public room by its alias and, at
// once, reads it and loads its history: JoinRoom returns only when sync
// has brought the room, so the UI opening it right away gets no "not in
// that room" error (F4).
func TestJoinByAliasThenLoadHistory(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "jalice")
	carol := st.MustRegister(t, "jcarol")
	ctx := ctxT(t)
	aliasName := st.UniqueLocalpart("lobby")
	rid, err := carol.CreateRoom(ctx, map[string]any{"preset": "public_chat", "name": "Lobby", "room_alias_name": aliasName})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := carol.SendMessage(ctx, rid, "before alice "+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	// A slow network: each /sync answer arrives 300 ms late.
	sess, err := Login(ctx, LoginParams{Homeserver: st.BaseURL, User: alice.UserID, Password: alice.Password})
	if err != nil {
		t.Fatal(err)
	}
	slow := &http.Client{Transport: slowSync{delay: 300 * time.Millisecond}}
	a := startLive(t, sess, filepath.Join(t.TempDir(), "store.db"), Options{HTTPClient: slow})
	roomID, err := a.JoinRoom(ctx, "#"+aliasName+":localhost")
	if err != nil {
		t.Fatalf("JoinRoom: %v", err)
	}
	if string(roomID) != rid {
		t.Fatalf("joined %s, want %s", roomID, rid)
	}
	r, ok := a.Room(roomID)
	if !ok || r.Membership != event.MembershipJoin || r.Name != "Lobby" {
		t.Fatalf("right after JoinRoom: room %+v known %v", r, ok)
	}
	if _, err := a.Timeline(roomID, 0); err != nil {
		t.Fatal(err)
	}
	if err := a.LoadHistory(ctx, roomID, 20); err != nil {
		t.Fatalf("LoadHistory right after joining: %v", err)
	}
	// An alias no room has: a clear error, not the server's HTTP 500.
	if _, err := a.JoinRoom(ctx, "#"+st.UniqueLocalpart("nope")+":localhost"); !errors.Is(err, ErrNoSuchRoom) {
		t.Errorf("joining an unknown alias: %v, want ErrNoSuchRoom", err)
	}
	// Joined elsewhere (another client of alice's): LoadHistory waits for
	// the sync that brings the room instead of failing.
	rid2, err := carol.CreateRoom(ctx, map[string]any{"preset": "public_chat"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Join(ctx, rid2); err != nil {
		t.Fatal(err)
	}
	if err := a.LoadHistory(ctx, id.RoomID(rid2), 20); err != nil {
		t.Fatalf("LoadHistory of a room joined elsewhere: %v", err)
	}
}

// slowSync delays every /sync answer, like a slow network.
type slowSync struct{ delay time.Duration }

func (s slowSync) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && strings.HasSuffix(req.URL.Path, "/sync") {
		time.Sleep(s.delay)
	}
	return resp, err
}
