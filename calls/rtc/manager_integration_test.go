package rtc

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/internal/sfujwt"
	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/matrix"
)

// encryptedDM makes an encrypted DM of a and b in which every member may
// send call memberships (as Element's createRoom sets it up).
func encryptedDM(t *testing.T, a, b teststack.User) id.RoomID {
	t.Helper()
	return callRoom(t, true, true, a, b)
}

// waitUpdate waits on a client subscription for an update ok accepts.
func waitUpdate(t *testing.T, ch <-chan matrix.Update, what string, ok func(matrix.Update) bool) matrix.Update {
	t.Helper()
	deadline := time.After(45 * time.Second)
	for {
		select {
		case u := <-ch:
			if ok(u) {
				return u
			}
		case <-deadline:
			t.Fatalf("waiting for %s", what)
		}
	}
}

func TestElementCallBetweenTwoTermatrixClients(t *testing.T) {
	st := stack.Get(t)
	ctx := ctxT(t)
	alice, bob := st.MustRegister(t, "alice"), st.MustRegister(t, "bob")
	roomID := encryptedDM(t, alice, bob)
	ca, stopA := liveClient(t, st, alice)
	cb, _ := liveClient(t, st, bob)
	waitFor(t, "both clients in the encrypted room", func() bool {
		ra, okA := ca.Room(roomID)
		rb, okB := cb.Room(roomID)
		return okA && okB && ra.Encrypted && rb.Encrypted && ra.Membership == event.MembershipJoin && rb.Membership == event.MembershipJoin
	})
	bUps, stopBUps := cb.Subscribe()
	defer stopBUps()

	dialA, dialB := &recordingDialer{}, &recordingDialer{}
	fast := Options{Tick: 200 * time.Millisecond, Log: testLog(t)}
	mA := NewManager(ca, dialA, fast)
	mB := NewManager(cb, dialB, fast)
	defer mB.Close()
	if ok, why := mA.Available(ctx, roomID); !ok {
		t.Fatalf("not available: %s", why)
	}
	chA, _ := mA.Subscribe()
	chB, _ := mB.Subscribe()

	// A starts the call, ringing.
	start := time.Now()
	if err := mA.Join(roomID, false, true); err != nil {
		t.Fatal(err)
	}
	info := waitCall(t, chA, mA, "A connected", func(i CallInfo) bool { return i.State == CallConnected })
	t.Logf("figure: A Join→connected %v (transport, delayed leave, membership, ring, OpenID, JWT, dial)", info.JoinedAt.Sub(start))
	if !info.Encrypted {
		t.Fatal("the call in an encrypted room is not encrypted")
	}
	// We sent the Matrix room ID: the service hashed it into the LiveKit
	// room (an alias sent instead would be hashed twice).
	dialA.mu.Lock()
	d := dialA.dials[0]
	dialA.mu.Unlock()
	if room, _ := jwtRoom(d.Token); room != sfujwt.RoomAlias(string(roomID), "m.call#ROOM") || room != RoomAlias(roomID) {
		t.Fatalf("the token grants LiveKit room %q", room)
	}
	if !d.Publish || !d.Encrypted || d.URL != st.LiveKitURL {
		t.Fatalf("A dialled %s publish=%v encrypted=%v", d.URL, d.Publish, d.Encrypted)
	}

	// B sees A's membership and the ring.
	aIdentity := string(alice.UserID) + ":" + string(ca.DeviceID())
	waitUpdate(t, bUps, "A's ring at B", func(u matrix.Update) bool {
		ta, ok := u.(matrix.TimelineAppended)
		if !ok || ta.RoomID != roomID {
			return false
		}
		for _, ev := range ta.Events {
			if ev.Type.Type == NotificationType.Type {
				n, err := ParseNotification(ev, id.UserID(bob.UserID))
				return err == nil && n.Ring && n.ForUs && n.Sender == id.UserID(alice.UserID) && n.Membership != ""
			}
		}
		return false
	})
	waitFor(t, "A's membership at B", func() bool {
		ev := cb.StateEvent(roomID, MemberStateType, MemberStateKey(id.UserID(alice.UserID), ca.DeviceID()))
		m, err := ParseMember(roomID, ev)
		return err == nil && m.Identity == aIdentity
	})

	// B joins: both see each other, keys go both ways Olm-encrypted.
	startB := time.Now()
	if err := mB.Join(roomID, false, true); err != nil {
		t.Fatal(err)
	}
	info = waitCall(t, chB, mB, "B connected", func(i CallInfo) bool { return i.State == CallConnected })
	t.Logf("figure: B Join→connected %v", info.JoinedAt.Sub(startB))
	keyAtB := waitUpdate(t, bUps, "A's key at B", func(u matrix.Update) bool {
		k, ok := u.(matrix.ToDeviceReceived)
		return ok && k.Type == KeysType.Type && k.Sender == id.UserID(alice.UserID)
	}).(matrix.ToDeviceReceived)
	if !keyAtB.Encrypted || keyAtB.SenderDevice != ca.DeviceID() {
		t.Fatalf("A's key reached B as %+v", keyAtB)
	}
	waitCall(t, chA, mA, "B keyed at A", func(i CallInfo) bool { return hasMember(i, id.UserID(bob.UserID), true) })
	infoB := waitCall(t, chB, mB, "A keyed at B", func(i CallInfo) bool { return hasMember(i, id.UserID(alice.UserID), true) })
	t.Logf("figure: B Join→both keys held %v", time.Since(startB))
	waitCall(t, chA, mA, "B in A's LiveKit room", func(i CallInfo) bool {
		return len(i.Members) == 1 && i.Members[0].InMedia && i.Members[0].DeviceID == cb.DeviceID()
	})
	t.Logf("figure: B Join→B's participant seen by A on the SFU %v", time.Since(startB))
	if len(infoB.Members) != 1 {
		t.Fatalf("B sees %+v", infoB.Members)
	}
	bIdentity := string(bob.UserID) + ":" + string(cb.DeviceID())
	pubA, pubB := dialA.publishing(), dialB.publishing()
	idxA, keyA := pubA.currentLocal()
	idxB, keyB := pubB.currentLocal()
	waitFor(t, "each side holding the other's current key", func() bool {
		return bytes.Equal(pubB.remoteKey(aIdentity, idxA), keyA) && bytes.Equal(pubA.remoteKey(bIdentity, idxB), keyB)
	})
	if len(dialA.dials) != 1 || len(dialB.dials) != 1 {
		t.Fatalf("one SFU, yet %d and %d connections", len(dialA.dials), len(dialB.dials))
	}

	// A key from alice's other device (not in the call), claiming to be
	// her call device, is not taken for her: the Olm device decides.
	ca2, _ := liveClient(t, st, alice)
	forged := []byte("forged-key-16byt")
	waitFor(t, "the forged key sent", func() bool {
		err := ca2.SendToDeviceEncrypted(ctx, KeysType, map[id.UserID][]id.DeviceID{id.UserID(bob.UserID): {cb.DeviceID()}},
			KeysContent(roomID, id.UserID(alice.UserID), ca.DeviceID(), 9, forged, time.Now()))
		return err == nil
	})
	// And one in clear from alice's call device itself is never taken.
	clear := []byte("cleartext-key-16")
	raw := map[string]any{"messages": map[string]any{bob.UserID: map[string]any{string(cb.DeviceID()): KeysContent(roomID, id.UserID(alice.UserID), ca.DeviceID(), 8, clear, time.Now())}}}
	if err := alice.Do(ctx, http.MethodPut, "/_matrix/client/v3/sendToDevice/"+KeysType.Type+"/clear1", raw, nil); err != nil {
		t.Fatal(err)
	}
	forgedAt := waitUpdate(t, bUps, "the forged key at B", func(u matrix.Update) bool {
		k, ok := u.(matrix.ToDeviceReceived)
		return ok && k.Sender == id.UserID(alice.UserID) && k.SenderDevice == ca2.DeviceID()
	}).(matrix.ToDeviceReceived)
	_ = forgedAt
	// A message after both, through the same sync path, shows they were handled.
	if _, err := ca.SendEvent(ctx, roomID, event.EventMessage, map[string]any{"msgtype": "m.text", "body": "after the keys"}); err != nil {
		t.Fatal(err)
	}
	waitUpdate(t, bUps, "a message after the keys", func(u matrix.Update) bool {
		ta, ok := u.(matrix.TimelineAppended)
		return ok && ta.RoomID == roomID && len(ta.Events) > 0
	})
	for _, k := range pubB.remoteKeys(aIdentity) {
		if bytes.Equal(k, forged) || bytes.Equal(k, clear) {
			t.Fatalf("B took a key not from alice's call device over Olm: %q", k)
		}
	}

	// A leaves: B sees A gone and rotates its key.
	if err := mA.Leave(roomID); err != nil {
		t.Fatal(err)
	}
	end := waitCall(t, chA, mA, "A ended", func(i CallInfo) bool { return i.State == CallEnded })
	if _, active := mA.Active(); active || end.EndReason != "you left" {
		t.Fatalf("A after leaving: %+v", end)
	}
	leftAt := time.Now()
	waitCall(t, chB, mB, "A gone at B", func(i CallInfo) bool { return len(i.Members) == 0 })
	t.Logf("figure: A Leave→gone at B %v", time.Since(leftAt))
	waitFor(t, "B's new key in use", func() bool { i, _ := pubB.currentLocal(); return i != idxB })
	if i, k := pubB.currentLocal(); bytes.Equal(k, keyB) || i != idxB+1 {
		t.Fatalf("B rotated to %d (from %d) with the same key: %v", i, idxB, bytes.Equal(k, keyB))
	}
	if got := cb.StateEvent(roomID, MemberStateType, MemberStateKey(id.UserID(alice.UserID), ca.DeviceID())); got != nil {
		if _, err := ParseMember(roomID, got); err != ErrLeft {
			t.Fatalf("A's membership after leaving: %v", err)
		}
	}
	_ = mA.Close()
	_ = stopA
}
