package rtc_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls/audio"
	"github.com/termatrix/termatrix/calls/rtc"
	"github.com/termatrix/termatrix/calls/rtc/lkmedia"
	"github.com/termatrix/termatrix/internal/audiotest"
	"github.com/termatrix/termatrix/internal/elementpeer"
	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/matrix"
)

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// member is a termatrix client taking part in Element Calls with the real
// LiveKit media (lkmedia): its microphone plays a tone of Tone Hz, its
// speaker is Rec.
type member struct {
	U    teststack.User
	C    *matrix.Client
	Stop func()
	MG   *rtc.Manager
	Ch   <-chan rtc.CallChanged
	Rec  *audiotest.Recorder
	Tone float64
}

// memberTone is the amplitude of a member's tone: low enough that two
// mixed with Element's (half of full scale) do not clip.
const memberTone = 0.4

// newMember gives the client c of u (stop ends it) a Manager whose
// microphone plays tone; opts may set timings (Expires, Tick).
func newMember(t testing.TB, u teststack.User, c *matrix.Client, stop func(), tone float64, opts rtc.Options) *member {
	t.Helper()
	m := &member{U: u, C: c, Stop: stop, Rec: &audiotest.Recorder{}, Tone: tone}
	opts.Source = audio.NewTone(tone, memberTone)
	opts.Log = rtc.TestLog(t)
	if opts.Tick == 0 {
		opts.Tick = 200 * time.Millisecond
	}
	m.MG = rtc.NewManager(c, lkmedia.NewDialer(m.Rec), opts)
	t.Cleanup(func() { _ = m.MG.Close() })
	m.Ch, _ = m.MG.Subscribe()
	return m
}

// Identity is the member's LiveKit identity.
func (m *member) Identity() string { return m.U.UserID + ":" + string(m.C.DeviceID()) }

// join joins (or starts, ringing if asked) the room's call and waits
// until connected.
func (m *member) join(t testing.TB, roomID id.RoomID, ring bool) rtc.CallInfo {
	t.Helper()
	if err := m.MG.Join(roomID, false, ring); err != nil {
		t.Fatal(err)
	}
	return rtc.WaitCall(t, m.Ch, m.MG, m.U.UserID+" connected", func(i rtc.CallInfo) bool { return i.State == rtc.CallConnected })
}

// leave leaves the room's call and waits until it ended.
func (m *member) leave(t testing.TB, roomID id.RoomID) {
	t.Helper()
	if err := m.MG.Leave(roomID); err != nil {
		t.Fatal(err)
	}
	rtc.WaitCall(t, m.Ch, m.MG, m.U.UserID+" ended", func(i rtc.CallInfo) bool { return i.State == rtc.CallEnded })
}

// mixShare is the least share of each tone in a mix of two.
const mixShare = 0.15

// hears waits until the member's speaker plays every tone: alone
// (share over half) or, of several mixed, each with at least mixShare.
func (m *member) hears(t testing.TB, tones ...float64) {
	t.Helper()
	least := 0.5
	if len(tones) > 1 {
		least = mixShare
	}
	deadline := time.Now().Add(45 * time.Second)
	for {
		heard := true
		shares := make([]string, len(tones))
		for i, hz := range tones {
			sh := m.Rec.Share(hz)
			heard = heard && sh >= least
			shares[i] = fmt.Sprintf("%.0f Hz: %.2f", hz, sh)
		}
		if heard {
			return
		}
		if time.Now().After(deadline) {
			info, _ := m.MG.Active()
			t.Fatalf("%s does not hear every other's tone (shares %v, least %.2f); its call: %+v", m.U.UserID, shares, least, info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// peerHears waits until the Element peer hears identity's tone of hz as
// the strongest frequency of that participant's audio (the peer may
// still be subscribing, or switching to a new key, when asked first).
func peerHears(t testing.TB, el *elementpeer.Peer, identity string, hz float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		pk, err := el.RTCPeakFrequency(ctxT(t), identity, 800*time.Millisecond)
		if err == nil && math.Abs(pk.Hz-hz) <= 15 && pk.Share >= 0.5 {
			return
		}
		if time.Now().After(deadline) {
			if err != nil {
				t.Fatal(err)
			}
			t.Fatalf("Element hears %s at %.0f Hz (share %.2f), want %.0f Hz", identity, pk.Hz, pk.Share, hz)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// needOpus skips the audio checks of a build without libopus.
func needOpus(t testing.TB) {
	t.Helper()
	if !audio.OpusAvailable {
		t.Skip("no Opus in this build (tags opus,nolibopusfile): audio not checked")
	}
}
