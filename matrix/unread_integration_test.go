package matrix

import (
	"testing"
	"time"

	"maunium.net/go/mautrix/id"
)

// TestOwnUnreadInTheSyncThatBringsTheMessage: bob writes in a room alice
// is not reading; the room update of the very sync that carries his
// message already counts it unread (whatever Dendrite's notification
// count says then: it is computed after the event is served), alice's
// read receipt clears it, and it stays cleared after a restart from the
// store.
func TestOwnUnreadInTheSyncThatBringsTheMessage(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "unralice")
	bob := st.MustRegister(t, "unrbob")
	ctx := ctxT(t)
	rid, err := bob.CreateRoom(ctx, map[string]any{"name": "Unread", "invite": []string{alice.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Join(ctx, rid); err != nil {
		t.Fatal(err)
	}
	roomID := id.RoomID(rid)
	a := loginLive(t, st, alice)
	a.waitRoom(t, roomID, "the room", func(r Room) bool { return r.Membership == "join" })
	before, _ := a.Room(roomID)
	if before.OwnUnread != 0 {
		t.Fatalf("before bob writes: %+v", before)
	}

	start := len(a.rec.all())
	sent := time.Now()
	evID, err := bob.SendMessage(ctx, rid, "are you there?")
	if err != nil {
		t.Fatal(err)
	}
	a.rec.waitAfter(t, start, waitTimeout, "bob's message", func(u Update) bool {
		ta, ok := u.(TimelineAppended)
		return ok && ta.RoomID == roomID && hasEvent(ta, id.EventID(evID))
	})
	// The room update published with that sync comes just before its
	// timeline updates.
	var withEvent *Room
	for _, u := range a.rec.all()[start:] {
		switch u := u.(type) {
		case RoomsChanged:
			if r, ok := u.Rooms.Room(roomID); ok {
				withEvent = &r
			}
		case TimelineAppended:
			if u.RoomID == roomID && hasEvent(u, id.EventID(evID)) {
				goto found
			}
		}
	}
found:
	if withEvent == nil {
		t.Fatal("no room update came with the sync that carried the message")
	}
	if withEvent.OwnUnread != 1 {
		t.Fatalf("the room update of the sync that carried the message: OwnUnread %d, want 1 (%+v)", withEvent.OwnUnread, *withEvent)
	}
	t.Logf("figure: unread %.2fs after bob sent; the server's count was %d before and %d in that same sync",
		time.Since(sent).Seconds(), before.Unread, withEvent.Unread)

	if err := a.MarkRead(ctx, roomID, id.EventID(evID)); err != nil {
		t.Fatal(err)
	}
	a.waitRoom(t, roomID, "unread cleared by our receipt", func(r Room) bool { return r.OwnUnread == 0 && r.Unread == 0 })

	// Restart from the store: still read, before and after the first sync.
	a.stop()
	<-a.runErr
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a2 := startLive(t, a.sess, a.dbPath, Options{})
	if r, _ := a2.Room(roomID); r.OwnUnread != 0 || r.Unread != 0 {
		t.Fatalf("after a restart: %+v", r)
	}
	// A sync that includes the room again (bob types) leaves it read.
	start = len(a2.rec.all())
	if err := bob.Do(ctx, "PUT", "/_matrix/client/v3/rooms/"+rid+"/typing/"+bob.UserID, map[string]any{"typing": true, "timeout": 5000}, nil); err != nil {
		t.Fatal(err)
	}
	a2.rec.waitAfter(t, start, waitTimeout, "bob typing", func(u Update) bool {
		ty, ok := u.(TypingChanged)
		return ok && ty.RoomID == roomID
	})
	if r, _ := a2.Room(roomID); r.OwnUnread != 0 || r.Unread != 0 {
		t.Fatalf("after a restart and a sync: %+v", r)
	}
}

func hasEvent(ta TimelineAppended, evID id.EventID) bool {
	for _, ev := range ta.Events {
		if ev.ID == evID {
			return true
		}
	}
	return false
}
