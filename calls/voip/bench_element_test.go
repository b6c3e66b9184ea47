package voip_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/internal/elementpeer"
)

// BenchmarkCallSetupVsElement reports call set-up on the local stack,
// relay-only through coturn, for every pairing of termatrix and Element's
// call stack (matrix-js-sdk 43 in headless Chromium) in one run:
//
//	go test -run XXX -bench CallSetupVsElement -benchtime 5x ./calls/voip
//
// ms/setup is the median from the caller's invite send returning to the
// caller's ICE connected (as BenchmarkCallSetup); ms/place-to-connected is
// from the caller placing the call. The callee answers as soon as it rings.
func BenchmarkCallSetupVsElement(b *testing.B) {
	st := stack.Get(b)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	alice := newPeer(b, st, "vsalice", peerOpts{tone: "tone:440", quiet: true})
	bob := newPeer(b, st, "vsbob", peerOpts{tone: "tone:1000", quiet: true})
	tt := room(b, alice, bob)
	rig := newElementRig(b, "bench")
	el2, elRoom := secondElement(b, rig)

	report := func(b *testing.B, setup, place []time.Duration) {
		b.ReportMetric(msOf(elementpeer.Median(setup)), "ms/setup")
		b.ReportMetric(msOf(elementpeer.Median(place)), "ms/place-to-connected")
	}

	b.Run("termatrix-termatrix", func(b *testing.B) {
		var setup, place []time.Duration
		for range b.N {
			d, callID := connectOnce(b, alice, bob, tt)
			tm, _ := alice.mgr.Timings(callID)
			setup, place = append(setup, d), append(place, tm.Connected.Sub(tm.Placed))
			hangupAndWait(b, alice, bob, tt, callID)
		}
		report(b, setup, place)
	})

	b.Run("termatrix-jssdk", func(b *testing.B) {
		if err := rig.el.SetAutoAnswer(ctx, true); err != nil {
			b.Fatal(err)
		}
		defer rig.el.SetAutoAnswer(ctx, false)
		var setup, place []time.Duration
		for range b.N {
			from := rig.mark()
			if err := rig.us.mgr.PlaceCall(rig.room, id.UserID(rig.eu.UserID), false); err != nil {
				b.Fatal(err)
			}
			c := rig.waitAfter(b, from, "connected", func(c calls.CallInfo) bool { return c.State == calls.CallConnected })
			if _, err := rig.el.WaitIncoming(ctx); err != nil {
				b.Fatal(err)
			}
			if _, err := rig.el.WaitState(ctx, elementpeer.StateConnected); err != nil {
				b.Fatal(err)
			}
			tm, ok := rig.us.mgr.Timings(c.CallID)
			if !ok || tm.InviteSent.IsZero() {
				b.Fatal("no timings for our call")
			}
			setup = append(setup, tm.Connected.Sub(tm.InviteSent))
			place = append(place, tm.Connected.Sub(tm.Placed))
			if err := rig.us.mgr.Hangup(rig.room); err != nil {
				b.Fatal(err)
			}
			rig.waitAfter(b, from, "ended", func(x calls.CallInfo) bool { return x.CallID == c.CallID && x.State == calls.CallEnded })
			if _, err := rig.el.WaitHangup(ctx); err != nil {
				b.Fatal(err)
			}
		}
		report(b, setup, place)
	})

	b.Run("jssdk-termatrix", func(b *testing.B) {
		var setup, place []time.Duration
		for range b.N {
			from := rig.mark()
			placed, err := rig.el.PlaceCall(ctx, string(rig.room), false)
			if err != nil {
				b.Fatal(err)
			}
			rig.waitAfter(b, from, "ringing", func(c calls.CallInfo) bool {
				return c.CallID == placed.CallID && c.State == calls.CallRinging
			})
			if err := rig.us.mgr.Answer(rig.room); err != nil {
				b.Fatal(err)
			}
			conn, err := rig.el.WaitState(ctx, elementpeer.StateConnected)
			if err != nil {
				b.Fatal(err)
			}
			sent, ok := rig.el.StateTime(elementpeer.StateInviteSent)
			if !ok {
				b.Fatal("Element reported no invite_sent")
			}
			setup = append(setup, conn.Time().Sub(sent))
			place = append(place, conn.Time().Sub(time.UnixMilli(placed.PlacedAt)))
			if err := rig.el.Hangup(ctx); err != nil {
				b.Fatal(err)
			}
			rig.waitAfter(b, from, "ended", func(c calls.CallInfo) bool {
				return c.CallID == placed.CallID && c.State == calls.CallEnded
			})
		}
		report(b, setup, place)
	})

	b.Run("jssdk-jssdk", func(b *testing.B) {
		var setup, place []time.Duration
		for range b.N {
			t, err := elementpeer.MeasureSetup(ctx, el2, rig.el, elRoom)
			if err != nil {
				b.Fatal(err)
			}
			setup = append(setup, t.InviteToConnected)
			place = append(place, t.PlaceToConnected)
		}
		report(b, setup, place)
	})
}

// secondElement starts another Element peer in a room with the rig's
// Element user, for the matrix-js-sdk ↔ matrix-js-sdk baseline.
func secondElement(b *testing.B, rig *elementRig) (*elementpeer.Peer, string) {
	b.Helper()
	st := stack.Get(b)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	u := st.MustRegister(b, "elbench2")
	roomID, err := u.CreateRoom(ctx, map[string]any{"preset": "private_chat", "invite": []string{rig.eu.UserID}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := rig.eu.Join(ctx, roomID); err != nil {
		b.Fatal(err)
	}
	wav := filepath.Join(b.TempDir(), "tone.wav")
	if err := elementpeer.WriteToneWAV(wav, 660, 2*time.Second); err != nil {
		b.Fatal(err)
	}
	p, err := elementpeer.Start(ctx, elementpeer.Options{
		BaseURL: st.BaseURL, UserID: u.UserID, AccessToken: u.AccessToken, DeviceID: u.DeviceID,
		ForceTURN: true, FakeAudioFile: wav,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	return p, roomID
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkCallCPUVsElement measures the CPU this process (one termatrix
// end: client, signalling, G.711 and the tone source and WAV sink) spends
// per second of a relayed audio call with Element's call stack, whose end
// runs in Chromium outside this process. Each iteration holds a call 10 s.
func BenchmarkCallCPUVsElement(b *testing.B) {
	rig := newElementRig(b, "cpu")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if err := rig.el.SetAutoAnswer(ctx, true); err != nil {
		b.Fatal(err)
	}
	var cpu, wall time.Duration
	for range b.N {
		from := rig.mark()
		if err := rig.us.mgr.PlaceCall(rig.room, id.UserID(rig.eu.UserID), false); err != nil {
			b.Fatal(err)
		}
		c := rig.waitAfter(b, from, "connected", func(c calls.CallInfo) bool { return c.State == calls.CallConnected })
		time.Sleep(time.Second) // settle
		c0, w0 := cpuTime(), time.Now()
		time.Sleep(10 * time.Second)
		cpu += cpuTime() - c0
		wall += time.Since(w0)
		if err := rig.us.mgr.Hangup(rig.room); err != nil {
			b.Fatal(err)
		}
		rig.waitAfter(b, from, "ended", func(x calls.CallInfo) bool { return x.CallID == c.CallID && x.State == calls.CallEnded })
		if _, err := rig.el.WaitHangup(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(cpu.Seconds()/wall.Seconds()*100, "%core")
	b.ReportMetric(cpu.Seconds()/wall.Seconds()*1000, "cpu-ms/s")
}
