package rtc

import (
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
)

// In a plain room: a member on another SFU (an Element Call client whose
// homeserver runs its own JWT service) gets a subscribe-only connection,
// closed when it leaves; no keys go anywhere; the ring is declined; mute
// reaches the media.
func TestPlainRoomSecondSFUMuteAndDecline(t *testing.T) {
	st := stack.Get(t)
	ctx := ctxT(t)
	theirs := newSecondJWT(t, st)
	alice, bob := st.MustRegister(t, "sfu-alice"), st.MustRegister(t, "sfu-bob")
	roomID, err := alice.CreateRoom(ctx, map[string]any{
		"preset": "trusted_private_chat", "invite": []string{bob.UserID},
		"power_level_content_override": map[string]any{"events": map[string]any{MemberStateType.Type: 0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx, roomID); err != nil {
		t.Fatal(err)
	}
	ca, _ := liveClient(t, st, alice)
	cb, _ := liveClient(t, st, bob)
	rid := id.RoomID(roomID)
	waitFor(t, "both in the room", func() bool {
		ra, okA := ca.Room(rid)
		rb, okB := cb.Room(rid)
		return okA && okB && ra.Membership == event.MembershipJoin && rb.Membership == event.MembershipJoin
	})
	dial := &recordingDialer{}
	mA := NewManager(ca, dial, Options{Tick: 100 * time.Millisecond, Log: testLog(t)})
	defer mA.Close()
	ch, _ := mA.Subscribe()
	bUps, stopB := cb.Subscribe()
	defer stopB()
	if err := mA.Join(rid, true, false); err != nil {
		t.Fatal(err)
	}
	info := waitCall(t, ch, mA, "connected", func(i CallInfo) bool { return i.State == CallConnected })
	if info.Encrypted || dial.dials[0].Encrypted || !info.Video {
		t.Fatalf("plain room call: %+v", info)
	}

	// Not a DM: a plain notification, which bob declines.
	var notif *event.Event
	waitUpdate(t, bUps, "the notification", func(u matrix.Update) bool {
		ta, ok := u.(matrix.TimelineAppended)
		for _, ev := range ta.Events {
			if ok && ev.Type.Type == NotificationType.Type {
				n, err := ParseNotification(ev, id.UserID(bob.UserID))
				if err == nil && !n.Ring && n.Intent == "video" {
					notif = ev
					return true
				}
			}
		}
		return false
	})
	mB := NewManager(cb, &recordingDialer{}, Options{Log: testLog(t)})
	defer mB.Close()
	if err := mB.Decline(rid, notif.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the decline at A", func() bool {
		evs, _ := ca.Timeline(rid, 20)
		for _, ev := range evs {
			if ev.Type.Type == DeclineType.Type && ev.Sender == id.UserID(bob.UserID) {
				return true
			}
		}
		return false
	})

	// Bob's Element Call joins on his own SFU: a subscribe-only connection.
	bobKey := "_" + bob.UserID + "_ECDEVICE_m.call"
	content := MemberContent("ECDEVICE", id.UserID(bob.UserID), "audio", Transport{Type: "livekit", ServiceURL: theirs.URL}, rid, time.Time{}, DefaultExpires)
	if _, err := bob.SendState(ctx, roomID, MemberStateType.Type, bobKey, content); err != nil {
		t.Fatal(err)
	}
	waitCall(t, ch, mA, "bob in the call", func(i CallInfo) bool { return hasMember(i, id.UserID(bob.UserID), false) })
	waitFor(t, "a connection to bob's SFU", func() bool { return len(theirs.requestedRooms()) == 1 })
	dial.mu.Lock()
	second := dial.conns[len(dial.conns)-1]
	dial.mu.Unlock()
	if second.publish || len(dial.conns) != 2 {
		t.Fatalf("%d connections, the second publishing: %v", len(dial.conns), second.publish)
	}
	if r := theirs.requestedRooms()[0]; r != roomID {
		t.Fatalf("bob's service was asked for %q", r)
	}

	// Mute reaches our publishing connection.
	if err := mA.ToggleMute(); err != nil {
		t.Fatal(err)
	}
	waitCall(t, ch, mA, "muted", func(i CallInfo) bool { return i.Muted })
	pub := dial.publishing()
	pub.mu.Lock()
	muted := pub.muted
	pub.mu.Unlock()
	if !muted {
		t.Fatal("the media was not muted")
	}

	// Bob leaves: the connection to his SFU closes.
	if _, err := bob.SendState(ctx, roomID, MemberStateType.Type, bobKey, map[string]any{}); err != nil {
		t.Fatal(err)
	}
	waitCall(t, ch, mA, "bob gone", func(i CallInfo) bool { return len(i.Members) == 0 })
	second.mu.Lock()
	closed := second.closed
	second.mu.Unlock()
	if !closed {
		t.Fatal("the connection to bob's SFU stayed open")
	}
	if err := mA.Leave(rid); err != nil {
		t.Fatal(err)
	}
	waitCall(t, ch, mA, "ended", func(i CallInfo) bool { return i.State == CallEnded })
	noSessionGoroutines(t)
	for _, c := range dial.conns {
		if !c.closed {
			t.Fatal("a LiveKit connection outlived the call")
		}
	}
}
