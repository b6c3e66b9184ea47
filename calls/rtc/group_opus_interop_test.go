package rtc_test

import (
	"testing"
	"time"

	"github.com/termatrix/termatrix/calls/rtc"
	"github.com/termatrix/termatrix/internal/elementpeer"
	"github.com/termatrix/termatrix/internal/teststack"
)

// TestElementCallGroupOfThreeOpus runs a group call of three in a room
// that is not a DM, once encrypted (per-participant keys, frame E2EE) and
// once plain: two termatrix clients, A and B, and the Element-shaped
// js-sdk peer E, each with its own tone. Each hears the other two (our
// sinks hold both other tones; E's strongest frequency per participant is
// that participant's tone). Then B dies (its Manager closed without a
// leave, as a crash): once its membership expires it is gone from A's
// call and E's session, the survivors rotate their keys (encrypted) and
// still hear each other.
func TestElementCallGroupOfThreeOpus(t *testing.T) {
	needOpus(t)
	st := rtc.SharedStack(t)
	eu := st.MustRegister(t, "el-group")
	el := rtc.ElementPeer(t, st, eu, toneE)
	t.Run("encrypted room", func(t *testing.T) { groupOfThree(t, st, el, eu, true) })
	t.Run("plain room", func(t *testing.T) { groupOfThree(t, st, el, eu, false) })
}

// The tones of the group's members: A, B (termatrix) and E (Element).
const toneA, toneB, toneE = 440.0, 550.0, 660.0

// groupExpires is B's membership lifetime: short, so that it is gone
// soon after it dies (Dendrite has no delayed events to leave for it),
// but long enough that a refresh reaches the Element peer before the last
// one expires on a loaded machine: with 3 s, the peer (which checks expiry
// by its own clock) saw B expire and come back every few seconds and
// rotated its key each time, and A, waiting for each new key, heard it
// too seldom (seen in CI).
const groupExpires = 15 * time.Second

func groupOfThree(t *testing.T, st *teststack.Stack, el *elementpeer.Peer, eu teststack.User, encrypted bool) {
	ctx := ctxT(t)
	ua, ub := st.MustRegister(t, "grp-a"), st.MustRegister(t, "grp-b")
	roomID := rtc.CallRoom(t, encrypted, false, ua, ub, eu)
	room := string(roomID)
	client := rtc.LiveClient
	var trust *elementpeer.Peer
	if encrypted { // E's Rust crypto takes keys from cross-signed devices
		client, trust = rtc.CrossSigned, el
	}
	ca, stopA := client(t, st, ua)
	cb, stopB := client(t, st, ub)
	rtc.WaitInRoom(t, roomID, encrypted, trust, ca, cb)
	a := newMember(t, ua, ca, stopA, toneA, rtc.Options{})
	b := newMember(t, ub, cb, stopB, toneB, rtc.Options{Expires: groupExpires, Tick: 100 * time.Millisecond})

	start := time.Now()
	a.join(t, roomID, false)
	b.join(t, roomID, false)
	t.Cleanup(func() { _ = el.RTCLeave(ctxT(t)) }) // a failed step leaves the peer idle
	joined, err := el.RTCJoin(ctx, elementpeer.RTCJoinOptions{RoomID: room, Encrypted: encrypted})
	if err != nil {
		t.Fatal(err)
	}
	a.hears(t, toneB, toneE)
	b.hears(t, toneA, toneE)
	for _, m := range []*member{a, b} {
		peerHears(t, el, m.Identity(), m.Tone)
	}
	t.Logf("figure: A's Join → all three hear the other two %v", time.Since(start))
	s, err := el.RTCState(ctx, room)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*member{a, b} {
		if p, ok := s.Participant(m.Identity()); !ok || p.Encrypted != encrypted {
			t.Fatalf("E's view of %s: %+v (want encrypted %v)", m.U.UserID, p, encrypted)
		}
		if err := el.DecryptionSteady(ctx, room, m.Identity(), time.Second); err != nil {
			t.Fatal(err)
		}
	}

	// B dies.
	if err := b.MG.Close(); err != nil {
		t.Fatal(err)
	}
	b.Stop()
	died := time.Now()
	rtc.WaitCall(t, a.Ch, a.MG, "B gone from A's call", func(i rtc.CallInfo) bool {
		return len(i.Members) == 1 && string(i.Members[0].UserID) == eu.UserID && i.Members[0].InMedia
	})
	if _, err := el.WaitRTCMembers(ctx, room, 2); err != nil {
		t.Fatalf("E still sees B: %v", err)
	}
	t.Logf("figure: B died → gone at A and E %v (membership expiry %v)", time.Since(died), groupExpires)
	if encrypted {
		// A's rotated key reaches E, and E rotates its own.
		for _, who := range []string{a.Identity(), joined.Identity} {
			k, err := el.WaitRTCKey(ctx, who, died)
			if err != nil {
				t.Fatalf("no new key of %s at E after B died: %v", who, err)
			}
			t.Logf("figure: B died → new key %d of %s at E %v", k.Index, who, time.UnixMilli(k.T).Sub(died))
		}
		// Both switch to their new key about a second (KeyUseDelay) after
		// sending it; listen after that.
		time.Sleep(rtc.DefaultKeyUseDelay + time.Second)
	}
	a.Rec.Reset()
	a.hears(t, toneE)
	peerHears(t, el, a.Identity(), toneA)
	if s, err = el.RTCState(ctx, room); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Participant(a.Identity()); !ok {
		t.Fatalf("E lost A after the rotation: %+v", s)
	}
	if err := el.DecryptionSteady(ctx, room, a.Identity(), time.Second); err != nil {
		t.Fatalf("after the rotation: %v", err)
	}
	if err := el.RTCLeave(ctx); err != nil {
		t.Fatal(err)
	}
	a.leave(t, roomID)
}
