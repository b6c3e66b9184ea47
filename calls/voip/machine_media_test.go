package voip

import (
	"testing"
	"time"

	"maunium.net/go/mautrix/id"
)

// connected runs an outgoing call from alice to bob up to connected media
// at t0+1s, bob's answer carrying answerMeta as sdp_stream_metadata.
func (h *harness) connected(answerMeta map[string]any) string {
	callID, _ := h.place(bob)
	ans := map[string]any{"call_id": callID, "party_id": "BOBDEV", "version": "1",
		"answer": map[string]any{"type": "answer", "sdp": "x"}}
	if answerMeta != nil {
		ans["sdp_stream_metadata"] = answerMeta
	}
	h.m.HandleBatch(t0, []Signal{sig(bob, "m.call.answer", ans)})
	h.m.MediaConnected(t0.Add(time.Second), callID)
	if c, _ := h.m.Call(callID); c.Phase != PhaseConnected {
		h.t.Fatalf("not connected: %+v", c)
	}
	return callID
}

// TestLostMediaEndsAfterTheReconnectTimeout: a connected call whose media
// is lost is reconnecting (still connected) at once, and ends 20 s after
// the loss with a hangup ice_failed and a reason that says what happened.
func TestLostMediaEndsAfterTheReconnectTimeout(t *testing.T) {
	h := newHarness(t, alice, "ALICEDEV")
	callID := h.connected(nil)
	lost := t0.Add(10 * time.Second)
	acts := h.m.MediaLost(lost.Add(3*time.Second), callID, lost)
	c, _ := h.m.Call(callID)
	if len(find[Changed](acts)) != 1 || !c.Reconnecting || c.Phase != PhaseConnected || !c.LostAt.Equal(lost) {
		t.Fatalf("after the loss: %+v %v", c, acts)
	}
	if acts := h.m.MediaLost(lost.Add(4*time.Second), callID, lost.Add(time.Second)); len(acts) != 0 {
		t.Fatalf("a second loss report changed something: %v", acts)
	}
	if acts := h.m.Tick(lost.Add(19900 * time.Millisecond)); len(acts) != 0 {
		t.Fatalf("ended before 20 s: %v", acts)
	}
	acts = h.m.Tick(lost.Add(20 * time.Second))
	hu := sends(acts, "m.call.hangup")
	c, _ = h.m.Call(callID)
	if len(hu) != 1 || hu[0].Content.(*Hangup).Reason != ReasonICEFailed || c.Phase != PhaseEnded ||
		c.EndReason != TextConnectionLost || len(find[EndMedia](acts)) != 1 {
		t.Fatalf("after 20 s: %+v %v", c, acts)
	}
}

// TestMediaBackEndsReconnecting: media that comes back in time ends the
// reconnecting and the call goes on past the timeout; a later loss counts
// afresh.
func TestMediaBackEndsReconnecting(t *testing.T) {
	h := newHarness(t, alice, "ALICEDEV")
	callID := h.connected(nil)
	h.m.MediaLost(t0.Add(5*time.Second), callID, t0.Add(2*time.Second))
	acts := h.m.MediaConnected(t0.Add(8*time.Second), callID)
	c, _ := h.m.Call(callID)
	if len(find[Changed](acts)) != 1 || c.Reconnecting || c.Phase != PhaseConnected {
		t.Fatalf("media back: %+v %v", c, acts)
	}
	if acts := h.m.Tick(t0.Add(time.Minute)); len(acts) != 0 {
		t.Fatalf("a recovered call ended: %v", acts)
	}
	h.m.MediaLost(t0.Add(61*time.Second), callID, t0.Add(60*time.Second))
	if acts := h.m.Tick(t0.Add(79 * time.Second)); len(acts) != 0 {
		t.Fatalf("the second loss ended early: %v", acts)
	}
	if acts := h.m.Tick(t0.Add(80 * time.Second)); len(sends(acts, "m.call.hangup")) != 1 {
		t.Fatalf("the second loss never ended: %v", acts)
	}
}

// TestLostMediaPeerGivesUpFirst: a call that never
// connected is not reconnecting; the peer's ice_failed hangup during a
// reconnect reads as the lost connection on this side too.
func TestLostMediaPeerGivesUpFirst(t *testing.T) {
	h := newHarness(t, alice, "ALICEDEV")
	callID, _ := h.place(bob)
	if acts := h.m.MediaLost(t0, callID, t0); len(acts) != 0 {
		t.Fatalf("an inviting call became reconnecting: %v", acts)
	}
	h.m.Hangup(t0, callID, ReasonUserHangup)

	h = newHarness(t, alice, "ALICEDEV")
	callID = h.connected(nil)
	h.m.MediaLost(t0.Add(5*time.Second), callID, t0.Add(2*time.Second))
	h.m.HandleBatch(t0.Add(10*time.Second), []Signal{sig(bob, "m.call.hangup", map[string]any{
		"call_id": callID, "party_id": "BOBDEV", "version": "1", "reason": "ice_failed"})})
	if c, _ := h.m.Call(callID); c.Phase != PhaseEnded || c.EndReason != TextConnectionLost {
		t.Fatalf("peer gave up: %+v", c)
	}
}

// TestPeerMuteFromStreamMetadata: the peer's microphone state comes from
// the sdp_stream_metadata of its answer and of
// m.call.sdp_stream_metadata_changed (stable or MSC3077 key); a screen
// share's state does not count, and nobody but the chosen peer changes it.
func TestPeerMuteFromStreamMetadata(t *testing.T) {
	h := newHarness(t, alice, "ALICEDEV")
	callID := h.connected(map[string]any{"bobstream": map[string]any{"purpose": "m.usermedia", "audio_muted": true}})
	if c, _ := h.m.Call(callID); !c.PeerMuted {
		t.Fatalf("the answer's metadata said muted: %+v", c)
	}
	changed := func(sender id.UserID, party string, key string, meta map[string]any) []Action {
		return h.m.HandleBatch(t0.Add(2*time.Second), []Signal{sig(sender, "m.call.sdp_stream_metadata_changed",
			map[string]any{"call_id": callID, "party_id": party, "version": "1", key: meta})})
	}
	unmuted := map[string]any{"bobstream": map[string]any{"purpose": "m.usermedia", "audio_muted": false}}
	if acts := changed(id.UserID("@carol:test"), "CAROLDEV", "sdp_stream_metadata", unmuted); len(acts) != 0 {
		t.Fatalf("someone else changed the peer's mute: %v", acts)
	}
	if acts := changed(bob, "BOBOTHER", "sdp_stream_metadata", unmuted); len(acts) != 0 {
		t.Fatalf("another device of the peer changed its mute: %v", acts)
	}
	acts := changed(bob, "BOBDEV", "sdp_stream_metadata", unmuted)
	if c, _ := h.m.Call(callID); c.PeerMuted || len(find[Changed](acts)) != 1 {
		t.Fatalf("unmute: %+v %v", c, acts)
	}
	screen := map[string]any{"bobstream": map[string]any{"purpose": "m.usermedia"},
		"share": map[string]any{"purpose": "m.screenshare", "audio_muted": true}}
	if acts := changed(bob, "BOBDEV", "sdp_stream_metadata", screen); len(acts) != 0 {
		t.Fatalf("a muted screen share muted the peer: %v", acts)
	}
	muted := map[string]any{"bobstream": map[string]any{"purpose": "m.usermedia", "audio_muted": true}}
	changed(bob, "BOBDEV", "org.matrix.msc3077.sdp_stream_metadata", muted)
	if c, _ := h.m.Call(callID); !c.PeerMuted {
		t.Fatalf("the MSC3077 key was not read: %+v", c)
	}

	// An incoming call: the invite's metadata.
	h = newHarness(t, bob, "BOBDEV")
	h.m.HandleBatch(t0, []Signal{sig(alice, "m.call.invite", invite("c1", "ALICEDEV", map[string]any{
		"sdp_stream_metadata": map[string]any{"s": map[string]any{"purpose": "m.usermedia", "audio_muted": true}}}))})
	if c, _ := h.m.Call("c1"); !c.PeerMuted {
		t.Fatalf("the invite's metadata said muted: %+v", c)
	}
}
