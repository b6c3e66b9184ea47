//go:build opus

package voip_test

import (
	"context"
	"testing"
	"time"

	"github.com/termatrix/termatrix/calls"
)

// opusCodec is what CallInfo.Codec says when a call negotiated Opus.
const opusCodec = "opus/48000"

func codecIs(callID, codec string) func(calls.CallInfo) bool {
	return func(c calls.CallInfo) bool {
		return c.CallID == callID && c.State == calls.CallConnected && c.Codec == codec
	}
}

// TestOpusRelayCallToneBothWays: built with libopus, two termatrix clients
// negotiate Opus through coturn and each hears the other's tone.
func TestOpusRelayCallToneBothWays(t *testing.T) {
	st := stack.Get(t)
	alice := newPeer(t, st, "opusalice", peerOpts{tone: "tone:440"})
	bob := newPeer(t, st, "opusbob", peerOpts{tone: "tone:1000"})
	r := room(t, alice, bob)

	ring(t, alice, bob, r, false)
	if err := bob.mgr.Answer(r); err != nil {
		t.Fatal(err)
	}
	ac := alice.wait(t, "connected", state(calls.CallConnected))
	bob.wait(t, "connected", state(calls.CallConnected))
	ac = alice.wait(t, "opus", codecIs(ac.CallID, opusCodec))
	bc := bob.wait(t, "opus", codecIs(ac.CallID, opusCodec))
	if ac.Path != "relay" || bc.Path != "relay" {
		t.Fatalf("selected pair not relay: alice %q bob %q", ac.Path, bc.Path)
	}
	if p := bob.waitHeard(t, 440, atLeast(0.5)); p < 0.5 {
		t.Errorf("bob did not hear alice's 440 Hz over Opus (share %.2f)", p)
	}
	if p := bob.heard(t, 1000); p > 0.1 {
		t.Errorf("bob heard 1000 Hz (share %.2f)", p)
	}
	if p := alice.waitHeard(t, 1000, atLeast(0.5)); p < 0.5 {
		t.Errorf("alice did not hear bob's 1000 Hz over Opus (share %.2f)", p)
	}
	t.Logf("codec %s both sides; bob hears 440 Hz at %.2f, alice hears 1000 Hz at %.2f",
		ac.Codec, bob.heard(t, 440), alice.heard(t, 1000))
	if err := alice.mgr.Hangup(r); err != nil {
		t.Fatal(err)
	}
	bob.wait(t, "ended", state(calls.CallEnded))
}

// TestOpusElementInterop: built with libopus, termatrix and Element
// (matrix-js-sdk in Chromium) negotiate Opus in both directions, through
// TURN, and hear each other's tone.
func TestOpusElementInterop(t *testing.T) {
	r := newElementRig(t, "opus")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	check := func(t *testing.T, callID string) {
		t.Helper()
		ours := r.waitAfter(t, 0, "opus", codecIs(callID, opusCodec))
		r.checkMedia(t, ours)
		s, err := r.el.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.AudioCodec != "audio/opus" {
			t.Errorf("Element receives %q, want audio/opus", s.AudioCodec)
		}
		t.Logf("negotiated: termatrix %s, Element %s", ours.Codec, s.AudioCodec)
	}

	t.Run("Element calls us", func(t *testing.T) {
		t.Cleanup(r.endAll)
		from := r.mark()
		_, ours := r.answerElementCall(t, ctx)
		placed := struct{ CallID string }{ours.CallID}
		check(t, placed.CallID)
		if err := r.el.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		r.waitAfter(t, from, "ended", func(c calls.CallInfo) bool { return c.CallID == placed.CallID && c.State == calls.CallEnded })
	})

	t.Run("we call Element", func(t *testing.T) {
		t.Cleanup(r.endAll)
		from := r.mark()
		callID := r.connectOurCall(t, ctx)
		check(t, callID)
		if err := r.us.mgr.Hangup(r.room); err != nil {
			t.Fatal(err)
		}
		if _, err := r.el.WaitHangup(ctx); err != nil {
			t.Fatal(err)
		}
		r.waitAfter(t, from, "ended", func(c calls.CallInfo) bool { return c.CallID == callID && c.State == calls.CallEnded })
	})
}
