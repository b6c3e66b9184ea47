package voip_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/calls/audio"
	"github.com/termatrix/termatrix/calls/voip"
	"github.com/termatrix/termatrix/config"
	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/matrix"
)

// stack is the Dendrite + coturn shared by this package's integration tests.
var stack teststack.Shared

func TestMain(m *testing.M) { os.Exit(stack.Run(m, teststack.Options{TURN: true})) }

const waitTimeout = 30 * time.Second

// peer is a termatrix account with a running client and voip.Manager.
type peer struct {
	user  teststack.User
	cli   *matrix.Client
	mgr   *voip.Manager
	out   string // the WAV file its sink writes
	mu    sync.Mutex
	snaps []calls.CallInfo
	at    []time.Time // when each snapshot arrived
	cond  *sync.Cond
}

type peerOpts struct {
	tone       string // audio.input
	lifetimeMs int
	quiet      bool // log warnings only
	direct     bool // allow direct paths (forceRelay off)
	iceFailed  time.Duration
}

func newPeer(t testing.TB, st *teststack.Stack, name string, o peerOpts) *peer {
	t.Helper()
	u := st.MustRegister(t, name)
	p := &peer{user: u, out: filepath.Join(t.TempDir(), name+".wav")}
	p.cond = sync.NewCond(&p.mu)
	sess := &matrix.Session{Homeserver: u.HomeserverURL, UserID: id.UserID(u.UserID), DeviceID: id.DeviceID(u.DeviceID), AccessToken: u.AccessToken}
	sess.EnsurePickleKey()
	cli, err := matrix.Open(context.Background(), sess, filepath.Join(t.TempDir(), name+".db"), matrix.Options{})
	if err != nil {
		t.Fatalf("open client: %v", err)
	}
	p.cli = cli
	ctx, cancel := context.WithCancel(context.Background())
	ups, unsub := cli.Subscribe()
	synced := make(chan struct{})
	go func() {
		defer unsub()
		once := sync.Once{}
		for u := range ups {
			if s, ok := u.(matrix.StatusChanged); ok && s.State == matrix.StateSynced {
				once.Do(func() { close(synced) })
			}
		}
	}()
	go func() { _ = cli.Run(ctx) }()
	if o.lifetimeMs == 0 {
		o.lifetimeMs = 90000
	}
	if o.tone == "" {
		o.tone = "none"
	}
	level := zerolog.DebugLevel
	if o.quiet {
		level = zerolog.WarnLevel
	}
	p.mgr = voip.New(voip.Options{
		Client:           cli,
		Calls:            config.Calls{ForceRelay: !o.direct, LifetimeMs: o.lifetimeMs},
		Audio:            config.Audio{Input: o.tone, Output: "file:" + p.out},
		ICEFailedTimeout: o.iceFailed,
		Log:              zerolog.New(zerolog.NewTestWriter(t)).With().Timestamp().Str("peer", name).Logger().Level(level),
	})
	snaps, stop := p.mgr.Subscribe()
	go func() {
		for s := range snaps {
			p.mu.Lock()
			p.snaps = append(p.snaps, s.Call)
			p.at = append(p.at, time.Now())
			p.cond.Broadcast()
			p.mu.Unlock()
		}
	}()
	runDone := make(chan struct{})
	go func() { _ = p.mgr.Run(ctx); close(runDone) }()
	t.Cleanup(func() {
		cancel()
		<-runDone
		stop()
		_ = cli.Close()
	})
	select {
	case <-synced:
	case <-time.After(waitTimeout):
		t.Fatalf("%s never synced", name)
	}
	return p
}

// wait waits for a snapshot that satisfies ok and returns it.
func (p *peer) wait(t *testing.T, what string, ok func(calls.CallInfo) bool) calls.CallInfo {
	t.Helper()
	c, _ := p.waitAt(t, what, ok)
	return c
}

// waitAt is wait that also returns when the snapshot arrived.
func (p *peer) waitAt(t *testing.T, what string, ok func(calls.CallInfo) bool) (calls.CallInfo, time.Time) {
	t.Helper()
	c, at, _ := p.waitFrom(t, what, 0, ok)
	return c, at
}

// waitFrom waits for a snapshot, from the from'th on, that satisfies ok,
// and returns it, when it arrived and its index.
func (p *peer) waitFrom(t *testing.T, what string, from int, ok func(calls.CallInfo) bool) (calls.CallInfo, time.Time, int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	timer := time.AfterFunc(waitTimeout, func() { p.mu.Lock(); p.cond.Broadcast(); p.mu.Unlock() })
	defer timer.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := from
	for {
		for ; seen < len(p.snaps); seen++ {
			if ok(p.snaps[seen]) {
				return p.snaps[seen], p.at[seen], seen
			}
		}
		if time.Now().After(deadline) {
			var states []string
			for _, s := range p.snaps {
				states = append(states, string(s.State)+"("+s.EndReason+s.Problem+")")
			}
			t.Fatalf("%s: timed out waiting for %s; saw %v", p.user.UserID, what, states)
		}
		p.cond.Wait()
	}
}

func state(s calls.CallState) func(calls.CallInfo) bool {
	return func(c calls.CallInfo) bool { return c.State == s }
}

// room makes a room with a and b joined and waits until both clients see it.
// ring has caller call callee in room r and returns the call as the
// callee sees it ringing.
func ring(t *testing.T, caller, callee *peer, r id.RoomID, video bool) calls.CallInfo {
	t.Helper()
	if err := caller.mgr.PlaceCall(r, id.UserID(callee.user.UserID), video); err != nil {
		t.Fatal(err)
	}
	return callee.wait(t, "ringing", state(calls.CallRinging))
}

func room(t testing.TB, a, b *peer) id.RoomID {
	t.Helper()
	ctx := context.Background()
	roomID, err := a.user.CreateRoom(ctx, map[string]any{"preset": "private_chat", "invite": []string{b.user.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.user.Join(ctx, roomID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitTimeout)
	for _, p := range []*peer{a, b} {
		for {
			r, ok := p.cli.Room(id.RoomID(roomID))
			if ok && r.JoinedMembers == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never saw the room with 2 members", p.user.UserID)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return id.RoomID(roomID)
}

// heard reads what p's sink wrote and returns the share of hz in its last second.
func (p *peer) heard(t *testing.T, hz float64) float64 {
	t.Helper()
	share, err := p.power(hz)
	if err != nil {
		t.Fatal(err)
	}
	return share
}

// power returns the share of hz in the last second p's sink wrote; an
// error if it wrote less than half a second.
func (p *peer) power(hz float64) (float64, error) {
	f, err := os.Open(p.out)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", p.out, err)
	}
	defer f.Close()
	samples, _, err := audio.ReadWAV(f)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", p.out, err)
	}
	if len(samples) > audio.SampleRate {
		samples = samples[len(samples)-audio.SampleRate:]
	}
	if len(samples) < audio.SampleRate/2 {
		return 0, fmt.Errorf("%s heard only %d samples", p.user.UserID, len(samples))
	}
	return audio.Goertzel(samples, hz), nil
}

// hearWait bounds waitHeard: on a loaded machine media starts (and a mute
// takes effect) later than on an idle one, so a fixed sleep before one
// measurement is flaky; a tone that never comes still fails in time.
const hearWait = 15 * time.Second

// waitHeard measures the share of hz in the last second p heard until ok
// accepts it or hearWait passes, and returns the last share (so the
// caller's check reports it).
func (p *peer) waitHeard(t *testing.T, hz float64, ok func(share float64) bool) float64 {
	t.Helper()
	deadline := time.Now().Add(hearWait)
	for {
		share, err := p.power(hz)
		if err == nil && ok(share) {
			return share
		}
		if time.Now().After(deadline) {
			if err != nil {
				t.Fatal(err)
			}
			return share
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func atLeast(v float64) func(float64) bool { return func(s float64) bool { return s >= v } }
func atMost(v float64) func(float64) bool  { return func(s float64) bool { return s <= v } }

func TestCallRelayToneBothWaysAndHangups(t *testing.T) {
	st := stack.Get(t)
	alice := newPeer(t, st, "alice", peerOpts{tone: "tone:440"})
	bob := newPeer(t, st, "bob", peerOpts{tone: "tone:1000"})
	r := room(t, alice, bob)

	if err := alice.mgr.PlaceCall(r, id.UserID(bob.user.UserID), false); err != nil {
		t.Fatal(err)
	}
	alice.wait(t, "inviting", state(calls.CallInviting))
	ring := bob.wait(t, "ringing", state(calls.CallRinging))
	if !ring.Incoming || ring.PeerID != id.UserID(alice.user.UserID) {
		t.Fatalf("ringing snapshot %+v", ring)
	}
	if err := bob.mgr.Answer(r); err != nil {
		t.Fatal(err)
	}
	ac := alice.wait(t, "connected", state(calls.CallConnected))
	bc := bob.wait(t, "connected", state(calls.CallConnected))
	if ac.Path != "relay" || bc.Path != "relay" {
		t.Fatalf("selected pair not relay: alice %q bob %q", ac.Path, bc.Path)
	}
	if ac.ConnectedAt.IsZero() || !(strings.HasPrefix(ac.Codec, "PCM") || strings.HasPrefix(ac.Codec, "opus/")) { // opus: build tag
		t.Fatalf("alice's snapshot: %+v", ac)
	}
	if p := bob.waitHeard(t, 440, atLeast(0.5)); p < 0.5 {
		t.Errorf("bob did not hear alice's 440 Hz (power %.2f)", p)
	}
	if p := bob.heard(t, 1000); p > 0.1 {
		t.Errorf("bob heard 1000 Hz (power %.2f)", p)
	}
	if p := alice.waitHeard(t, 1000, atLeast(0.5)); p < 0.5 {
		t.Errorf("alice did not hear bob's 1000 Hz (power %.2f)", p)
	}
	// Mute silences what bob hears from alice, unmute brings it back.
	if err := alice.mgr.ToggleMute(); err != nil {
		t.Fatal(err)
	}
	alice.wait(t, "muted", func(c calls.CallInfo) bool { return c.Muted })
	// Bob is told (m.call.sdp_stream_metadata_changed).
	_, _, mutedIdx := bob.waitFrom(t, "alice shown muted", 0, func(c calls.CallInfo) bool { return c.PeerMuted })
	if p := bob.waitHeard(t, 440, atMost(0.1)); p > 0.1 {
		t.Errorf("bob still hears alice while she is muted (power %.2f)", p)
	}
	if err := alice.mgr.ToggleMute(); err != nil {
		t.Fatal(err)
	}
	alice.wait(t, "unmuted", func(c calls.CallInfo) bool { return !c.Muted && c.State == calls.CallConnected })
	bob.waitFrom(t, "alice shown unmuted", mutedIdx+1, func(c calls.CallInfo) bool { return !c.PeerMuted })
	if p := bob.waitHeard(t, 440, atLeast(0.5)); p < 0.5 {
		t.Errorf("bob does not hear alice after unmute (power %.2f)", p)
	}
	if tm, ok := alice.mgr.Timings(ac.CallID); ok && !tm.InviteSent.IsZero() {
		t.Logf("invite sent → connected: %v", tm.Connected.Sub(tm.InviteSent))
	}

	// The callee hangs up.
	if err := bob.mgr.Hangup(r); err != nil {
		t.Fatal(err)
	}
	end := alice.wait(t, "ended", state(calls.CallEnded))
	if !strings.Contains(end.EndReason, "hung up") {
		t.Fatalf("alice's end reason %q", end.EndReason)
	}
	bob.wait(t, "ended", state(calls.CallEnded))

	// A second call the other way; the callee (alice) hangs up... and the
	// caller sees it, then a third where the caller hangs up.
	if err := bob.mgr.PlaceCall(r, id.UserID(alice.user.UserID), false); err != nil {
		t.Fatal(err)
	}
	alice.wait(t, "ringing again", func(c calls.CallInfo) bool { return c.State == calls.CallRinging && c.Incoming })
	if err := alice.mgr.Answer(r); err != nil {
		t.Fatal(err)
	}
	second := bob.wait(t, "connected again", func(c calls.CallInfo) bool { return c.State == calls.CallConnected && !c.Incoming })
	if err := bob.mgr.Hangup(r); err != nil {
		t.Fatal(err)
	}
	ae := alice.wait(t, "second call ended", func(c calls.CallInfo) bool { return c.State == calls.CallEnded && c.CallID == second.CallID })
	if !strings.Contains(ae.EndReason, "hung up") {
		t.Fatalf("alice's end reason %q", ae.EndReason)
	}
}

func TestCallRejected(t *testing.T) {
	st := stack.Get(t)
	alice := newPeer(t, st, "alice", peerOpts{})
	bob := newPeer(t, st, "bob", peerOpts{})
	r := room(t, alice, bob)
	ring(t, alice, bob, r, false)
	if err := bob.mgr.Reject(r); err != nil {
		t.Fatal(err)
	}
	end := alice.wait(t, "ended", state(calls.CallEnded))
	if !strings.Contains(end.EndReason, "declined") {
		t.Fatalf("end reason %q", end.EndReason)
	}
}

func TestCallNoAnswer(t *testing.T) {
	st := stack.Get(t)
	alice := newPeer(t, st, "alice", peerOpts{lifetimeMs: 5000})
	bob := newPeer(t, st, "bob", peerOpts{})
	r := room(t, alice, bob)
	ring(t, alice, bob, r, false)
	end := alice.wait(t, "ended", state(calls.CallEnded))
	if end.EndReason != "no answer" {
		t.Fatalf("caller's end reason %q", end.EndReason)
	}
	missed := bob.wait(t, "ended", state(calls.CallEnded))
	if !strings.Contains(missed.EndReason, "missed") {
		t.Fatalf("callee's end reason %q", missed.EndReason)
	}
}

func TestCallBusy(t *testing.T) {
	st := stack.Get(t)
	alice := newPeer(t, st, "alice", peerOpts{})
	bob := newPeer(t, st, "bob", peerOpts{})
	carol := newPeer(t, st, "carol", peerOpts{})
	r := room(t, alice, bob)
	r2 := room(t, carol, bob)
	ring(t, alice, bob, r, false)
	if err := carol.mgr.PlaceCall(r2, id.UserID(bob.user.UserID), false); err != nil {
		t.Fatal(err)
	}
	end := carol.wait(t, "ended", state(calls.CallEnded))
	if !strings.Contains(end.EndReason, "busy") {
		t.Fatalf("end reason %q", end.EndReason)
	}
	if a, ok := bob.mgr.Active(); !ok || a.PeerID != id.UserID(alice.user.UserID) {
		t.Fatalf("bob's call with alice should go on: %+v", a)
	}
}

func TestVideoCallAndPeerLeaves(t *testing.T) {
	st := stack.Get(t)
	alice := newPeer(t, st, "alice", peerOpts{})
	bob := newPeer(t, st, "bob", peerOpts{})
	r := room(t, alice, bob)
	ring := ring(t, alice, bob, r, true)
	if !ring.Video {
		t.Fatal("the invite's offer carries no video")
	}
	if err := bob.mgr.Answer(r); err != nil {
		t.Fatal(err)
	}
	ac := alice.wait(t, "connected", state(calls.CallConnected))
	if !ac.Video || !strings.Contains(ac.LocalVideo, "no camera") || ac.RemoteVideo != "no video received" {
		t.Fatalf("video fields: %+v", ac)
	}
	if !strings.Contains(ac.Audio, "none") {
		t.Fatalf("audio summary %q", ac.Audio)
	}
	ctx := context.Background()
	if err := bob.user.Do(ctx, "POST", "/_matrix/client/v3/rooms/"+string(r)+"/leave", map[string]any{}, nil); err != nil {
		t.Fatal(err)
	}
	end := alice.wait(t, "ended", state(calls.CallEnded))
	if !strings.Contains(end.EndReason, "left the room") {
		t.Fatalf("end reason %q", end.EndReason)
	}
	bob.wait(t, "ended", state(calls.CallEnded))
}

// A homeserver without TURN answers /voip/turnServer with {}: the call
// still connects, directly.
func TestCallWithoutTURNGoesDirect(t *testing.T) {
	st := teststack.ForTest(t, teststack.Options{})
	alice := newPeer(t, st, "alice", peerOpts{tone: "tone:440", direct: true})
	bob := newPeer(t, st, "bob", peerOpts{direct: true})
	r := room(t, alice, bob)
	ring(t, alice, bob, r, false)
	if err := bob.mgr.Answer(r); err != nil {
		t.Fatal(err)
	}
	ac := alice.wait(t, "connected", state(calls.CallConnected))
	if ac.Path != "direct" {
		t.Fatalf("path %q, want direct", ac.Path)
	}
	if p := bob.waitHeard(t, 440, atLeast(0.5)); p < 0.5 {
		t.Errorf("bob did not hear 440 Hz (power %.2f)", p)
	}
}

// A microphone that is not there is a message in the call panel, not a
// failed call.
func TestCallWithMissingDevice(t *testing.T) {
	st := stack.Get(t)
	alice := newPeer(t, st, "alice", peerOpts{tone: "device:no-such-microphone"})
	bob := newPeer(t, st, "bob", peerOpts{})
	r := room(t, alice, bob)
	ring(t, alice, bob, r, false)
	if err := bob.mgr.Answer(r); err != nil {
		t.Fatal(err)
	}
	ac := alice.wait(t, "connected", state(calls.CallConnected))
	if !strings.Contains(ac.Audio, "no-such-microphone") || !strings.Contains(ac.Audio, "silence") {
		t.Fatalf("the panel should say the device is missing: %q", ac.Audio)
	}
	if err := alice.mgr.Hangup(r); err != nil {
		t.Fatal(err)
	}
	bob.wait(t, "ended", state(calls.CallEnded))
}

// Both call each other at once: the call with the lesser ID survives, the
// other side takes it without ringing, and both end up in one connected call.
func TestGlareBothCallAtOnce(t *testing.T) {
	st := stack.Get(t)
	alice := newPeer(t, st, "alice", peerOpts{tone: "tone:440"})
	bob := newPeer(t, st, "bob", peerOpts{tone: "tone:1000"})
	r := room(t, alice, bob)
	errs := make(chan error, 2)
	go func() { errs <- alice.mgr.PlaceCall(r, id.UserID(bob.user.UserID), false) }()
	go func() { errs <- bob.mgr.PlaceCall(r, id.UserID(alice.user.UserID), false) }()
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	ac := alice.wait(t, "connected", state(calls.CallConnected))
	bc := bob.wait(t, "connected", state(calls.CallConnected))
	if ac.CallID != bc.CallID {
		t.Fatalf("two different calls connected: %s and %s", ac.CallID, bc.CallID)
	}
	if ac.Incoming == bc.Incoming {
		t.Fatalf("one side must have taken the other's call: %+v %+v", ac, bc)
	}
	for _, p := range []*peer{alice, bob} {
		p.mu.Lock()
		for _, s := range p.snaps {
			if s.State == calls.CallRinging {
				t.Errorf("%s rang during glare", p.user.UserID)
			}
		}
		p.mu.Unlock()
	}
	if p := bob.waitHeard(t, 440, atLeast(0.5)); p < 0.5 {
		t.Errorf("bob did not hear alice (power %.2f)", p)
	}
	if p := alice.waitHeard(t, 1000, atLeast(0.5)); p < 0.5 {
		t.Errorf("alice did not hear bob (power %.2f)", p)
	}
}

// Relay-only with no TURN server there is no path at all: ICE fails, the
// caller restarts it once through m.call.negotiate, and then the call is
// hung up with ice_failed; both sides say the connection failed.
func TestCallICEFailure(t *testing.T) {
	st := teststack.ForTest(t, teststack.Options{})
	alice := newPeer(t, st, "alice", peerOpts{iceFailed: 2 * time.Second})
	bob := newPeer(t, st, "bob", peerOpts{iceFailed: 2 * time.Second})
	r := room(t, alice, bob)
	ring(t, alice, bob, r, false)
	if err := bob.mgr.Answer(r); err != nil {
		t.Fatal(err)
	}
	ae := alice.wait(t, "ended", state(calls.CallEnded))
	be := bob.wait(t, "ended", state(calls.CallEnded))
	if ae.EndReason != "connection failed" || be.EndReason != "connection failed" {
		t.Fatalf("end reasons %q / %q", ae.EndReason, be.EndReason)
	}
	// The restart went through m.call.negotiate both ways before an
	// ice_failed hangup.
	var evs []*event.Event
	got := ""
	for deadline := time.Now().Add(waitTimeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var err error
		if evs, err = bob.cli.Timeline(r, 50); err != nil {
			t.Fatal(err)
		}
		var seq []string
		for _, ev := range evs {
			if strings.HasPrefix(ev.Type.Type, "m.call.") {
				seq = append(seq, string(ev.Sender)[1:4]+":"+strings.TrimPrefix(ev.Type.Type, "m.call."))
			}
		}
		got = strings.Join(seq, " ")
		if strings.Contains(got, "hangup") {
			break
		}
	}
	if !strings.Contains(got, "ali:negotiate") || !strings.Contains(got, "bob:negotiate") || !strings.HasSuffix(got, "hangup") {
		t.Fatalf("call events %s", got)
	}
	for _, ev := range evs {
		if ev.Type.Type == "m.call.hangup" {
			var c struct {
				Reason string `json:"reason"`
			}
			if err := json.Unmarshal(ev.Content.VeryRaw, &c); err != nil || c.Reason != "ice_failed" {
				t.Fatalf("hangup reason %q (%v)", c.Reason, err)
			}
		}
	}
}

// An invite whose offer is not SDP at all: no crash, no call left ringing,
// and the caller is told (hangup user_media_failed).
func TestInviteWithBrokenOffer(t *testing.T) {
	st := stack.Get(t)
	raw := st.MustRegister(t, "raw")
	bob := newPeer(t, st, "bob", peerOpts{})
	ctx := context.Background()
	roomID, err := raw.CreateRoom(ctx, map[string]any{"preset": "private_chat", "invite": []string{bob.user.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.user.Join(ctx, roomID); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.SendEvent(ctx, roomID, "m.call.invite", map[string]any{
		"call_id": "broken1", "party_id": "RAWDEV", "version": "1", "lifetime": 60000,
		"offer": map[string]any{"type": "offer", "sdp": "this is not sdp"}}); err != nil {
		t.Fatal(err)
	}
	end := bob.wait(t, "ended", state(calls.CallEnded))
	if end.CallID != "broken1" || end.EndReason != "missed call from "+end.PeerName+": it could not be set up" {
		t.Fatalf("ended %+v", end)
	}
	if _, ok := bob.mgr.Active(); ok {
		t.Fatal("a call is left")
	}
	var hangup struct {
		Chunk []struct {
			Type    string         `json:"type"`
			Content map[string]any `json:"content"`
		} `json:"chunk"`
	}
	for deadline := time.Now().Add(waitTimeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if err := raw.Do(ctx, "GET", "/_matrix/client/v3/rooms/"+roomID+"/messages?dir=b&limit=10", nil, &hangup); err != nil {
			t.Fatal(err)
		}
		for _, ev := range hangup.Chunk {
			if ev.Type == "m.call.hangup" {
				if ev.Content["reason"] != "user_media_failed" || ev.Content["call_id"] != "broken1" {
					t.Fatalf("hangup %v", ev.Content)
				}
				return
			}
		}
	}
	t.Fatal("no hangup sent for the broken call")
}
