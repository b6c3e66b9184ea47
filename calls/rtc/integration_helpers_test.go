package rtc

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/internal/sfujwt"
	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/matrix"
)

// stack is the Dendrite shared by this package's integration tests.
var stack teststack.Shared

func TestMain(m *testing.M) {
	lksdk.SetLogger(protologger.GetDiscardLogger()) // the SDK logs every state change
	os.Exit(stack.Run(m, teststack.Options{LiveKit: true}))
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// liveClient logs u in with termatrix's core and syncs until stop or the
// test's end (the same set-up as package calls' helper, which a test of
// package rtc cannot import).
func liveClient(t testing.TB, st *teststack.Stack, u teststack.User) (c *matrix.Client, stop func()) {
	t.Helper()
	ctx := ctxT(t)
	sess, err := matrix.Login(ctx, matrix.LoginParams{Homeserver: st.BaseURL, User: u.UserID, Password: u.Password})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	c, err = matrix.Open(ctx, sess, filepath.Join(t.TempDir(), "store.db"), matrix.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(runCtx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
			_ = c.Close()
		})
	}
	t.Cleanup(stop)
	return c, stop
}

// secondJWT runs a second JWT service (the real internal/sfujwt) on the
// stack's SFU, as another homeserver's would be, and records the "room"
// of each request.
type secondJWT struct {
	*httptest.Server
	mu    sync.Mutex
	rooms []string
}

func newSecondJWT(t testing.TB, st *teststack.Stack) *secondJWT {
	svc := sfujwt.New(sfujwt.Config{HomeserverURL: st.BaseURL, ServerName: teststack.ServerName,
		LiveKitURL: st.LiveKitURL, APIKey: st.LiveKitKey, APISecret: st.LiveKitSecret})
	j := &secondJWT{}
	j.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		var req struct {
			Room string `json:"room"`
		}
		_ = json.Unmarshal(body, &req)
		j.mu.Lock()
		j.rooms = append(j.rooms, req.Room)
		j.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		svc.ServeHTTP(w, r)
	}))
	t.Cleanup(j.Close)
	return j
}

func (j *secondJWT) requestedRooms() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.rooms...)
}

// recordingDialer is a stand-in for the LiveKit media until lkmedia is
// merged: it really connects to the SFU (subscribing to nothing,
// publishing nothing), lists the room's participants, and records the
// keys the session sets.
type recordingDialer struct {
	mu    sync.Mutex
	dials []MediaConfig
	conns []*recordingMedia
}

func (d *recordingDialer) Dial(_ context.Context, cfg MediaConfig) (Media, error) {
	u, _ := url.Parse(cfg.URL)
	m := &recordingMedia{host: u.Host, publish: cfg.Publish, local: map[uint8][]byte{}, remote: map[string]map[uint8][]byte{}}
	cb := lksdk.NewRoomCallback()
	changed := func(*lksdk.RemoteParticipant) {
		if cfg.OnChange != nil {
			cfg.OnChange()
		}
	}
	cb.OnParticipantConnected, cb.OnParticipantDisconnected = changed, changed
	room, err := lksdk.ConnectToRoomWithToken(cfg.URL, cfg.Token, cb, lksdk.WithAutoSubscribe(false))
	if err != nil {
		return nil, err
	}
	m.room = room
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dials = append(d.dials, cfg)
	d.conns = append(d.conns, m)
	return m, nil
}

func (d *recordingDialer) Close() error { return nil }

// publishing is the connection that publishes (our SFU's).
func (d *recordingDialer) publishing() *recordingMedia {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, m := range d.conns {
		if m.publish {
			return m
		}
	}
	return nil
}

type recordingMedia struct {
	host    string
	publish bool
	room    *lksdk.Room

	mu       sync.Mutex
	local    map[uint8][]byte
	localIdx uint8
	remote   map[string]map[uint8][]byte
	muted    bool
	closed   bool
}

func (m *recordingMedia) SetLocalKey(index uint8, key []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.local[index], m.localIdx = append([]byte(nil), key...), index
}

func (m *recordingMedia) SetRemoteKey(identity string, index uint8, key []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.remote[identity] == nil {
		m.remote[identity] = map[uint8][]byte{}
	}
	m.remote[identity][index] = append([]byte(nil), key...)
}

func (m *recordingMedia) SetMuted(muted bool)  { m.mu.Lock(); m.muted = muted; m.mu.Unlock() }
func (m *recordingMedia) Host() string         { return m.host }
func (m *recordingMedia) AudioProblem() string { return "no audio: signalling test media" }

func (m *recordingMedia) Participants() []Participant {
	var out []Participant
	for _, rp := range m.room.GetRemoteParticipants() {
		out = append(out, Participant{Identity: rp.Identity(), Muted: true})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Identity < out[j].Identity })
	return out
}

func (m *recordingMedia) Close() error {
	m.mu.Lock()
	already := m.closed
	m.closed = true
	m.mu.Unlock()
	if !already {
		m.room.Disconnect()
	}
	return nil
}

// currentLocal is the key our frames use now.
func (m *recordingMedia) currentLocal() (uint8, []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.localIdx, m.local[m.localIdx]
}

// remoteKey is the key set for identity at index.
func (m *recordingMedia) remoteKey(identity string, index uint8) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.remote[identity][index]
}

// remoteKeys lists every key set for identity.
func (m *recordingMedia) remoteKeys(identity string) [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out [][]byte
	for _, k := range m.remote[identity] {
		out = append(out, k)
	}
	return out
}

// waitCall waits for a snapshot of mg's call for which ok is true.
func waitCall(t testing.TB, ch <-chan CallChanged, mg *Manager, what string, ok func(CallInfo) bool) CallInfo {
	t.Helper()
	deadline := time.After(45 * time.Second)
	if info, _ := mg.Active(); ok(info) {
		return info
	}
	for {
		select {
		case u := <-ch:
			if ok(u.Call) {
				return u.Call
			}
		case <-deadline:
			info, _ := mg.Active()
			t.Fatalf("waiting for %s: last snapshot %+v", what, info)
		}
	}
}

// waitFor polls cond until it holds.
// dmPair registers two users with prefix, makes them an encrypted DM and
// starts a live client for each, and waits until both are in the room.
// stopA stops a's client (as a crash would).
func dmPair(t *testing.T, st *teststack.Stack, prefix string) (roomID id.RoomID, a, b teststack.User, ca, cb *matrix.Client, stopA func()) {
	t.Helper()
	a, b = st.MustRegister(t, prefix+"-alice"), st.MustRegister(t, prefix+"-bob")
	roomID = encryptedDM(t, a, b)
	ca, stopA = liveClient(t, st, a)
	cb, _ = liveClient(t, st, b)
	waitFor(t, "both clients in the room", func() bool {
		ra, okA := ca.Room(roomID)
		rb, okB := cb.Room(roomID)
		return okA && okB && ra.Membership == event.MembershipJoin && rb.Membership == event.MembershipJoin
	})
	return roomID, a, b, ca, cb, stopA
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testLog(t testing.TB) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
}

func hasMember(info CallInfo, user id.UserID, keyed bool) bool {
	for _, m := range info.Members {
		if m.UserID == user && (!keyed || m.HasKey) {
			return true
		}
	}
	return false
}

// localIndex is the index of the key our frames use now.
func (m *recordingMedia) localIndex() uint8 {
	i, _ := m.currentLocal()
	return i
}

// noSessionGoroutines fails if a session goroutine of this package is
// still running (a leak after Leave or Close).
func noSessionGoroutines(t testing.TB) {
	t.Helper()
	var stacks string
	waitFor(t, "the session goroutines to end", func() bool {
		buf := make([]byte, 1<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		return !strings.Contains(stacks, "rtc.(*session).run")
	})
}
