package matrix

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/termatrix/termatrix/internal/teststack"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// stack is the Dendrite (with coturn) shared by this package's integration
// tests; tests that stop the homeserver start their own.
var stack teststack.Shared

func TestMain(m *testing.M) { os.Exit(stack.Run(m, teststack.Options{TURN: true})) }

// waitTimeout bounds waits for something to come through sync.
const waitTimeout = 20 * time.Second

// live is a logged-in, syncing termatrix client in a test.
type live struct {
	*Client
	rec    *recorder
	sess   *Session
	dbPath string
	runErr chan error
	stop   context.CancelFunc
}

// loginLive logs u in with termatrix, opens a store in a temp dir, starts
// Run and waits for the first sync.
func loginLive(t *testing.T, st *teststack.Stack, u teststack.User) *live {
	t.Helper()
	return startLive(t, loginSession(t, st, u), filepath.Join(t.TempDir(), "store.db"), Options{})
}

// loginSession logs u in with termatrix: a new session (device) each time.
func loginSession(t testing.TB, st *teststack.Stack, u teststack.User) *Session {
	t.Helper()
	sess, err := Login(context.Background(), LoginParams{Homeserver: st.BaseURL, User: u.UserID, Password: u.Password})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	return sess
}

// startLive opens a client on dbPath and runs it until the test ends.
func startLive(t *testing.T, sess *Session, dbPath string, opts Options) *live {
	t.Helper()
	return startLiveTuned(t, sess, dbPath, opts, nil)
}

// startLiveTuned is startLive, calling tune (if set) on the client before
// Run starts (to shorten timeouts).
func startLiveTuned(t *testing.T, sess *Session, dbPath string, opts Options, tune func(*Client)) *live {
	t.Helper()
	c, err := Open(context.Background(), sess, dbPath, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if tune != nil {
		tune(c)
	}
	l := &live{Client: c, rec: record(t, c), sess: sess, dbPath: dbPath, runErr: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	l.stop = cancel
	go func() { l.runErr <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		_ = c.Close()
	})
	l.waitSynced(t)
	return l
}

func (l *live) waitSynced(t *testing.T) {
	t.Helper()
	l.rec.waitFor(t, 60*time.Second, "first sync", func(u Update) bool {
		s, ok := u.(StatusChanged)
		return ok && s.State == StateSynced
	})
}

// waitEvent waits for a live event in a room matching ok.
func (l *live) waitEvent(t *testing.T, roomID id.RoomID, what string, ok func(*event.Event) bool) *event.Event {
	t.Helper()
	var found *event.Event
	l.rec.waitFor(t, waitTimeout, what, func(u Update) bool {
		ta, isTA := u.(TimelineAppended)
		if !isTA || ta.RoomID != roomID {
			return false
		}
		for _, ev := range ta.Events {
			if ok(ev) {
				found = ev
				return true
			}
		}
		return false
	})
	return found
}

// waitRoom waits until the room list has a room matching ok.
func (l *live) waitRoom(t *testing.T, roomID id.RoomID, what string, ok func(Room) bool) Room {
	t.Helper()
	return l.waitRoomNudged(t, roomID, what, ok, nil)
}

// waitRoomNudged is waitRoom, calling nudge (if set) every 2 s meanwhile:
// Dendrite updates notification counts after it has served the event, so a
// new count reaches clients only with the next sync that includes the room.
func (l *live) waitRoomNudged(t *testing.T, roomID id.RoomID, what string, ok func(Room) bool, nudge func()) Room {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	lastNudge := time.Now()
	for time.Now().Before(deadline) {
		if r, found := l.Room(roomID); found && ok(r) {
			return r
		}
		if nudge != nil && time.Since(lastNudge) > 2*time.Second {
			nudge()
			lastNudge = time.Now()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for room %s: %s", roomID, what)
	return Room{}
}

func body(ev *event.Event) string {
	if m, ok := ev.Content.Parsed.(*event.MessageEventContent); ok {
		return m.Body
	}
	return ""
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
