package rtc_test

import (
	"github.com/termatrix/termatrix/internal/audiotest"
	"math"
	"testing"
	"time"

	"github.com/termatrix/termatrix/calls/audio"
	"github.com/termatrix/termatrix/calls/rtc"
	"github.com/termatrix/termatrix/calls/rtc/lkmedia"
	"github.com/termatrix/termatrix/internal/elementpeer"
)

// TestElementCallInteropOpus: termatrix (Manager + lkmedia) and an
// Element-shaped js-sdk peer (livekit-client, Rust crypto) in an
// encrypted DM on the stack's SFU hear each other's tone through
// end-to-end encrypted frames; the peer decrypts every frame of ours.
// Without libopus it checks the media connect and keys only.
func TestElementCallInteropOpus(t *testing.T) {
	const ourTone, elTone = 440.0, 660.0
	st := rtc.SharedStack(t)
	ctx := ctxT(t)
	d := rtc.NewElementDM(t, st, "opus", elTone)
	tu, eu, c, el, roomID, room := d.TU, d.EU, d.C, d.El, d.Room, string(d.Room)
	rec := &audiotest.Recorder{}
	mg := rtc.NewManager(c, lkmedia.NewDialer(rec), rtc.Options{Source: audio.NewTone(ourTone, 0.5), Log: rtc.TestLog(t)})
	defer mg.Close()
	ch, _ := mg.Subscribe()
	// Element starts the call, ringing; we answer by joining.
	if _, err := el.RTCJoin(ctx, elementpeer.RTCJoinOptions{RoomID: room, Ring: true, Encrypted: true}); err != nil {
		t.Fatal(err)
	}
	rtc.WaitFor(t, "Element's membership at termatrix", func() bool {
		for _, ev := range c.StateEvents(roomID, rtc.MemberStateType) {
			if m, err := rtc.ParseMember(roomID, ev); err == nil && string(m.Sender) == eu.UserID {
				return true
			}
		}
		return false
	})
	start := time.Now()
	if err := mg.Join(roomID, false, true); err != nil {
		t.Fatal(err)
	}
	info := rtc.WaitCall(t, ch, mg, "connected", func(i rtc.CallInfo) bool { return i.State == rtc.CallConnected })
	t.Logf("figure: termatrix Join→connected %v (audio: %s)", info.JoinedAt.Sub(start), info.Audio)
	rtc.WaitCall(t, ch, mg, "Element in our room with its key", func(i rtc.CallInfo) bool {
		return len(i.Members) == 1 && i.Members[0].InMedia && i.Members[0].HasKey
	})
	t.Logf("figure: termatrix Join→Element in media with its key %v", time.Since(start))
	ours := string(tu.UserID) + ":" + string(c.DeviceID())
	if !audio.OpusAvailable {
		t.Log("no Opus in this build (tag opus): audio not checked")
		return
	}
	rtc.WaitFor(t, "termatrix hearing Element's tone", func() bool { return rec.Share(elTone) > 0.5 })
	t.Logf("figure: termatrix Join→hears Element (decrypted) %v", time.Since(start))
	pk, err := el.RTCPeakFrequency(ctx, ours, 800*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(pk.Hz-ourTone) > 15 || pk.Share < 0.5 {
		t.Fatalf("Element hears us at %.0f Hz (share %.2f)", pk.Hz, pk.Share)
	}
	s, err := el.RTCState(ctx, room)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := s.Participant(ours); !ok || !p.Encrypted || p.DecodedEnergy <= 0 {
		t.Fatalf("Element's view of us: %+v", p)
	}
	if err := el.DecryptionSteady(ctx, room, ours, time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("figure: termatrix Join→both hear each other %v", time.Since(start))
	if err := mg.Leave(roomID); err != nil {
		t.Fatal(err)
	}
	rtc.WaitCall(t, ch, mg, "ended", func(i rtc.CallInfo) bool { return i.State == rtc.CallEnded })
}
