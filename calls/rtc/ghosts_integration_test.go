package rtc

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"
)

// On a homeserver without delayed events (Dendrite) our membership is
// short-lived and refreshed, and a run that died in a call leaves that
// call at the next start, so a crash never leaves a ghost for hours.
func TestCrashedCallIsLeftAtNextStart(t *testing.T) {
	st := stack.Get(t)
	roomID, alice, _, ca, cb, _ := dmPair(t, st, "ghost")
	mA := NewManager(ca, &recordingDialer{}, Options{Tick: 100 * time.Millisecond, Log: testLog(t)})
	if err := mA.Join(roomID, false, false); err != nil {
		t.Fatal(err)
	}
	aKey := MemberStateKey(id.UserID(alice.UserID), ca.DeviceID())
	var expires int64
	waitFor(t, "A's membership at B", func() bool {
		ev := cb.StateEvent(roomID, MemberStateType, aKey)
		if ev == nil {
			return false
		}
		var c struct {
			Expires int64 `json:"expires"`
		}
		_ = json.Unmarshal(ev.Content.VeryRaw, &c)
		expires = c.Expires
		return c.Expires > 0
	})
	if expires != DefaultNoDelayExpires.Milliseconds() {
		t.Fatalf("membership expires %d ms on a server without delayed events, want %d", expires, DefaultNoDelayExpires.Milliseconds())
	}

	// A crashes in the call: no leave is sent.
	if err := mA.Close(); err != nil {
		t.Fatal(err)
	}
	if ev := cb.StateEvent(roomID, MemberStateType, aKey); ev == nil || len(ev.Content.VeryRaw) < 3 {
		t.Fatal("A's membership went without a leave")
	}

	// The next start on that device leaves the call it was left in.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mA2 := NewManager(ca, &recordingDialer{}, Options{Tick: 100 * time.Millisecond, Log: testLog(t)})
	started := time.Now()
	done := make(chan struct{})
	go func() { defer close(done); _ = mA2.Run(ctx) }()
	waitFor(t, "A's ghost membership left at B", func() bool {
		ev := cb.StateEvent(roomID, MemberStateType, aKey)
		if ev == nil {
			return false
		}
		_, err := ParseMember(roomID, ev)
		return err == ErrLeft
	})
	t.Logf("figure: restart → ghost membership gone at the other side %v", time.Since(started).Round(time.Millisecond))
	cancel()
	<-done
}
