package voip_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/calls/voip"
	"github.com/termatrix/termatrix/internal/teststack"
)

// signalTURN sends sig to the stack's coturn, found by its pid file. The
// stack is the test's own (teststack.ForTest), so nothing else uses it.
func signalTURN(t *testing.T, st *teststack.Stack, sig syscall.Signal) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(st.Dir, "turnserver.pid"))
	if err != nil {
		t.Fatalf("coturn's pid file: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		t.Fatalf("coturn's pid file holds %q", data)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("signalling coturn (pid %d): %v", pid, err)
	}
}

// connectedCall places a relay-only call from caller to callee in a room
// of their own and waits until both are connected and hear each other.
func connectedCall(t *testing.T, caller, callee *peer) id.RoomID {
	t.Helper()
	r := room(t, caller, callee)
	ring(t, caller, callee, r, false)
	if err := callee.mgr.Answer(r); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*peer{caller, callee} {
		if c := p.wait(t, "connected", state(calls.CallConnected)); c.Path != "relay" {
			t.Fatalf("%s's path is %q, want relay", p.user.UserID, c.Path)
		}
	}
	if p := callee.waitHeard(t, 440, atLeast(0.5)); p < 0.5 {
		t.Fatalf("the callee does not hear the caller (power %.2f)", p)
	}
	return r
}

func reconnecting(c calls.CallInfo) bool {
	return c.State == calls.CallConnected && c.Problem == voip.ProblemReconnecting
}

// TestDeadPeerIsNoticedAndTheCallEnds: all media of a relay-only call
// goes through coturn; when coturn dies (SIGKILL) mid-call, both sides'
// call panels say "connection lost, reconnecting…" within 5 s, and
// when the media does not come back both calls end within about 20 s
// with a reason saying so.
func TestDeadPeerIsNoticedAndTheCallEnds(t *testing.T) {
	st := teststack.ForTest(t, teststack.Options{TURN: true})
	alice := newPeer(t, st, "alice", peerOpts{tone: "tone:440", quiet: true})
	bob := newPeer(t, st, "bob", peerOpts{tone: "tone:1000", quiet: true})
	connectedCall(t, alice, bob)

	cut := time.Now()
	signalTURN(t, st, syscall.SIGKILL)
	for _, p := range []*peer{alice, bob} {
		_, at := p.waitAt(t, "reconnecting", reconnecting)
		d := at.Sub(cut)
		// A figure, not a pass/fail bound: these machines are noisy.
		t.Logf("%s: %q %.1f s after the media was cut (target: within 5 s)", p.user.UserID, voip.ProblemReconnecting, d.Seconds())
	}
	for _, p := range []*peer{alice, bob} {
		end, at := p.waitAt(t, "ended", state(calls.CallEnded))
		d := at.Sub(cut)
		t.Logf("%s: ended %.1f s after the cut: %q", p.user.UserID, d.Seconds(), end.EndReason)
		if end.EndReason != voip.TextConnectionLost {
			t.Errorf("%s's end reason %q, want %q", p.user.UserID, end.EndReason, voip.TextConnectionLost)
		}
		// Ending early would be a bug; ending late on a loaded machine is
		// noise, reported above as a figure.
		if d < 15*time.Second {
			t.Errorf("%s's call ended %v after the cut, before the media had 20 s to come back", p.user.UserID, d)
		}
	}
}

// TestStalledMediaRecovers: when coturn stalls (SIGSTOP) for a few
// seconds and goes on (SIGCONT), the call says reconnecting, then is
// connected without a problem again and the sound is back: a short outage
// does not end the call.
func TestStalledMediaRecovers(t *testing.T) {
	st := teststack.ForTest(t, teststack.Options{TURN: true})
	alice := newPeer(t, st, "alice", peerOpts{tone: "tone:440", quiet: true})
	bob := newPeer(t, st, "bob", peerOpts{tone: "tone:1000", quiet: true})
	connectedCall(t, alice, bob)

	cut := time.Now()
	signalTURN(t, st, syscall.SIGSTOP)
	resumed := false
	defer func() {
		if !resumed {
			signalTURN(t, st, syscall.SIGCONT)
		}
	}()
	lostAt := map[*peer]int{}
	for _, p := range []*peer{alice, bob} {
		_, at, i := p.waitFrom(t, "reconnecting", 0, reconnecting)
		lostAt[p] = i
		t.Logf("%s: reconnecting %.1f s after the stall", p.user.UserID, at.Sub(cut).Seconds())
	}
	time.Sleep(time.Until(cut.Add(6 * time.Second)))
	signalTURN(t, st, syscall.SIGCONT)
	resumed = true
	back := time.Now()
	for _, p := range []*peer{alice, bob} {
		c, at, _ := p.waitFrom(t, "connected again", lostAt[p]+1, func(c calls.CallInfo) bool {
			return c.State == calls.CallEnded || c.State == calls.CallConnected && c.Problem == ""
		})
		if c.State != calls.CallConnected {
			t.Fatalf("%s's call ended: %q", p.user.UserID, c.EndReason)
		}
		t.Logf("%s: media back %.1f s after coturn went on", p.user.UserID, at.Sub(back).Seconds())
	}
	if p := bob.waitHeard(t, 440, atLeast(0.5)); p < 0.5 {
		t.Errorf("bob does not hear alice after the stall (power %.2f)", p)
	}
	if p := alice.waitHeard(t, 1000, atLeast(0.5)); p < 0.5 {
		t.Errorf("alice does not hear bob after the stall (power %.2f)", p)
	}
}
