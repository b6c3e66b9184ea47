package rtc

import (
	"encoding/json"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"
)

// A member that dies without leaving (Dendrite has no delayed events, so
// nothing leaves for it) is gone once its membership expires; while it
// lives, its refreshes keep it in.
func TestDeadMemberExpires(t *testing.T) {
	st := stack.Get(t)
	roomID, alice, _, ca, cb, stopA := dmPair(t, st, "dead")
	const expires = 3 * time.Second
	mA := NewManager(ca, &recordingDialer{}, Options{Expires: expires, Tick: 100 * time.Millisecond, Log: testLog(t)})
	dialB := &recordingDialer{}
	mB := NewManager(cb, dialB, Options{Tick: 100 * time.Millisecond, Log: testLog(t)})
	defer mB.Close()
	chB, _ := mB.Subscribe()
	if err := mA.Join(roomID, false, false); err != nil {
		t.Fatal(err)
	}
	if err := mB.Join(roomID, false, false); err != nil {
		t.Fatal(err)
	}
	waitCall(t, chB, mB, "A keyed at B", func(i CallInfo) bool { return hasMember(i, id.UserID(alice.UserID), true) })

	// A's refresh: expires grows by one interval, created_ts stays.
	aKey := MemberStateKey(id.UserID(alice.UserID), ca.DeviceID())
	waitFor(t, "A's second refresh at B", func() bool {
		ev := cb.StateEvent(roomID, MemberStateType, aKey)
		if ev == nil {
			return false
		}
		var c struct {
			Expires int64 `json:"expires"`
			Created int64 `json:"created_ts"`
		}
		_ = json.Unmarshal(ev.Content.VeryRaw, &c)
		return c.Expires >= 3*expires.Milliseconds() && c.Created > 0
	})
	if info, _ := mB.Active(); !hasMember(info, id.UserID(alice.UserID), false) {
		t.Fatal("A dropped out at B while refreshing")
	}
	idxB0 := dialB.publishing().localIndex()

	// A dies: no leave is sent.
	if err := mA.Close(); err != nil {
		t.Fatal(err)
	}
	stopA()
	died := time.Now()
	if _, active := mA.Active(); active {
		t.Fatal("A's manager still has a call after Close")
	}
	waitCall(t, chB, mB, "dead A gone at B", func(i CallInfo) bool { return len(i.Members) == 0 })
	t.Logf("figure: A died→gone at B %v (membership expiry %v after its last refresh)", time.Since(died), expires)
	waitFor(t, "B's key rotated after A went", func() bool { return dialB.publishing().localIndex() != idxB0 })
}
