package rtc_test

import (
	"context"
	"github.com/termatrix/termatrix/internal/audiotest"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls/audio"
	"github.com/termatrix/termatrix/calls/rtc"
	"github.com/termatrix/termatrix/calls/rtc/lkmedia"
)

// TestCallWithLiveKitMediaOpus ("Opus": the full suite runs it with libopus too) is two termatrix clients in an encrypted DM
// with the real LiveKit media (lkmedia) on the stack's SFU: each is in
// the other's LiveKit room with the other's key and, in a build with
// Opus, hears the other's tone through end-to-end encrypted frames.
func TestCallWithLiveKitMediaOpus(t *testing.T) {
	st := rtc.SharedStack(t)
	alice, bob := st.MustRegister(t, "lk-alice"), st.MustRegister(t, "lk-bob")
	roomID := rtc.EncryptedDM(t, alice, bob)
	ca, _ := rtc.LiveClient(t, st, alice)
	cb, _ := rtc.LiveClient(t, st, bob)
	rtc.WaitFor(t, "both in the encrypted room", func() bool {
		ra, okA := ca.Room(roomID)
		rb, okB := cb.Room(roomID)
		return okA && okB && ra.Encrypted && rb.Encrypted && ra.JoinedMembers == 2 && rb.JoinedMembers == 2
	})
	recA, recB := &audiotest.Recorder{}, &audiotest.Recorder{}
	// A opens its media per call, as the app does.
	opened := 0
	mA := rtc.NewManager(ca, nil, rtc.Options{Tick: 200 * time.Millisecond, Log: rtc.TestLog(t),
		OpenMedia: func() (rtc.MediaDialer, audio.Source, error) {
			opened++
			return lkmedia.NewDialer(recA), audio.NewTone(440, 0.5), nil
		}})
	mB := rtc.NewManager(cb, lkmedia.NewDialer(recB), rtc.Options{Source: audio.NewTone(660, 0.5), Tick: 200 * time.Millisecond, Log: rtc.TestLog(t)})
	chA, _ := mA.Subscribe()
	chB, _ := mB.Subscribe()
	start := time.Now()
	if err := mA.Join(roomID, false, true); err != nil {
		t.Fatal(err)
	}
	info := rtc.WaitCall(t, chA, mA, "A connected", func(i rtc.CallInfo) bool { return i.State == rtc.CallConnected })
	t.Logf("figure: A Join→connected (real SFU and media) %v; audio: %s", info.JoinedAt.Sub(start), info.Audio)
	startB := time.Now()
	if err := mB.Join(roomID, false, true); err != nil {
		t.Fatal(err)
	}
	info = rtc.WaitCall(t, chB, mB, "B connected", func(i rtc.CallInfo) bool { return i.State == rtc.CallConnected })
	t.Logf("figure: B Join→connected %v", info.JoinedAt.Sub(startB))
	inMedia := func(user id.UserID) func(rtc.CallInfo) bool {
		return func(i rtc.CallInfo) bool {
			return len(i.Members) == 1 && i.Members[0].UserID == user && i.Members[0].InMedia && i.Members[0].HasKey
		}
	}
	rtc.WaitCall(t, chB, mB, "A in B's LiveKit room with its key", inMedia(ca.UserID()))
	rtc.WaitCall(t, chA, mA, "B in A's LiveKit room with its key", inMedia(cb.UserID()))
	t.Logf("figure: B Join→each in the other's room with keys %v", time.Since(startB))
	if audio.OpusAvailable {
		rtc.WaitFor(t, "B hearing A's 440 Hz", func() bool { return recB.Share(440) > 0.5 })
		rtc.WaitFor(t, "A hearing B's 660 Hz", func() bool { return recA.Share(660) > 0.5 })
		t.Logf("figure: B Join→both hear each other (decrypted) %v", time.Since(startB))
	} else {
		t.Logf("no Opus in this build (tag opus): media connected and keyed, audio not checked")
	}
	// The account closing (Run's context ends) leaves A's call.
	runCtx, stopRun := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- mA.Run(runCtx) }()
	stopRun()
	if err := <-runDone; err != nil {
		t.Fatal(err)
	}
	rtc.WaitCall(t, chB, mB, "A gone at B", func(i rtc.CallInfo) bool { return len(i.Members) == 0 })
	if ev := cb.StateEvent(roomID, rtc.MemberStateType, rtc.MemberStateKey(ca.UserID(), ca.DeviceID())); ev == nil {
		t.Fatal("A's membership is gone from B's state")
	} else if _, err := rtc.ParseMember(roomID, ev); err != rtc.ErrLeft {
		t.Fatalf("A's membership after closing: %v", err)
	}
	if opened != 1 {
		t.Fatalf("A opened its media %d times", opened)
	}
	if err := mB.Leave(roomID); err != nil {
		t.Fatal(err)
	}
	rtc.WaitCall(t, chB, mB, "B ended", func(i rtc.CallInfo) bool { return i.State == rtc.CallEnded })
	_ = mA.Close()
	_ = mB.Close()
	rtc.NoSessionGorout(t)
}
