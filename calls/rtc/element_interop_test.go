package rtc

import (
	"bytes"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/internal/elementpeer"
)

// TestElementCallInteropWithJSSDK runs termatrix's Manager against an
// Element-shaped peer (matrix-js-sdk's MatrixRTCSession, livekit-client,
// Rust crypto, in Chromium) in an encrypted DM on the stack's SFU: our
// ring reaches it, it joins, each side sees the other's membership, each
// gets the other's media key over Olm-encrypted to-device for the right
// identity (none in clear), and each side sees the other leave.
func TestElementCallInteropWithJSSDK(t *testing.T) {
	st := stack.Get(t)
	ctx := ctxT(t)
	d := newElementDM(t, st, "rtc", 0)
	tu, eu, c, el, roomID, room := d.TU, d.EU, d.C, d.El, d.Room, string(d.Room)

	dial := &recordingDialer{}
	mg := NewManager(c, dial, Options{Tick: 200 * time.Millisecond, Log: testLog(t)})
	defer mg.Close()
	ch, _ := mg.Subscribe()
	start := time.Now()
	if err := mg.Join(roomID, false, true); err != nil {
		t.Fatal(err)
	}
	info := waitCall(t, ch, mg, "connected", func(i CallInfo) bool { return i.State == CallConnected })
	t.Logf("figure: termatrix Join→connected %v", info.JoinedAt.Sub(start))

	ring, err := el.WaitRTCRing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ring.Sender != tu.UserID || ring.RoomID != room {
		t.Fatalf("Element was rung by %s in %s", ring.Sender, ring.RoomID)
	}
	elStart := time.Now()
	joined, err := el.RTCJoin(ctx, elementpeer.RTCJoinOptions{RoomID: room, Encrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("figure: Element RTCJoin %v", time.Since(elStart))
	ours := string(tu.UserID) + ":" + string(c.DeviceID())
	if joined.Identity != eu.UserID+":"+eu.DeviceID {
		t.Fatalf("Element's identity %q", joined.Identity)
	}

	// Element's key, Olm-encrypted by Rust crypto, reaches our media for
	// Element's identity.
	waitCall(t, ch, mg, "Element keyed at termatrix", func(i CallInfo) bool { return hasMember(i, id.UserID(eu.UserID), true) })
	t.Logf("figure: Element joined→its key held by termatrix %v", time.Since(elStart))
	pub := dial.publishing()
	if len(pub.remoteKeys(joined.Identity)) == 0 {
		t.Fatal("no key set on the media for Element's identity")
	}
	// Ours reaches Element, Olm-encrypted, and is the key our frames use.
	var es elementpeer.RTCState
	waitFor(t, "our key at Element", func() bool {
		es, err = el.RTCState(ctx, room)
		return err == nil && es.KeysReceived[ours] > 0
	})
	t.Logf("figure: Element joined→our key at Element %v", time.Since(elStart))
	if es.ToDeviceKeys.Plaintext != 0 || es.ToDeviceKeys.Encrypted == 0 {
		t.Fatalf("Element got keys: %d Olm-encrypted, %d in clear", es.ToDeviceKeys.Encrypted, es.ToDeviceKeys.Plaintext)
	}
	found := false
	for _, m := range es.Members {
		found = found || (m.UserID == tu.UserID && m.DeviceID == string(c.DeviceID()) && m.Identity == ours)
	}
	if !found {
		t.Fatalf("Element sees members %+v", es.Members)
	}
	waitCall(t, ch, mg, "Element in our LiveKit room", func(i CallInfo) bool {
		return len(i.Members) == 1 && i.Members[0].InMedia
	})

	// Element leaves: gone here, and our key rotates.
	idx, key := pub.currentLocal()
	if err := el.RTCLeave(ctx); err != nil {
		t.Fatal(err)
	}
	waitCall(t, ch, mg, "Element gone", func(i CallInfo) bool { return len(i.Members) == 0 })
	waitFor(t, "our key rotated", func() bool { i, k := pub.currentLocal(); return i != idx && !bytes.Equal(k, key) })
	if err := mg.Leave(roomID); err != nil {
		t.Fatal(err)
	}
	waitCall(t, ch, mg, "ended", func(i CallInfo) bool { return i.State == CallEnded })
}
