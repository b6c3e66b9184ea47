package voip_test

import (
	"syscall"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls"
)

// connectOnce places a relay-only call from a to b, answers it, waits for
// both sides to connect and returns the caller's invite-sent → connected time.
func connectOnce(b *testing.B, a, c *peer, r id.RoomID) (time.Duration, string) {
	b.Helper()
	c.mu.Lock()
	from := len(c.snaps)
	c.mu.Unlock()
	if err := a.mgr.PlaceCall(r, id.UserID(c.user.UserID), false); err != nil {
		b.Fatal(err)
	}
	ring := waitFrom(b, c, from, func(ci calls.CallInfo) bool { return ci.State == calls.CallRinging })
	if err := c.mgr.Answer(r); err != nil {
		b.Fatal(err)
	}
	ac := waitB(b, a, func(ci calls.CallInfo) bool { return ci.CallID == ring.CallID && ci.State == calls.CallConnected })
	waitB(b, c, func(ci calls.CallInfo) bool { return ci.CallID == ring.CallID && ci.State == calls.CallConnected })
	tm, ok := a.mgr.Timings(ac.CallID)
	if !ok || tm.InviteSent.IsZero() {
		b.Fatal("no timings")
	}
	return tm.Connected.Sub(tm.InviteSent), ac.CallID
}

func hangupAndWait(b *testing.B, a, c *peer, r id.RoomID, callID string) {
	b.Helper()
	if err := a.mgr.Hangup(r); err != nil {
		b.Fatal(err)
	}
	waitB(b, a, func(ci calls.CallInfo) bool { return ci.CallID == callID && ci.State == calls.CallEnded })
	waitB(b, c, func(ci calls.CallInfo) bool { return ci.CallID == callID && ci.State == calls.CallEnded })
}

// waitB is peer.wait for benchmarks: it scans all snapshots seen so far.
func waitB(b *testing.B, p *peer, ok func(calls.CallInfo) bool) calls.CallInfo {
	return waitFrom(b, p, 0, ok)
}

// waitFrom polls for a snapshot at index from or later that satisfies ok.
func waitFrom(b *testing.B, p *peer, from int, ok func(calls.CallInfo) bool) calls.CallInfo {
	b.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		for i := len(p.snaps) - 1; i >= from; i-- {
			if ok(p.snaps[i]) {
				s := p.snaps[i]
				p.mu.Unlock()
				return s
			}
		}
		p.mu.Unlock()
		time.Sleep(2 * time.Millisecond)
	}
	b.Fatalf("%s: timed out", p.user.UserID)
	return calls.CallInfo{}
}

// BenchmarkCallSetup measures termatrix↔termatrix set-up on the local
// stack, relay-only through coturn: from the invite's send returning to ICE
// connected on the caller (ms/setup).
func BenchmarkCallSetup(b *testing.B) {
	st := stack.Get(b)
	alice := newPeer(b, st, "benchalice", peerOpts{tone: "tone:440", quiet: true})
	bob := newPeer(b, st, "benchbob", peerOpts{tone: "tone:1000", quiet: true})
	r := room(b, alice, bob)
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, callID := connectOnce(b, alice, bob, r)
		total += d
		b.StopTimer()
		hangupAndWait(b, alice, bob, r, callID)
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/setup")
}

// BenchmarkCallCPU measures the CPU time this process spends per second
// of a connected audio call (both ends run here: the figure per end is
// half). It holds the call 10 s per iteration.
func BenchmarkCallCPU(b *testing.B) {
	st := stack.Get(b)
	alice := newPeer(b, st, "cpualice", peerOpts{tone: "tone:440", quiet: true})
	bob := newPeer(b, st, "cpubob", peerOpts{tone: "tone:1000", quiet: true})
	r := room(b, alice, bob)
	var cpu, wall time.Duration
	for i := 0; i < b.N; i++ {
		_, callID := connectOnce(b, alice, bob, r)
		time.Sleep(time.Second) // settle
		c0, w0 := cpuTime(), time.Now()
		time.Sleep(10 * time.Second)
		cpu += cpuTime() - c0
		wall += time.Since(w0)
		hangupAndWait(b, alice, bob, r, callID)
	}
	perSecond := cpu.Seconds() / wall.Seconds()
	b.ReportMetric(perSecond*100/2, "%core/end")
	b.ReportMetric(perSecond*1000, "cpu-ms/s(both-ends)")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
