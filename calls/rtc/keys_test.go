package rtc

import (
	"bytes"
	"testing"
	"time"
)

func TestKeyRingRotationRules(t *testing.T) {
	t0 := time.Now()
	r, err := newKeyRing(t0, DefaultKeyGrace, DefaultKeyUseDelay, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.index != 0 || len(r.key) != 16 {
		t.Fatalf("first key %d %d bytes", r.index, len(r.key))
	}
	if _, _, ok := r.switchDue(t0.Add(time.Hour)); ok {
		t.Fatal("the first key is used at once, no switch pending")
	}
	first := bytes.Clone(r.key)
	if !r.needs("a") {
		t.Fatal("a new device needs the key")
	}
	r.markSent("a")
	// A join inside the grace period keeps the key: the joiner just gets it.
	if rotated, _ := r.joined(t0.Add(9 * time.Second)); rotated || r.index != 0 || r.needs("a") || !r.needs("b") {
		t.Fatal("joined inside the grace period rotated")
	}
	// A join after it makes a new key, for everyone, used 1 s later.
	if rotated, _ := r.joined(t0.Add(11 * time.Second)); !rotated || r.index != 1 || bytes.Equal(r.key, first) || !r.needs("a") {
		t.Fatalf("joined after the grace period: index %d", r.index)
	}
	if _, _, ok := r.switchDue(t0.Add(11*time.Second + 500*time.Millisecond)); ok {
		t.Fatal("switched before the use delay")
	}
	if idx, key, ok := r.switchDue(t0.Add(12 * time.Second)); !ok || idx != 1 || !bytes.Equal(key, r.key) {
		t.Fatal("did not switch after the use delay")
	}
	if _, _, ok := r.switchDue(t0.Add(13 * time.Second)); ok {
		t.Fatal("switched twice")
	}
	// A leave always rotates, even right after a key was made.
	_ = r.left(t0.Add(12 * time.Second))
	if r.index != 2 {
		t.Fatalf("leave: index %d", r.index)
	}
	// The index wraps at 256 as js-sdk's does.
	r.index = 255
	_ = r.left(t0.Add(13 * time.Second))
	if r.index != 0 {
		t.Fatalf("wrap: index %d", r.index)
	}
}

func TestRemoteKeysWaitForTheirMembership(t *testing.T) {
	now := time.Now()
	k := newRemoteKeys()
	k.queue(MediaKey{Sender: "@a:x", Device: "A1", Index: 3, Key: []byte("k1")}, now)
	k.queue(MediaKey{Sender: "@a:x", Device: "OTHER", Index: 4, Key: []byte("k2")}, now)
	k.queue(MediaKey{Sender: "@a:x", Device: "A1", Index: 5, Key: []byte("old")}, now.Add(-2*pendingKeyLife))
	got := k.takeFor(Membership{Sender: "@a:x", DeviceID: "A1"}, now)
	if len(got) != 1 || got[0].Index != 3 {
		t.Fatalf("took %+v", got)
	}
	// The other device's key stays (it is not this member's); the stale one went.
	if len(k.pending) != 1 || k.pending[0].Device != "OTHER" {
		t.Fatalf("pending %+v", k.pending)
	}
	for i := 0; i < 3*maxPendingKeys; i++ {
		k.queue(MediaKey{Sender: "@m:x", Device: "M"}, now)
	}
	if len(k.pending) != maxPendingKeys {
		t.Fatalf("queue grew to %d", len(k.pending))
	}
}
