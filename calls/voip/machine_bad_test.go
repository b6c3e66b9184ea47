package voip

import (
	"testing"
	"time"
)

// A broken invite is told as a missed call that could not be set up, not
// dropped silently and not shown as a call the user declined.
func TestBadInviteIsAMissedCall(t *testing.T) {
	h := newHarness(t, bob, "BOBDEV")
	s := sig(alice, "m.call.invite", map[string]any{"call_id": "c1", "version": "1", "lifetime": 60000})
	acts := h.m.HandleBatch(t0, []Signal{s})
	if len(find[StartIncoming](acts)) != 0 || len(sends(acts, "m.call.reject"))+len(sends(acts, "m.call.hangup")) != 0 {
		t.Fatalf("a broken invite rang or was answered: %v", acts)
	}
	c, ok := h.m.Call("c1")
	if !ok || c.Phase != PhaseEnded || c.EndReason != "missed call from @alice:test: it could not be set up" || c.Outgoing {
		t.Fatalf("broken invite: %+v (known %v)", c, ok)
	}
	if _, ok := h.m.Active(); ok {
		t.Fatal("a broken invite left an active call")
	}

	// Not told: old ones, ones for someone else, our own, unusable IDs.
	old := sig(alice, "m.call.invite", map[string]any{"call_id": "c2"})
	old.Age = 10 * time.Minute
	other := sig(alice, "m.call.invite", map[string]any{"call_id": "c3", "invitee": "@carol:test"})
	own := sig(bob, "m.call.invite", map[string]any{"call_id": "c4"})
	badID := sig(alice, "m.call.invite", map[string]any{"call_id": "c 5"})
	if acts := h.m.HandleBatch(t0, []Signal{old, other, own, badID}); len(acts) != 0 {
		t.Fatalf("want no action, got %v", acts)
	}
}

// When our client cannot take a ringing call (its media failed), the call
// ends as missed, "could not be set up", not as one the user declined.
func TestRingingCallOurMediaFailed(t *testing.T) {
	h := newHarness(t, bob, "BOBDEV")
	if acts := h.m.HandleBatch(t0, []Signal{sig(alice, "m.call.invite", invite("c1", "ALICEDEV", nil))}); len(find[StartIncoming](acts)) != 1 {
		t.Fatalf("invite did not ring: %v", acts)
	}
	acts := h.m.Hangup(t0.Add(time.Second), "c1", ReasonMediaFailed)
	hs := sends(acts, "m.call.hangup")
	if len(hs) != 1 || hs[0].Content.(*Hangup).Reason != ReasonMediaFailed {
		t.Fatalf("want a hangup with reason %s, got %v", ReasonMediaFailed, acts)
	}
	if c, _ := h.m.Call("c1"); c.EndReason != "missed call from @alice:test: it could not be set up" {
		t.Fatalf("end reason %q", c.EndReason)
	}
}
