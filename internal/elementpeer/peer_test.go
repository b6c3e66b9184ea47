package elementpeer_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/termatrix/termatrix/internal/elementpeer"
	"github.com/termatrix/termatrix/internal/teststack"
)

var stack teststack.Shared

func TestMain(m *testing.M) { os.Exit(stack.Run(m, teststack.Options{TURN: true})) }

// pair is two matrix-js-sdk peers, relay-only, joined to one room.
type pair struct {
	a, b   *elementpeer.Peer
	ua, ub teststack.User
	roomID string
	// sends is the tone each peer's fake microphone plays.
	sends map[*elementpeer.Peer]float64
}

// The tones the two peers' fake microphones play.
const (
	toneA = 880.0
	toneB = 660.0
)

// newPair registers two users, puts them in a private room and starts a
// forced-TURN Element peer for each (in parallel: Chromium takes a while).
func newPair(tb testing.TB) pair {
	tb.Helper()
	st := stack.Get(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ua, ub := st.MustRegister(tb, "ela"), st.MustRegister(tb, "elb")
	roomID, err := ua.CreateRoom(ctx, map[string]any{"preset": "private_chat", "invite": []string{ub.UserID}})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := ub.Join(ctx, roomID); err != nil {
		tb.Fatal(err)
	}
	ps := startPeers(tb, peerSpec{peerOptions(st, ua), toneA}, peerSpec{peerOptions(st, ub), toneB})
	pa, pb := ps[0], ps[1]
	return pair{a: pa, b: pb, ua: ua, ub: ub, roomID: roomID, sends: map[*elementpeer.Peer]float64{pa: toneA, pb: toneB}}
}

// peerOptions are the options of a forced-TURN peer logged in as u.
func peerOptions(st *teststack.Stack, u teststack.User) elementpeer.Options {
	return elementpeer.Options{
		BaseURL: st.BaseURL, UserID: u.UserID, AccessToken: u.AccessToken, DeviceID: u.DeviceID, ForceTURN: true,
	}
}

// startPeerWith starts a peer with opts and, if toneHz is not 0, a fake
// microphone playing that tone. It reports errors with Error, not Fatal, and
// returns nil then.
func startPeerWith(tb testing.TB, opts elementpeer.Options, toneHz float64) *elementpeer.Peer {
	if toneHz != 0 {
		wav := filepath.Join(tb.TempDir(), fmt.Sprintf("tone-%.0f.wav", toneHz))
		if err := elementpeer.WriteToneWAV(wav, toneHz, 2*time.Second); err != nil {
			tb.Error(err)
			return nil
		}
		opts.FakeAudioFile = wav
	}
	p, err := elementpeer.StartForTest(tb, opts)
	if err != nil {
		tb.Error(err)
		return nil
	}
	return p
}

// peerSpec is one peer for startPeers: its options and its microphone's
// tone (0 for Chromium's beeps).
type peerSpec struct {
	opts elementpeer.Options
	tone float64
}

// startPeers starts a peer for every spec at once (Chromium takes a while)
// and fails the test if any did not start.
func startPeers(tb testing.TB, specs ...peerSpec) []*elementpeer.Peer {
	tb.Helper()
	peers := make([]*elementpeer.Peer, len(specs))
	var wg sync.WaitGroup
	for i, sp := range specs {
		wg.Add(1)
		go func() { defer wg.Done(); peers[i] = startPeerWith(tb, sp.opts, sp.tone) }()
	}
	wg.Wait()
	if slices.Contains(peers, nil) {
		tb.FailNow()
	}
	return peers
}

// waitMedia polls getStats() until audio packets and energy have arrived,
// and returns the last summary.
func waitMedia(ctx context.Context, t *testing.T, who string, p *elementpeer.Peer) elementpeer.Stats {
	t.Helper()
	var s elementpeer.Stats
	for {
		var err error
		s, err = p.Stats(ctx)
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		if s.InboundAudioPackets >= 20 && s.TotalAudioEnergy > 0 {
			return s
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: no audio received: %+v", who, s)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitVideo polls getStats() until video frames have been decoded.
func waitVideo(ctx context.Context, t *testing.T, who string, p *elementpeer.Peer) elementpeer.Stats {
	t.Helper()
	for {
		s, err := p.Stats(ctx)
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		if s.InboundVideoFrames > 0 && s.VideoWidth > 0 && s.VideoCodec != "" {
			return s
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: no video decoded: %+v", who, s)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// call places a call from caller to callee, checks it is answered, relayed
// through TURN and carries audio both ways, then hangs up from hanger.
func call(t *testing.T, p pair, caller, callee *elementpeer.Peer, callerID string, video, hangupByCaller bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	placed, err := caller.PlaceCall(ctx, p.roomID, video)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { endCall(caller, callee) })
	in, err := callee.WaitIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if in.CallID != placed.CallID || in.Sender != callerID || in.RoomID != p.roomID || in.Video != video {
		t.Fatalf("incoming %+v, want call %s from %s in %s (video %v)", in, placed.CallID, callerID, p.roomID, video)
	}
	if err := callee.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	for _, x := range []*elementpeer.Peer{caller, callee} {
		if _, err := x.WaitState(ctx, elementpeer.StateConnected); err != nil {
			t.Fatal(err)
		}
	}
	for who, x := range map[string]*elementpeer.Peer{"caller": caller, "callee": callee} {
		s := waitMedia(ctx, t, who, x)
		t.Logf("%s: %d audio packets in, energy %.4f, codec %s, pair %s/%s", who, s.InboundAudioPackets,
			s.TotalAudioEnergy, s.AudioCodec, s.LocalCandidateType, s.RemoteCandidateType)
		if s.LocalCandidateType != "relay" {
			t.Errorf("%s: local candidate type %q, want relay (forceTURN)", who, s.LocalCandidateType)
		}
		if s.AudioCodec != "audio/opus" {
			t.Errorf("%s: audio codec %q, want audio/opus", who, s.AudioCodec)
		}
		if !s.AudioPlaying {
			t.Errorf("%s: remote audio is not playing", who)
		}
		want := p.sends[caller]
		if x == caller {
			want = p.sends[callee]
		}
		pk, err := x.PeakFrequency(ctx, 800*time.Millisecond)
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		t.Logf("%s: strongest remote frequency %.0f Hz (%.0f%% of the power)", who, pk.Hz, 100*pk.Share)
		if math.Abs(pk.Hz-want) > 15 || pk.Share < 0.5 {
			t.Errorf("%s hears %.0f Hz (%.0f%% of the power), want the peer's %.0f Hz tone", who, pk.Hz, 100*pk.Share, want)
		}
		if video {
			s = waitVideo(ctx, t, who, x)
			t.Logf("%s: %d video frames decoded, %dx%d, codec %s", who, s.InboundVideoFrames, s.VideoWidth,
				s.VideoHeight, s.VideoCodec)
		}
	}
	hanger, other := callee, caller
	if hangupByCaller {
		hanger, other = caller, callee
	}
	if err := hanger.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	reason, err := other.WaitHangup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if reason != "user_hangup" {
		t.Errorf("the other side ended with reason %q, want user_hangup", reason)
	}
	if _, err := hanger.WaitHangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// endCall hangs up whatever call is still up on either peer, so a failed
// subtest does not leave the next one "already in call".
func endCall(peers ...*elementpeer.Peer) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, x := range peers {
		if x.CallID() == "" {
			continue
		}
		if _, ok := x.StateTime(elementpeer.StateEnded); !ok {
			_ = x.Hangup(ctx)
			_, _ = x.WaitHangup(ctx)
		}
	}
}

// TestCallThroughTURN is the matrix-js-sdk ↔ matrix-js-sdk baseline: two
// Element call stacks in one room call each other in both directions through
// coturn, with each one's tone heard by the other, each side hangs up once,
// a video call carries video, and a rejected call ends for the caller.
func TestCallThroughTURN(t *testing.T) {
	p := newPair(t)
	t.Run("a calls b, b hangs up", func(t *testing.T) { call(t, p, p.a, p.b, p.ua.UserID, false, false) })
	t.Run("b calls a, b hangs up", func(t *testing.T) { call(t, p, p.b, p.a, p.ub.UserID, false, true) })
	t.Run("video: a calls b", func(t *testing.T) { call(t, p, p.a, p.b, p.ua.UserID, true, true) })
	t.Run("b rejects a's call", func(t *testing.T) { reject(t, p) })
	t.Run("a holds b, resumes, restarts ICE", func(t *testing.T) { holdAndRestart(t, p) })
}

// holdAndRestart checks the renegotiations Element makes mid-call (hold,
// resume, ICE restart), each an m.call.negotiate answered by the peer.
func holdAndRestart(t *testing.T, p pair) {
	t.Cleanup(func() { endCall(p.a, p.b) })
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	if _, err := p.a.PlaceCall(ctx, p.roomID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := p.b.WaitIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.b.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := p.a.WaitState(ctx, elementpeer.StateConnected); err != nil {
		t.Fatal(err)
	}
	h, err := p.a.Hold(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("on hold: %+v", h)
	if !h.RemoteOnHold || !slices.Contains(h.Directions, "sendonly") {
		t.Errorf("after hold: %+v, want a sendonly transceiver", h)
	}
	if h, err = p.a.Hold(ctx, false); err != nil {
		t.Fatal(err)
	}
	if h.RemoteOnHold || slices.Contains(h.Directions, "sendonly") {
		t.Errorf("after resume: %+v, want sendrecv again", h)
	}
	r, err := p.a.RestartICE(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ICE restart: %+v", r)
	if r.LocalUfragAfter == r.LocalUfragBefore || r.RemoteUfragAfter == r.RemoteUfragBefore || r.State != elementpeer.StateConnected {
		t.Errorf("ICE restart: %+v, want new credentials on both sides and the call connected", r)
	}
	before, err := p.b.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	after, err := p.b.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.InboundAudioPackets <= before.InboundAudioPackets {
		t.Errorf("no audio after the ICE restart: %d then %d packets", before.InboundAudioPackets, after.InboundAudioPackets)
	}
}

// reject checks that a rejected call ends on the caller's side.
func reject(t *testing.T, p pair) {
	t.Cleanup(func() { endCall(p.a, p.b) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := p.a.PlaceCall(ctx, p.roomID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := p.b.WaitIncoming(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.b.Reject(ctx); err != nil {
		t.Fatal(err)
	}
	reason, err := p.a.WaitHangup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if reason != "user_hangup" {
		t.Errorf("caller's call ended with %q, want user_hangup (how matrix-js-sdk reports m.call.reject)", reason)
	}
}

// BenchmarkCallSetupJSSDK measures matrix-js-sdk ↔ matrix-js-sdk call set-up
// through TURN on the local stack (run with -benchtime=5x): medians of
// invite sent → caller connected (ms/setup, as voip's benchmarks), and from
// placing the call. The callee answers at once, in the browser.
func BenchmarkCallSetupJSSDK(b *testing.B) {
	p := newPair(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var invite, place, both []time.Duration
	b.ResetTimer()
	for range b.N {
		st, err := elementpeer.MeasureSetup(ctx, p.a, p.b, p.roomID)
		if err != nil {
			b.Fatal(err)
		}
		invite = append(invite, st.InviteToConnected)
		place = append(place, st.PlaceToConnected)
		both = append(both, st.PlaceToBothConnected)
	}
	b.ReportMetric(ms(elementpeer.Median(invite)), "ms/setup")
	b.ReportMetric(ms(elementpeer.Median(place)), "ms/place-to-connected")
	b.ReportMetric(ms(elementpeer.Median(both)), "ms/place-to-both-connected")
}

func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
