package rtc_test

import (
	"time"

	"strings"
	"testing"

	"github.com/termatrix/termatrix/calls/rtc"
	"github.com/termatrix/termatrix/internal/elementpeer"
)

// TestElementCallRingFromTermatrixOpus is the other direction of
// TestElementCallInteropOpus: termatrix starts the call in an encrypted
// DM with a ring; the Element-shaped js-sdk peer is rung, answers by
// joining, and each hears the other's tone through end-to-end encrypted
// frames. Then termatrix rings again and the peer declines: termatrix's
// call ends, saying who declined, and its membership is left.
func TestElementCallRingFromTermatrixOpus(t *testing.T) {
	needOpus(t)
	const ourTone, elTone = 440.0, 660.0
	st := rtc.SharedStack(t)
	d := rtc.NewElementDM(t, st, "ring", elTone)
	tm := newMember(t, d.TU, d.C, d.StopC, ourTone, rtc.Options{})
	room := string(d.Room)

	t.Run("answered", func(t *testing.T) {
		ctx := ctxT(t)
		tm.join(t, d.Room, true)
		ring, err := d.El.WaitRTCRing(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ring.Sender != d.TU.UserID || ring.RoomID != room || !ring.Encrypted {
			t.Fatalf("Element was rung with %+v", ring)
		}
		joined, err := d.El.RTCJoin(ctx, elementpeer.RTCJoinOptions{RoomID: room, Encrypted: true})
		if err != nil {
			t.Fatal(err)
		}
		tm.hears(t, elTone)
		e, err := d.El.WaitRTCAudio(ctx, joined, d.Ours())
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("figure: Element's join → its first decoded (decrypted) audio from termatrix %d ms", e.SinceJoinMs)
		peerHears(t, d.El, d.Ours(), ourTone)
		s, err := d.El.RTCState(ctx, room)
		if err != nil {
			t.Fatal(err)
		}
		if p, ok := s.Participant(d.Ours()); !ok || !p.Encrypted {
			t.Fatalf("Element's view of us: %+v", p)
		}
		if err := d.El.DecryptionSteady(ctx, room, d.Ours(), time.Second); err != nil {
			t.Fatal(err)
		}
		if err := d.El.RTCLeave(ctx); err != nil {
			t.Fatal(err)
		}
		rtc.WaitCall(t, tm.Ch, tm.MG, "Element gone", func(i rtc.CallInfo) bool { return len(i.Members) == 0 })
		tm.leave(t, d.Room)
		if _, err := d.El.WaitRTCMembers(ctx, room, 0); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("declined", func(t *testing.T) {
		ctx := ctxT(t)
		tm.join(t, d.Room, true)
		ring, err := d.El.WaitRTCRing(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.El.RTCDecline(ctx, room, ring.EventID); err != nil {
			t.Fatal(err)
		}
		end := rtc.WaitCall(t, tm.Ch, tm.MG, "our call ended by the decline", func(i rtc.CallInfo) bool { return i.State == rtc.CallEnded })
		if !strings.Contains(end.EndReason, "declined the call") || !strings.Contains(end.EndReason, d.EU.UserID[1:4]) {
			t.Fatalf("our call ended with %q, want Element's user declining", end.EndReason)
		}
		if _, active := tm.MG.Active(); active {
			t.Fatal("still in a call after the decline")
		}
		// We left: Element sees no member.
		if _, err := d.El.WaitRTCMembers(ctx, room, 0); err != nil {
			t.Fatal(err)
		}
	})
}
