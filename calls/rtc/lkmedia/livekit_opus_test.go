//go:build opus

package lkmedia

import (
	"bytes"
	"github.com/termatrix/termatrix/internal/audiotest"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/termatrix/termatrix/calls/audio"
	"github.com/termatrix/termatrix/calls/rtc"
)

// TestOpusLiveKitTone: A publishes a 440 Hz tone on a real livekit-server,
// B hears it through its mixed sink: end-to-end encrypted with the same
// key on both sides, in clear, and not at all with a wrong key (B counts
// the frames it could not decrypt). Every goroutine ends on Close.
func TestOpusLiveKitTone(t *testing.T) {
	sfu := startSFU(t)
	key := []byte("0123456789abcdef")
	wrong := []byte("fedcba9876543210")
	for _, c := range []struct {
		name      string
		encrypted bool
		bKey      []byte
		hears     bool
	}{
		{"encrypted", true, key, true},
		{"clear", false, nil, true},
		{"wrong key", true, wrong, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			room := "tone-" + strings.ReplaceAll(c.name, " ", "-")
			aID, bID := "@alice:test:ADEVICE", "@bob:test:BDEVICE"
			var changes atomic.Int32
			da := NewDialer(audio.Discard{})
			rec := &audiotest.Recorder{}
			db := NewDialer(rec)
			start := time.Now()
			b := dialT(t, db, rtc.MediaConfig{URL: sfu.URL, Token: sfu.token(t, room, bID), Encrypted: c.encrypted,
				OnChange: func() { changes.Add(1) }})
			if c.encrypted {
				b.SetRemoteKey(aID, 5, c.bKey)
			}
			a := dialT(t, da, rtc.MediaConfig{URL: sfu.URL, Token: sfu.token(t, room, aID), Encrypted: c.encrypted,
				Publish: true, Source: audio.NewTone(440, 0.5)})
			if c.encrypted {
				a.SetLocalKey(5, key)
			}
			if a.AudioProblem() != "" || b.Host() != "127.0.0.1" {
				t.Fatalf("problem %q host %q", a.AudioProblem(), b.Host())
			}
			if c.hears {
				if !waitFor(20*time.Second, func() bool { return rec.Share(440) > 0.5 }) {
					t.Fatalf("B did not hear A's 440 Hz (share %.2f, %d frames played)", rec.Share(440), rec.Frames())
				}
				p, _ := participant(b, aID)
				t.Logf("join time (B's Dial → first decoded frame) %v; heard in %v; 440 Hz share %.2f; A as B sees it: %+v",
					b.(*conn).joinTime().Round(time.Millisecond), time.Since(start).Round(time.Millisecond), rec.Share(440), p)
				if !p.Audio || p.Muted || !p.Speaking || p.Level < 0.1 || p.Encrypted != c.encrypted || p.Undecryptable != 0 {
					t.Errorf("A as B sees it: %+v", p)
				}
				cpu0, wall0 := cpuTime(), time.Now()
				time.Sleep(3 * time.Second)
				t.Logf("CPU of this test process (A encoding and sending, B receiving, decoding, mixing) over 3 s: %.1f%% of one core",
					100*float64(cpuTime()-cpu0)/float64(time.Since(wall0)))
				a.SetMuted(true)
				if !waitFor(10*time.Second, func() bool { p, _ := participant(b, aID); return p.Muted && !p.Speaking }) {
					t.Errorf("A muted, B sees %+v", p)
				}
			} else {
				if !waitFor(20*time.Second, func() bool { p, _ := participant(b, aID); return p.Undecryptable > 10 }) {
					p, _ := participant(b, aID)
					t.Fatalf("no undecryptable frames counted: %+v", p)
				}
				p, _ := participant(b, aID)
				if s := rec.Share(440); s > 0.05 || p.Audio && p.Level > 0 || p.Encrypted {
					t.Errorf("wrong key: B hears 440 Hz at %.2f; A as B sees it %+v", s, p)
				}
				t.Logf("wrong key: %d frames undecryptable, 440 Hz share %.2f", p.Undecryptable, rec.Share(440))
			}
			if changes.Load() == 0 {
				t.Error("OnChange never called")
			}
			t.Logf("OnChange called %d times in %v", changes.Load(), time.Since(start).Round(time.Millisecond))
			for _, m := range []rtc.Media{a, b} {
				if err := m.Close(); err != nil {
					t.Error(err)
				}
			}
			for _, d := range []rtc.MediaDialer{da, db} {
				if err := d.Close(); err != nil {
					t.Error(err)
				}
			}
			if n := settledGoroutines(before); n > before {
				var buf bytes.Buffer
				_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
				t.Errorf("%d goroutines before, %d after Close:\n%s", before, n, buf.String())
			}
		})
	}
}
