package teststack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

var shared Shared

func TestMain(m *testing.M) { os.Exit(shared.Run(m, Options{TURN: true})) }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestTwoUsersChat registers two users; one creates a room, invites the
// other and sends a message, the other joins and reads it.
func TestTwoUsersChat(t *testing.T) {
	st := shared.Get(t)
	ctx := testCtx(t)
	alice := st.MustRegister(t, "alice")
	bob := st.MustRegister(t, "bob")
	if !strings.HasSuffix(alice.UserID, ":"+ServerName) || alice.AccessToken == "" || alice.DeviceID == "" {
		t.Fatalf("registration answer incomplete: %+v", alice)
	}
	roomID, err := alice.CreateRoom(ctx, map[string]any{"preset": "private_chat", "invite": []string{bob.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx, roomID); err != nil {
		t.Fatal(err)
	}
	eventID, err := alice.SendMessage(ctx, roomID, "hello bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.SendState(ctx, roomID, "m.room.topic", "", map[string]any{"topic": "testing"}); err != nil {
		t.Fatal(err)
	}
	ev, err := bob.WaitForEvent(ctx, roomID, eventID)
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Body string }
	_ = json.Unmarshal(ev.Content, &c)
	if ev.Sender != alice.UserID || c.Body != "hello bob" {
		t.Fatalf("bob read %+v, want alice's hello", ev)
	}

	// And through /sync, as clients do. Dendrite moves /sync's position
	// on a moment after /messages has the event, so ask until it is there.
	for found := false; !found; {
		var sync struct {
			Rooms struct {
				Join map[string]struct {
					Timeline struct{ Events []Event }
				}
			}
		}
		if err := bob.Do(ctx, http.MethodGet, "/_matrix/client/v3/sync?timeout=0", nil, &sync); err != nil {
			t.Fatal(err)
		}
		for _, ev := range sync.Rooms.Join[roomID].Timeline.Events {
			found = found || ev.EventID == eventID
		}
		if !found {
			select {
			case <-ctx.Done():
				t.Fatalf("bob's /sync lacks alice's message")
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

func TestRegisterShortPasswordFails(t *testing.T) {
	st := shared.Get(t)
	_, err := st.RegisterUser(testCtx(t), st.UniqueLocalpart("short"), "short")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
		t.Fatalf("want a 400 Matrix error, got %v", err)
	}
}

func getJSON(ctx context.Context, t *testing.T, url string, out any) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

func TestWellKnown(t *testing.T) {
	st := shared.Get(t)
	ctx := testCtx(t)
	var doc map[string]map[string]any
	if code := getJSON(ctx, t, st.BaseURL+"/.well-known/matrix/client", &doc); code != 200 {
		t.Fatalf("default well-known: HTTP %d", code)
	}
	if doc["m.homeserver"]["base_url"] != st.BaseURL {
		t.Fatalf("default well-known = %v, want base_url %s", doc, st.BaseURL)
	}
	t.Cleanup(func() {
		_ = st.SetClientWellKnown(map[string]any{"m.homeserver": map[string]any{"base_url": st.BaseURL}})
	})
	if err := st.SetClientWellKnown(map[string]any{
		"m.homeserver":         map[string]any{"base_url": st.BaseURL},
		"im.vector.riot.jitsi": map[string]any{"preferredDomain": "jitsi.example.org"},
	}); err != nil {
		t.Fatal(err)
	}
	doc = nil
	getJSON(ctx, t, st.BaseURL+"/.well-known/matrix/client", &doc)
	if doc["im.vector.riot.jitsi"]["preferredDomain"] != "jitsi.example.org" {
		t.Fatalf("custom well-known not served: %v", doc)
	}
	if err := st.SetClientWellKnown(nil); err != nil {
		t.Fatal(err)
	}
	if code := getJSON(ctx, t, st.BaseURL+"/.well-known/matrix/client", nil); code != http.StatusNotFound {
		t.Fatalf("unset well-known: HTTP %d, want 404", code)
	}
	// Everything else reaches Dendrite.
	var versions struct{ Versions []string }
	if code := getJSON(ctx, t, st.BaseURL+"/_matrix/client/versions", &versions); code != 200 || len(versions.Versions) == 0 {
		t.Fatalf("versions through the front: HTTP %d %v", code, versions)
	}
}

func TestTURNCredentials(t *testing.T) {
	st := shared.Get(t)
	u := st.MustRegister(t, "turn")
	var resp struct {
		Username string   `json:"username"`
		Password string   `json:"password"`
		URIs     []string `json:"uris"`
		TTL      int      `json:"ttl"`
	}
	if err := u.Do(testCtx(t), http.MethodGet, "/_matrix/client/v3/voip/turnServer", nil, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Username == "" || resp.Password == "" || resp.TTL <= 0 {
		t.Fatalf("no TURN credentials: %+v", resp)
	}
	if len(resp.URIs) != 2 || resp.URIs[0] != "turn:"+st.TURNAddr+"?transport=udp" || resp.URIs[1] != "turn:"+st.TURNAddr+"?transport=tcp" {
		t.Fatalf("TURN URIs %v, want udp and tcp on %s", resp.URIs, st.TURNAddr)
	}
}

// TestRestartHomeserver stops Dendrite behind the front and starts it
// again: the front answers 502 meanwhile, and afterwards the same base URL
// serves the same data and sessions.
func TestRestartHomeserver(t *testing.T) {
	st := ForTest(t, Options{})
	ctx := testCtx(t)
	alice := st.MustRegister(t, "alice")
	roomID, err := alice.CreateRoom(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	before, err := alice.SendMessage(ctx, roomID, "before")
	if err != nil {
		t.Fatal(err)
	}
	base := st.BaseURL

	start := time.Now()
	st.StopHomeserver()
	t.Logf("stopped in %v", time.Since(start))
	start = time.Now()
	_, err = alice.SendMessage(ctx, roomID, "while down")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadGateway {
		t.Fatalf("while down: want 502, got %v", err)
	}
	// Refused at once, not after a client's timeout (10 s leaves room
	// for a loaded CI machine).
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("502 took %v", d)
	}

	start = time.Now()
	if err := st.StartHomeserver(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("restarted in %v", time.Since(start))
	if st.BaseURL != base {
		t.Fatalf("base URL changed: %s -> %s", base, st.BaseURL)
	}
	after, err := alice.SendMessage(ctx, roomID, "after")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.WaitForEvent(ctx, roomID, after); err != nil {
		t.Fatal(err)
	}
	evs, err := alice.Messages(ctx, roomID, 10)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ev := range evs {
		seen[ev.EventID] = true
	}
	if !seen[before] || !seen[after] {
		t.Fatalf("history after restart lacks before=%v after=%v", seen[before], seen[after])
	}
}

// TestLongPollThroughFront checks that a /sync long-poll through the front
// returns as soon as an event arrives, i.e. the front neither buffers nor
// cuts long-polls.
func TestLongPollThroughFront(t *testing.T) {
	st := shared.Get(t)
	ctx := testCtx(t)
	alice := st.MustRegister(t, "alice")
	roomID, err := alice.CreateRoom(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var first struct {
		NextBatch string `json:"next_batch"`
	}
	if err := alice.Do(ctx, http.MethodGet, "/_matrix/client/v3/sync?timeout=0", nil, &first); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		var next struct {
			Rooms struct {
				Join map[string]struct{ Timeline struct{ Events []Event } }
			}
		}
		err := alice.Do(ctx, http.MethodGet, "/_matrix/client/v3/sync?timeout=20000&since="+first.NextBatch, nil, &next)
		if err == nil && len(next.Rooms.Join[roomID].Timeline.Events) == 0 {
			err = errors.New("long-poll returned without the new event")
		}
		done <- err
	}()
	time.Sleep(500 * time.Millisecond)
	if _, err := alice.SendMessage(ctx, roomID, "wake up"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("long-poll took %v, want it to return on the event", d)
	}
}

// TestCloseStopsEverything checks that Close leaves no process (Dendrite,
// coturn, livekit-server) or server (front, JWT service) behind and
// removes the directory.
func TestCloseStopsEverything(t *testing.T) {
	st := ForTest(t, Options{TURN: true, LiveKit: true})
	pids := []int{st.dendrite.cmd.Process.Pid, st.coturn.cmd.Process.Pid, st.livekit.cmd.Process.Pid}
	dir := st.Dir
	st.Close()
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err == nil {
			t.Errorf("process %d still alive after Close", pid)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("stack directory %s still there: %v", dir, err)
	}
	for _, u := range []string{st.BaseURL + "/_matrix/client/versions", st.RTCServiceURL + "/healthz"} {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s still answers after Close", u)
		}
	}
}

// TestDendriteConfigEdits checks that Options.DendriteConfig reaches
// Dendrite: with registration disabled, registering fails.
func TestDendriteConfigEdits(t *testing.T) {
	st := ForTest(t, Options{DendriteConfig: map[string]any{"client_api.registration_disabled": true}})
	_, err := st.RegisterUser(testCtx(t), "nobody", TestPassword)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusForbidden {
		t.Fatalf("registration with it disabled: want 403, got %v", err)
	}
}

// TestSyncTokenSurvivesRestart checks what the client's reconnect test
// relies on: a since token from before a restart still works afterwards and
// yields exactly the events sent since, none lost and none repeated.
func TestSyncTokenSurvivesRestart(t *testing.T) {
	st := ForTest(t, Options{})
	ctx := testCtx(t)
	alice := st.MustRegister(t, "alice")
	bob := st.MustRegister(t, "bob")
	roomID, err := alice.CreateRoom(ctx, map[string]any{"invite": []string{bob.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx, roomID); err != nil {
		t.Fatal(err)
	}
	oldID, err := alice.SendMessage(ctx, roomID, "old")
	if err != nil {
		t.Fatal(err)
	}
	type syncResp struct {
		NextBatch string `json:"next_batch"`
		Rooms     struct {
			Join map[string]struct{ Timeline struct{ Events []Event } }
		}
	}
	var first syncResp
	if err := bob.Do(ctx, http.MethodGet, "/_matrix/client/v3/sync?timeout=0", nil, &first); err != nil {
		t.Fatal(err)
	}
	st.StopHomeserver()
	if err := st.StartHomeserver(ctx); err != nil {
		t.Fatal(err)
	}
	newID, err := alice.SendMessage(ctx, roomID, "new")
	if err != nil {
		t.Fatal(err)
	}
	// The first sync may or may not hold "old" yet (the sync API catches up
	// asynchronously); together the two syncs must hold each message once.
	var got []string
	collect := func(r syncResp) {
		for _, ev := range r.Rooms.Join[roomID].Timeline.Events {
			if ev.Type == "m.room.message" {
				got = append(got, ev.EventID)
			}
		}
	}
	collect(first)
	since := first.NextBatch
	deadline := time.Now().Add(30 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		var next syncResp
		if err := bob.Do(ctx, http.MethodGet, "/_matrix/client/v3/sync?timeout=2000&since="+since, nil, &next); err != nil {
			t.Fatal(err)
		}
		collect(next)
		since = next.NextBatch
	}
	if len(got) != 2 || got[0] != oldID || got[1] != newID {
		t.Fatalf("syncs across the restart gave messages %v, want %s then %s once each", got, oldID, newID)
	}
}

// TestLoginSecondDevice logs a registered user in again: a second device
// with its own token, while the first stays valid.
func TestLoginSecondDevice(t *testing.T) {
	st := shared.Get(t)
	ctx := testCtx(t)
	u := st.MustRegister(t, "twice")
	u2, err := st.Login(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if u2.UserID != u.UserID || u2.DeviceID == u.DeviceID || u2.AccessToken == u.AccessToken || u2.Password != u.Password {
		t.Fatalf("second login %q/%q, want %s on a new device (first %q)", u2.UserID, u2.DeviceID, u.UserID, u.DeviceID)
	}
	for _, x := range []User{u, u2} {
		var who struct {
			UserID   string `json:"user_id"`
			DeviceID string `json:"device_id"`
		}
		if err := x.Do(ctx, http.MethodGet, "/_matrix/client/v3/account/whoami", nil, &who); err != nil {
			t.Fatal(err)
		}
		if who.UserID != x.UserID || who.DeviceID != x.DeviceID {
			t.Errorf("whoami %+v, want %s/%s", who, x.UserID, x.DeviceID)
		}
	}
	if _, err := st.Login(ctx, User{UserID: u.UserID, Password: "wrong-password-123"}); err == nil {
		t.Error("login with a wrong password succeeded")
	}
}
