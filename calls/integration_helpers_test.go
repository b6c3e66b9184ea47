package calls

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/config"
	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/matrix"
)

// stack is the Dendrite shared by this package's integration tests.
var stack teststack.Shared

func TestMain(m *testing.M) { os.Exit(stack.Run(m, teststack.Options{})) }

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// loopbackOnly is an HTTP client that refuses anything but 127.0.0.1, so
// no test ever looks up a made-up Jitsi domain on the network.
func loopbackOnly() *http.Client {
	d := &net.Dialer{Timeout: 2 * time.Second}
	return &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if host, _, _ := net.SplitHostPort(addr); host != "127.0.0.1" {
				return nil, errors.New("tests only reach 127.0.0.1")
			}
			return d.DialContext(ctx, network, addr)
		},
	}}
}

// loadConfig loads the shipped config.json with userFile (JSON, may be "")
// as the user's own file, and points the browser at cmd.
func loadConfig(t testing.TB, userFile, browserCmd string) *config.Config {
	t.Helper()
	defaults, err := os.ReadFile("../config.json")
	if err != nil {
		t.Fatal(err)
	}
	path := ""
	if userFile != "" {
		path = filepath.Join(t.TempDir(), "config.json")
		if err := os.WriteFile(path, []byte(userFile), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(defaults, path, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Browser = browserCmd
	return cfg
}

// browserRecorder is a script used as the "browser" setting: it appends its
// one argument to a file. It is the only thing replaced in these tests.
type browserRecorder struct {
	cmd, out string
}

func newBrowserRecorder(t testing.TB) *browserRecorder {
	t.Helper()
	dir := t.TempDir()
	r := &browserRecorder{out: filepath.Join(dir, "opened.txt")}
	script := filepath.Join(dir, "browser.sh")
	body := "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '" + r.out + "'\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	r.cmd = script + " %s"
	return r
}

// opened returns the URLs handed to the browser so far: only complete
// lines, because the script's ">>" creates the file before printf writes
// the URL, and a loaded machine can be read in between.
func (r *browserRecorder) opened() []string {
	b, err := os.ReadFile(r.out)
	if err != nil {
		return nil
	}
	return completeLines(string(b))
}

// started reports whether the browser script ran at all (its ">>" has
// created the file), even if it has not written the URL yet.
func (r *browserRecorder) started() bool {
	_, err := os.Stat(r.out)
	return err == nil
}

// completeLines splits s into its newline-terminated lines, leaving out a
// last line still being written.
func completeLines(s string) []string {
	end := strings.LastIndexByte(s, '\n')
	if end < 0 {
		return nil
	}
	return strings.Split(s[:end], "\n")
}

// waitOpened waits for the n-th URL.
func (r *browserRecorder) waitOpened(t testing.TB, n int) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if o := r.opened(); len(o) >= n {
			return o[n-1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the browser was not opened %d times (got %q)", n, r.opened())
	return ""
}

// liveClient logs u in with termatrix's core and syncs until the test ends.
func liveClient(t testing.TB, st *teststack.Stack, u teststack.User) *matrix.Client {
	t.Helper()
	ctx := ctxT(t)
	sess, err := matrix.Login(ctx, matrix.LoginParams{Homeserver: st.BaseURL, User: u.UserID, Password: u.Password})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	c, err := matrix.Open(ctx, sess, filepath.Join(t.TempDir(), "store.db"), matrix.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = c.Close()
	})
	return c
}

// controller starts a Controller for client with cfg and env, and returns
// its event stream.
func controller(t testing.TB, client *matrix.Client, cfg *config.Config, env map[string]string, httpc *http.Client) (*Controller, <-chan Event) {
	t.Helper()
	if httpc == nil {
		httpc = loopbackOnly()
	}
	c := New(Options{Client: client, Config: cfg, Env: func(k string) string { return env[k] }, HTTPClient: httpc, Log: zerolog.Nop()})
	ch, stop := c.Subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		stop()
	})
	return c, ch
}

// aliceName is alice's display name in every group.
const aliceName = "Alice & Co #1 $matrix_user_id 😀"

// group is a room of three users (alice creates it, bob and carol join)
// with bob allowed to manage widgets, as an Element room where he is a
// moderator.
type group struct {
	alice, bob, carol teststack.User
	roomID            id.RoomID
}

func newGroup(t testing.TB, st *teststack.Stack) group {
	t.Helper()
	ctx := ctxT(t)
	g := group{alice: st.MustRegister(t, "alice"), bob: st.MustRegister(t, "bob"), carol: st.MustRegister(t, "carol")}
	// A display name that would break a URL if it were not encoded.
	if err := g.alice.Do(ctx, http.MethodPut, "/_matrix/client/v3/profile/"+g.alice.UserID+"/displayname", map[string]any{"displayname": aliceName}, nil); err != nil {
		t.Fatal(err)
	}
	roomID, err := g.alice.CreateRoom(ctx, map[string]any{
		"name":   "Team room",
		"preset": "private_chat",
		"invite": []string{g.bob.UserID, g.carol.UserID},
		"power_level_content_override": map[string]any{
			"users": map[string]any{g.alice.UserID: 100, g.bob.UserID: 50},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []teststack.User{g.bob, g.carol} {
		if _, err := u.Join(ctx, roomID); err != nil {
			t.Fatal(err)
		}
	}
	g.roomID = id.RoomID(roomID)
	return g
}

// waitMembers waits until client's store has n joined members in the room
// and the client's room list has the room (the list is updated after the
// store's transaction commits: a key pressed in between would not find
// the room's name, which no user could do, as the UI shows the list).
func waitMembers(t testing.TB, c *matrix.Client, roomID id.RoomID, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, ok := c.Room(roomID); !ok {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		joined := 0
		for _, m := range c.Members(roomID) {
			if m.Membership == event.MembershipJoin {
				joined++
			}
		}
		if joined == n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never saw %d joined members in %s", c.UserID(), n, roomID)
}

// waitWidget waits until client's store has the widget state key in the room
// with content for which ok is true.
func waitWidget(t testing.TB, c *matrix.Client, roomID id.RoomID, key string, ok func(content []byte) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if ev := c.StateEvent(roomID, WidgetEventType, key); ev != nil && ok(contentBytes(&ev.Content)) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("widget %s never arrived in %s", key, roomID)
}

// serverState reads a state event's content from the homeserver as u.
func serverState(t testing.TB, u teststack.User, roomID id.RoomID, evType, key string) map[string]any {
	t.Helper()
	var out map[string]any
	path := "/_matrix/client/v3/rooms/" + string(roomID) + "/state/" + evType + "/" + key
	if err := u.Do(ctxT(t), http.MethodGet, path, nil, &out); err != nil {
		t.Fatalf("reading %s/%s: %v", evType, key, err)
	}
	return out
}

// widgetKeys lists the widget state keys the homeserver has for a room,
// with their contents.
func widgetKeys(t testing.TB, u teststack.User, roomID id.RoomID) map[string]map[string]any {
	t.Helper()
	var all []struct {
		Type     string         `json:"type"`
		StateKey string         `json:"state_key"`
		Content  map[string]any `json:"content"`
	}
	if err := u.Do(ctxT(t), http.MethodGet, "/_matrix/client/v3/rooms/"+string(roomID)+"/state", nil, &all); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, ev := range all {
		if ev.Type == WidgetEventType.Type {
			out[ev.StateKey] = ev.Content
		}
	}
	return out
}

// matrixTimeline is the core's timeline update.
type matrixTimeline = matrix.TimelineAppended
