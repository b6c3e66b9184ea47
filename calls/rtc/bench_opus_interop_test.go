package rtc_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls/rtc"
	"github.com/termatrix/termatrix/internal/elementpeer"
	"github.com/termatrix/termatrix/internal/teststack"
)

// benchRounds is how many calls each pairing of the join-time benchmark
// makes; benchCPUSpan how long the three-party call is measured.
const (
	benchRounds  = 3
	benchCPUSpan = 10 * time.Second
)

// TestOpusBenchElementCall is the Element Call benchmark (README
// "Benchmarks"; run only with TERMATRIX_BENCH=1). In one encrypted group
// room with two termatrix clients (T1, T2) and two Element-shaped js-sdk
// peers (P1, P2), it measures the join time (the second joiner's Join, as
// a key press makes it, → its first decoded remote audio) for termatrix ↔
// termatrix, termatrix ↔ js-sdk (each side joining second) and js-sdk ↔
// js-sdk, and the CPU per second of a three-party call (T1, T2, P1).
// Figures are printed, never asserted.
func TestOpusBenchElementCall(t *testing.T) {
	if os.Getenv("TERMATRIX_BENCH") != "1" {
		t.Skip("the Element Call benchmark runs with TERMATRIX_BENCH=1")
	}
	needOpus(t)
	st := rtc.SharedStack(t)
	u1, u2 := st.MustRegister(t, "bench-t1"), st.MustRegister(t, "bench-t2")
	e1, e2 := st.MustRegister(t, "bench-p1"), st.MustRegister(t, "bench-p2")
	roomID := rtc.CallRoom(t, true, false, u1, u2, e1, e2)
	p1, p2 := rtc.ElementPeer(t, st, e1, toneE), rtc.ElementPeer(t, st, e2, toneB)
	c1, stop1 := rtc.CrossSigned(t, st, u1)
	c2, stop2 := rtc.CrossSigned(t, st, u2)
	rtc.WaitInRoom(t, roomID, true, p1, c1, c2)
	rtc.WaitInRoom(t, roomID, true, p2, c1, c2)
	for _, x := range [][2]*elementpeer.Peer{{p1, p2}, {p2, p1}} { // the peers trust each other too
		other := map[*elementpeer.Peer]teststack.User{p1: e1, p2: e2}[x[1]]
		if _, err := x[0].WaitDeviceSignedByOwner(ctxT(t), other.UserID, other.DeviceID); err != nil {
			t.Fatal(err)
		}
	}
	t1 := newMember(t, u1, c1, stop1, toneA, rtc.Options{})
	t2 := newMember(t, u2, c2, stop2, toneB, rtc.Options{})
	b := &bench{t: t, room: roomID, peers: []*elementpeer.Peer{p1, p2}}

	// js-sdk ↔ js-sdk calls in an encrypted DM of the two peers, as
	// TestElementPeersRTCCall does (in the group room the second peer
	// missed the first's rotated keys on rejoining).
	dm, err := p1.CreateEncryptedDM(ctxT(t), e2.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p2.JoinRoom(ctxT(t), dm); err != nil {
		t.Fatal(err)
	}
	rows := []struct {
		name  string
		room  id.RoomID
		first func()
		then  func() time.Duration
	}{
		{"js-sdk ↔ js-sdk", id.RoomID(dm), func() { b.peerJoin(p1) }, func() time.Duration { return b.peerJoinHears(p2, b.identity(p1)) }},
		{"termatrix ↔ termatrix", roomID, func() { t1.join(t, roomID, false) }, func() time.Duration { return b.tmJoin(t2) }},
		{"termatrix joins js-sdk", roomID, func() { b.peerJoin(p1) }, func() time.Duration { return b.tmJoin(t1) }},
		{"js-sdk joins termatrix", roomID, func() { t1.join(t, roomID, false) }, func() time.Duration { return b.peerJoinHears(p1, t1.Identity()) }},
	}
	var table strings.Builder
	fmt.Fprintf(&table, "Element Call join time (second joiner's Join → first decoded remote audio, encrypted room, %d rounds)\n", benchRounds)
	fmt.Fprintf(&table, "%-24s %10s %10s %10s %6s\n", "pairing", "median", "min", "max", "heard")
	for _, r := range rows {
		var ds []time.Duration
		b.room = r.room
		for range benchRounds {
			r.first()
			if d := r.then(); d >= 0 {
				ds = append(ds, d)
			}
			b.leaveAll(t1, t2)
		}
		if len(ds) == 0 {
			fmt.Fprintf(&table, "%-24s %10s %10s %10s %3d/%d\n", r.name, "-", "-", "-", 0, benchRounds)
			continue
		}
		lo, hi := ds[0], ds[0]
		for _, d := range ds {
			lo, hi = min(lo, d), max(hi, d)
		}
		fmt.Fprintf(&table, "%-24s %10s %10s %10s %3d/%d\n", r.name, ms(elementpeer.Median(ds)), ms(lo), ms(hi), len(ds), benchRounds)
	}

	// The CPU of a three-party call: T1, T2 and P1 hearing each other.
	b.room = roomID
	t1.join(t, roomID, false)
	t2.join(t, roomID, false)
	b.peerJoin(p1)
	t1.hears(t, toneB, toneE)
	t2.hears(t, toneA, toneE)
	self0, err := elementpeer.SelfCPUTime()
	if err != nil {
		t.Fatal(err)
	}
	peer0, err := p1.CPUTime()
	if err != nil {
		t.Fatal(err)
	}
	wall0 := time.Now()
	time.Sleep(benchCPUSpan)
	self1, _ := elementpeer.SelfCPUTime()
	peer1, _ := p1.CPUTime()
	wall := time.Since(wall0).Seconds()
	perSec := func(d time.Duration) string { return fmt.Sprintf("%.0f ms/s", float64(d.Milliseconds())/wall) }
	fmt.Fprintf(&table, "\nCPU per second of a three-party encrypted call (%v)\n", benchCPUSpan)
	fmt.Fprintf(&table, "%-44s %s\n", "termatrix, per client (test process / 2)", perSec((self1-self0)/2))
	fmt.Fprintf(&table, "%-44s %s\n", "js-sdk peer (node driver + Chromium)", perSec(peer1-peer0))
	b.leaveAll(t1, t2)
	t.Log("\n" + table.String())
}

// bench holds what the benchmark's rounds share.
type bench struct {
	t     *testing.T
	room  id.RoomID
	peers []*elementpeer.Peer
	// joined is each peer's current call.
	joined map[*elementpeer.Peer]elementpeer.RTCJoined
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

// tmJoin joins m to the call and returns the time until its speaker first
// played sound (-1 if none within benchHearWait).
func (b *bench) tmJoin(m *member) time.Duration {
	m.Rec.Reset()
	start := time.Now()
	m.join(b.t, b.room, false)
	for deadline := time.Now().Add(benchHearWait); m.Rec.FirstSound().IsZero(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.t.Logf("%s heard nobody within %v", m.U.UserID, benchHearWait)
			return -1
		}
	}
	return m.Rec.FirstSound().Sub(start)
}

// peerJoin joins p to the encrypted call.
func (b *bench) peerJoin(p *elementpeer.Peer) elementpeer.RTCJoined {
	j, err := p.RTCJoin(ctxT(b.t), elementpeer.RTCJoinOptions{RoomID: string(b.room), Encrypted: true})
	if err != nil {
		b.t.Fatal(err)
	}
	if b.joined == nil {
		b.joined = map[*elementpeer.Peer]elementpeer.RTCJoined{}
	}
	b.joined[p] = j
	return j
}

// benchHearWait bounds the wait for a peer's first decoded audio: a
// round in which none comes is counted as not heard, not timed.
const benchHearWait = 20 * time.Second

// peerJoinHears joins p and returns the time from its join to its first
// decoded audio from identity (-1 if none came within benchHearWait).
func (b *bench) peerJoinHears(p *elementpeer.Peer, identity string) time.Duration {
	j := b.peerJoin(p)
	ctx, cancel := context.WithTimeout(ctxT(b.t), benchHearWait)
	defer cancel()
	e, err := p.WaitRTCAudio(ctx, j, identity)
	if err != nil {
		b.t.Logf("%s did not hear %s: %v", j.Identity, identity, err)
		return -1
	}
	return time.Duration(e.SinceJoinMs) * time.Millisecond
}

// identity is the LiveKit identity of p's current call.
func (b *bench) identity(p *elementpeer.Peer) string { return b.joined[p].Identity }

// leaveAll ends every call of the round and waits until the room's
// session is empty, so the next round starts afresh.
func (b *bench) leaveAll(ms ...*member) {
	for _, m := range ms {
		if _, active := m.MG.Active(); active {
			m.leave(b.t, b.room)
		}
	}
	for p := range b.joined {
		if err := p.RTCLeave(ctxT(b.t)); err != nil {
			b.t.Fatal(err)
		}
	}
	b.joined = nil
	for _, p := range b.peers {
		if _, err := p.WaitRTCMembers(ctxT(b.t), string(b.room), 0); err != nil {
			b.t.Fatal(err)
		}
	}
}
