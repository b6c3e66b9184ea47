package voip_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/calls/audio"
	"github.com/termatrix/termatrix/internal/elementpeer"
	"github.com/termatrix/termatrix/internal/teststack"
)

// The tones each side sends in the Element interop tests: ours from the
// "tone:" audio input, Element's from a WAV its fake microphone loops.
const (
	ourTone     = 440.0
	elementTone = 880.0
)

// elementRig is a termatrix account (client + voip.Manager, relay-only) and
// an Element call stack (matrix-js-sdk in headless Chromium, forceTURN) in
// one private room.
type elementRig struct {
	us   *peer
	el   *elementpeer.Peer
	eu   teststack.User
	room id.RoomID
}

// newElementRig starts both sides (Chromium in the background while our
// client syncs) and a room between them, created by the Element user.
func newElementRig(tb testing.TB, name string) *elementRig {
	tb.Helper()
	st := stack.Get(tb)
	eu := st.MustRegister(tb, "el"+name)
	wav := filepath.Join(tb.TempDir(), "element-tone.wav")
	if err := elementpeer.WriteToneWAV(wav, elementTone, 2*time.Second); err != nil {
		tb.Fatal(err)
	}
	var el *elementpeer.Peer
	var elErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		el, elErr = elementpeer.Start(ctx, elementpeer.Options{
			BaseURL: st.BaseURL, UserID: eu.UserID, AccessToken: eu.AccessToken, DeviceID: eu.DeviceID,
			ForceTURN: true, FakeAudioFile: wav,
		})
	}()
	tb.Cleanup(func() {
		<-done
		if el != nil {
			el.Close()
		}
	})
	_, bench := tb.(*testing.B)
	us := newPeer(tb, st, "tm"+name, peerOpts{tone: fmt.Sprintf("tone:%.0f", ourTone), quiet: bench})
	<-done
	if elErr != nil {
		tb.Fatalf("starting Element's call stack: %v", elErr)
	}

	r := &elementRig{us: us, el: el, eu: eu}
	r.room = r.roomWith(tb, us)
	return r
}

// roomWith makes a private room of the Element user and p and waits until p's
// client sees both joined.
func (r *elementRig) roomWith(tb testing.TB, p *peer) id.RoomID {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	roomID, err := r.eu.CreateRoom(ctx, map[string]any{"preset": "private_chat", "invite": []string{p.user.UserID}})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := p.user.Join(ctx, roomID); err != nil {
		tb.Fatal(err)
	}
	for {
		if room, ok := p.cli.Room(id.RoomID(roomID)); ok && room.JoinedMembers == 2 {
			return id.RoomID(roomID)
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("%s never saw the room with 2 members", p.user.UserID)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// mark returns how many snapshots our side has published so far, for
// waitAfter.
func (r *elementRig) mark() int {
	r.us.mu.Lock()
	defer r.us.mu.Unlock()
	return len(r.us.snaps)
}

// waitAfter waits for one of our snapshots, published at or after index
// from, that satisfies ok.
func (r *elementRig) waitAfter(tb testing.TB, from int, what string, ok func(calls.CallInfo) bool) calls.CallInfo {
	tb.Helper()
	return waitSnapAfter(tb, r.us, from, what, ok)
}

// waitSnapAfter waits for one of us's snapshots, published at or after
// index from, that satisfies ok.
func waitSnapAfter(tb testing.TB, us *peer, from int, what string, ok func(calls.CallInfo) bool) calls.CallInfo {
	tb.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		us.mu.Lock()
		for i := from; i < len(us.snaps); i++ {
			if ok(us.snaps[i]) {
				s := us.snaps[i]
				us.mu.Unlock()
				return s
			}
		}
		var seen []string
		for _, s := range us.snaps[min(from, len(us.snaps)):] {
			seen = append(seen, string(s.State)+"("+s.EndReason+")")
		}
		us.mu.Unlock()
		if time.Now().After(deadline) {
			tb.Fatalf("%s: timed out waiting for %s; saw %v", us.user.UserID, what, seen)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// endAll hangs up whatever is still up on either side, so a failed subtest
// does not leave the next one busy.
func (r *elementRig) endAll() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c, ok := r.us.mgr.Active(); ok && c.State != calls.CallEnded {
		_ = r.us.mgr.Hangup(r.room)
	}
	if r.el.CallID() != "" {
		if _, ended := r.el.StateTime(elementpeer.StateEnded); !ended {
			_ = r.el.Hangup(ctx)
			_, _ = r.el.WaitHangup(ctx)
		}
	}
}

// connectOurCall places a voice call from us to Element, has Element answer,
// waits until both sides are connected and returns the call ID.
func (r *elementRig) connectOurCall(t *testing.T, ctx context.Context) string {
	t.Helper()
	from := r.mark()
	if err := r.us.mgr.PlaceCall(r.room, id.UserID(r.eu.UserID), false); err != nil {
		t.Fatal(err)
	}
	in, err := r.el.WaitIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.el.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.el.WaitState(ctx, elementpeer.StateConnected); err != nil {
		t.Fatal(err)
	}
	r.waitAfter(t, from, "connected", func(c calls.CallInfo) bool {
		return c.CallID == in.CallID && c.State == calls.CallConnected
	})
	return in.CallID
}

// answerElementCall has Element place a voice call to us, waits for it
// to ring here, answers it and waits until both sides are connected. It
// returns our ringing and connected snapshots.
func (r *elementRig) answerElementCall(t *testing.T, ctx context.Context) (ring, ours calls.CallInfo) {
	t.Helper()
	from := r.mark()
	placed, err := r.el.PlaceCall(ctx, string(r.room), false)
	if err != nil {
		t.Fatal(err)
	}
	ring = r.waitAfter(t, from, "ringing", func(c calls.CallInfo) bool {
		return c.State == calls.CallRinging && c.CallID == placed.CallID
	})
	if err := r.us.mgr.Answer(r.room); err != nil {
		t.Fatal(err)
	}
	ours = r.waitAfter(t, from, "connected", func(c calls.CallInfo) bool {
		return c.CallID == placed.CallID && c.State == calls.CallConnected
	})
	if _, err := r.el.WaitState(ctx, elementpeer.StateConnected); err != nil {
		t.Fatal(err)
	}
	return ring, ours
}

// played returns how many samples our sink has written in the current call.
func (r *elementRig) played(t *testing.T) int {
	t.Helper()
	f, err := os.Open(r.us.out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	samples, _, err := audio.ReadWAV(f)
	if err != nil {
		t.Fatal(err)
	}
	return len(samples)
}

// waitPlaying waits until our sink has played half a second of the call.
func (r *elementRig) waitPlaying(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for r.played(t) < audio.SampleRate/2 {
		if time.Now().After(deadline) {
			t.Fatalf("we played only %d samples of Element's audio in 10 s", r.played(t))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkMedia asserts, on a connected call, that both sides relay through
// TURN and hear each other's tone: Element's getStats() shows audio packets
// and energy and its WebAudio analyser finds our tone; our sink's samples
// hold Element's tone (Goertzel).
func (r *elementRig) checkMedia(t *testing.T, ours calls.CallInfo) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if ours.Path != "relay" {
		t.Errorf("termatrix: media path %q, want relay", ours.Path)
	}
	var s elementpeer.Stats
	for {
		var err error
		if s, err = r.el.Stats(ctx); err != nil {
			t.Fatal(err)
		}
		if s.InboundAudioPackets >= 25 && s.TotalAudioEnergy > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("Element received no audio from us: %+v", s)
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Logf("Element: %d audio packets in, energy %.4f, codec %s, candidate pair %s/%s; termatrix: codec %s, path %s",
		s.InboundAudioPackets, s.TotalAudioEnergy, s.AudioCodec, s.LocalCandidateType, s.RemoteCandidateType,
		ours.Codec, ours.Path)
	if s.LocalCandidateType != "relay" {
		t.Errorf("Element: selected local candidate %q, want relay", s.LocalCandidateType)
	}
	if !s.AudioPlaying {
		t.Error("Element: our audio is not playing")
	}
	pk, err := r.el.PeakFrequency(ctx, 800*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Element hears %.0f Hz (%.0f%% of the power)", pk.Hz, 100*pk.Share)
	if math.Abs(pk.Hz-ourTone) > 15 || pk.Share < 0.5 {
		t.Errorf("Element hears %.0f Hz (%.0f%%), want our %.0f Hz tone", pk.Hz, 100*pk.Share, ourTone)
	}
	// Our sink has been writing since the call connected; by now it holds
	// more than a second of Element's audio.
	if p := r.us.waitHeard(t, elementTone, atLeast(0.5)); p < 0.5 {
		t.Errorf("termatrix did not hear Element's %.0f Hz tone (share %.2f)", elementTone, p)
	}
	if p := r.us.heard(t, ourTone); p > 0.1 {
		t.Errorf("termatrix hears its own %.0f Hz tone (share %.2f)", ourTone, p)
	}
}

// TestElementInterop runs termatrix against Element's call stack
// (matrix-js-sdk 43 in Chromium), both forced through coturn: each side
// calls, each side answers, rejects and hangs up, with audio both ways.
func TestElementInterop(t *testing.T) {
	r := newElementRig(t, "interop")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	t.Run("Element calls us, we answer, Element hangs up", func(t *testing.T) {
		t.Cleanup(r.endAll)
		from := r.mark()
		ring, ours := r.answerElementCall(t, ctx)
		if !ring.Incoming || ring.PeerID != id.UserID(r.eu.UserID) || ring.Video {
			t.Fatalf("ringing snapshot %+v, want a voice call from %s", ring, r.eu.UserID)
		}
		placed := struct{ CallID string }{ring.CallID}
		r.checkMedia(t, ours)

		if err := r.el.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		end := r.waitAfter(t, from, "ended", func(c calls.CallInfo) bool {
			return c.CallID == placed.CallID && c.State == calls.CallEnded
		})
		if !strings.Contains(end.EndReason, "hung up") {
			t.Errorf("our end reason %q, want the peer hung up", end.EndReason)
		}
	})

	t.Run("we call Element, it answers, we hang up", func(t *testing.T) {
		t.Cleanup(r.endAll)
		from := r.mark()
		if err := r.us.mgr.PlaceCall(r.room, id.UserID(r.eu.UserID), false); err != nil {
			t.Fatal(err)
		}
		in, err := r.el.WaitIncoming(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if in.Sender != r.us.user.UserID || in.RoomID != string(r.room) || in.Video {
			t.Fatalf("Element rang with %+v, want a voice call from %s", in, r.us.user.UserID)
		}
		if err := r.el.Answer(ctx); err != nil {
			t.Fatal(err)
		}
		ours := r.waitAfter(t, from, "connected", func(c calls.CallInfo) bool {
			return c.CallID == in.CallID && c.State == calls.CallConnected
		})
		if _, err := r.el.WaitState(ctx, elementpeer.StateConnected); err != nil {
			t.Fatal(err)
		}
		r.checkMedia(t, ours)

		if err := r.us.mgr.Hangup(r.room); err != nil {
			t.Fatal(err)
		}
		reason, err := r.el.WaitHangup(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if reason != "user_hangup" {
			t.Errorf("Element's call ended with %q, want user_hangup", reason)
		}
		r.waitAfter(t, from, "ended", func(c calls.CallInfo) bool {
			return c.CallID == in.CallID && c.State == calls.CallEnded
		})
	})

	t.Run("Element rejects our call", func(t *testing.T) {
		t.Cleanup(r.endAll)
		from := r.mark()
		if err := r.us.mgr.PlaceCall(r.room, id.UserID(r.eu.UserID), false); err != nil {
			t.Fatal(err)
		}
		in, err := r.el.WaitIncoming(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.el.Reject(ctx); err != nil {
			t.Fatal(err)
		}
		end := r.waitAfter(t, from, "ended", func(c calls.CallInfo) bool {
			return c.CallID == in.CallID && c.State == calls.CallEnded
		})
		if !strings.Contains(end.EndReason, "declined") {
			t.Errorf("our end reason %q, want declined", end.EndReason)
		}
	})

	t.Run("we reject Element's call", func(t *testing.T) {
		t.Cleanup(r.endAll)
		from := r.mark()
		placed, err := r.el.PlaceCall(ctx, string(r.room), false)
		if err != nil {
			t.Fatal(err)
		}
		r.waitAfter(t, from, "ringing", func(c calls.CallInfo) bool {
			return c.CallID == placed.CallID && c.State == calls.CallRinging
		})
		if err := r.us.mgr.Reject(r.room); err != nil {
			t.Fatal(err)
		}
		if _, err := r.el.WaitHangup(ctx); err != nil {
			t.Fatal(err)
		}
		if _, ok := r.el.StateTime(elementpeer.StateConnected); ok {
			t.Error("Element's rejected call connected")
		}
	})

	t.Run("Element restarts ICE; we answer its negotiate and media goes on", func(t *testing.T) {
		t.Cleanup(r.endAll)
		callID := r.connectOurCall(t, ctx)
		r.waitPlaying(t)
		rs, err := r.el.RestartICE(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("ICE restart: %+v", rs)
		if rs.RemoteUfragAfter == rs.RemoteUfragBefore {
			t.Errorf("our answer to the ICE restart kept ICE credentials %q", rs.RemoteUfragAfter)
		}
		if c, ok := r.us.mgr.Active(); !ok || c.CallID != callID || c.State != calls.CallConnected {
			t.Fatalf("our call after the ICE restart: %+v (active %v)", c, ok)
		}
		// Media must come back both ways. (Ours resumes some seconds
		// after Element reports ICE connected again; the gap is logged.)
		restarted := time.Now()
		played := r.played(t)
		var resumed time.Duration
		for r.played(t)-played < audio.SampleRate {
			if resumed == 0 && r.played(t) > played {
				resumed = time.Since(restarted)
			}
			if time.Since(restarted) > 15*time.Second {
				t.Fatalf("15 s after the ICE restart we have played %d samples of Element's audio", r.played(t)-played)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("our playback resumed %v after Element's ICE restart completed", resumed.Round(10*time.Millisecond))
		before, err := r.el.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		after, err := r.el.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if after.InboundAudioPackets <= before.InboundAudioPackets || after.LocalCandidateType != "relay" {
			t.Errorf("after the ICE restart Element gets %d then %d packets over %s", before.InboundAudioPackets,
				after.InboundAudioPackets, after.LocalCandidateType)
		}
		if p := r.us.waitHeard(t, elementTone, atLeast(0.5)); p < 0.5 {
			t.Errorf("after the ICE restart we no longer hear Element's tone (share %.2f)", p)
		}
	})

	t.Run("Element holds us and resumes; we answer each negotiate", func(t *testing.T) {
		t.Cleanup(r.endAll)
		r.connectOurCall(t, ctx)
		h, err := r.el.Hold(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("Element on hold: %+v", h)
		if !slices.Contains(h.Directions, "sendonly") {
			t.Errorf("after hold Element's transceivers are %v: our answer should make them sendonly", h.Directions)
		}
		if h, err = r.el.Hold(ctx, false); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(h.Directions, "sendonly") {
			t.Errorf("after resume Element's transceivers are %v, want sendrecv", h.Directions)
		}
	})

	// Element must ring for our invite's whole lifetime (a missing or
	// mistyped lifetime ends its call at once) and then give up on its own.
	t.Run("our invite's lifetime: Element rings, then both sides give up", func(t *testing.T) {
		short := newPeer(t, stack.Get(t), "tmshort", peerOpts{lifetimeMs: 6000})
		room := r.roomWith(t, short)
		t.Cleanup(func() {
			if c, ok := short.mgr.Active(); ok && c.State != calls.CallEnded {
				_ = short.mgr.Hangup(room)
			}
		})
		if err := short.mgr.PlaceCall(room, id.UserID(r.eu.UserID), false); err != nil {
			t.Fatal(err)
		}
		in, err := r.el.WaitIncoming(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.el.WaitState(ctx, elementpeer.StateRinging); err != nil {
			t.Fatal(err)
		}
		if _, err := r.el.WaitHangup(ctx); err != nil {
			t.Fatal(err)
		}
		// matrix-js-sdk ends an unanswered incoming call without a reason
		// when lifetime - age has passed.
		// It subtracts the invite's age, so a late delivery on a loaded
		// machine shortens the ring: measure the lifetime from our send.
		ended, _ := r.el.StateTime(elementpeer.StateEnded)
		rang := ended.Sub(in.At)
		lived := rang
		if tm, ok := short.mgr.Timings(in.CallID); ok && !tm.InviteSent.IsZero() {
			lived = ended.Sub(tm.InviteSent)
		}
		t.Logf("Element rang for %v, %v after our invite was sent", rang.Round(10*time.Millisecond), lived.Round(10*time.Millisecond))
		if lived < 5*time.Second || lived > 15*time.Second {
			t.Errorf("Element's call ended %v after our invite, want about the invite's 6 s lifetime", lived)
		}
		end := waitSnapAfter(t, short, 0, "ended", func(c calls.CallInfo) bool {
			return c.CallID == in.CallID && c.State == calls.CallEnded
		})
		if end.EndReason != "no answer" {
			t.Errorf("our end reason %q, want no answer", end.EndReason)
		}
	})

	// matrix-js-sdk answers with video only if the caller sends video
	// (MatrixCall.shouldAnswerWithMediaType), and sees a call whose offer
	// only receives video as a voice call; so the video interop runs from
	// Element's side, whose fake camera sends.
	t.Run("Element places a video call, we answer and receive its video", func(t *testing.T) {
		t.Cleanup(r.endAll)
		from := r.mark()
		placed, err := r.el.PlaceCall(ctx, string(r.room), true)
		if err != nil {
			t.Fatal(err)
		}
		ring := r.waitAfter(t, from, "ringing", func(c calls.CallInfo) bool {
			return c.CallID == placed.CallID && c.State == calls.CallRinging
		})
		if !ring.Video {
			t.Errorf("Element's video call rings as voice: %+v", ring)
		}
		if err := r.us.mgr.Answer(r.room); err != nil {
			t.Fatal(err)
		}
		if _, err := r.el.WaitState(ctx, elementpeer.StateConnected); err != nil {
			t.Fatal(err)
		}
		ours := r.waitAfter(t, from, "remote video", func(c calls.CallInfo) bool {
			return c.CallID == placed.CallID && c.State == calls.CallConnected && strings.Contains(c.RemoteVideo, "x")
		})
		t.Logf("termatrix: remote video %q, local video %q, audio %q", ours.RemoteVideo, ours.LocalVideo, ours.Audio)
		if err := r.el.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		r.waitAfter(t, from, "ended", func(c calls.CallInfo) bool {
			return c.CallID == placed.CallID && c.State == calls.CallEnded
		})
	})
}
