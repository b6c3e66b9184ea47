package matrix

import (
	"net/http"
	"net/url"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// TestRoomLeftKickBanLeave checks that losing a room is never silent: a
// kick, a ban and a leave each publish a RoomLeft with who and why, before
// the RoomsChanged that drops the room (F27).
func TestRoomLeftKickBanLeave(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "lalice")
	bob := st.MustRegister(t, "lbob")
	ctx := ctxT(t)
	a := loginLive(t, st, alice)

	joined := func(name string) id.RoomID {
		t.Helper()
		rid, err := bob.CreateRoom(ctx, map[string]any{"name": name, "invite": []string{alice.UserID}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := alice.Join(ctx, rid); err != nil {
			t.Fatal(err)
		}
		a.waitRoom(t, id.RoomID(rid), "joined "+name, func(r Room) bool { return r.Membership == event.MembershipJoin && r.Name == name })
		return id.RoomID(rid)
	}
	// waitLeft waits for the room's RoomLeft and checks that the room list
	// published after it no longer has the room, and none before it did
	// without it.
	waitLeft := func(roomID id.RoomID, start int) RoomLeft {
		t.Helper()
		rl := a.rec.waitAfter(t, start, waitTimeout, "RoomLeft", func(u Update) bool {
			l, ok := u.(RoomLeft)
			return ok && l.RoomID == roomID
		}).(RoomLeft)
		ups := a.rec.all()[start:]
		sawLeft := false
		for _, u := range ups {
			if l, ok := u.(RoomLeft); ok && l.RoomID == roomID {
				sawLeft = true
			}
			if rc, ok := u.(RoomsChanged); ok {
				listed := false
				for _, r := range rc.Rooms.All() {
					listed = listed || r.ID == roomID
				}
				if !listed && !sawLeft {
					t.Errorf("the room list dropped %s before RoomLeft", roomID)
				}
			}
		}
		if _, ok := a.Room(roomID); ok {
			t.Errorf("%s still listed after RoomLeft", roomID)
		}
		return rl
	}
	post := func(path string, body map[string]any) {
		t.Helper()
		if err := bob.Do(ctx, http.MethodPost, path, body, nil); err != nil {
			t.Fatal(err)
		}
	}

	if err := bob.Do(ctx, http.MethodPut, "/_matrix/client/v3/profile/"+url.PathEscape(bob.UserID)+"/displayname",
		map[string]any{"displayname": "Bob B."}, nil); err != nil {
		t.Fatal(err)
	}
	kickRoom := joined("Pair2")
	start := len(a.rec.all())
	post("/_matrix/client/v3/rooms/"+url.PathEscape(string(kickRoom))+"/kick", map[string]any{"user_id": alice.UserID, "reason": "bye now"})
	rl := waitLeft(kickRoom, start)
	if !rl.Kicked || rl.Banned || rl.By != id.UserID(bob.UserID) || rl.Reason != "bye now" || rl.Name != "Pair2" || rl.WasInvite || rl.ByName != "Bob B." {
		t.Errorf("kick: %+v", rl)
	}

	banRoom := joined("Banned from")
	start = len(a.rec.all())
	post("/_matrix/client/v3/rooms/"+url.PathEscape(string(banRoom))+"/ban", map[string]any{"user_id": alice.UserID, "reason": "spam"})
	rl = waitLeft(banRoom, start)
	if !rl.Banned || rl.Kicked || rl.By != id.UserID(bob.UserID) || rl.Reason != "spam" {
		t.Errorf("ban: %+v", rl)
	}

	leaveRoom := joined("Left")
	start = len(a.rec.all())
	if err := a.LeaveRoom(ctx, leaveRoom); err != nil {
		t.Fatal(err)
	}
	rl = waitLeft(leaveRoom, start)
	if rl.Kicked || rl.Banned || rl.By != id.UserID(alice.UserID) || rl.Name != "Left" {
		t.Errorf("leave: %+v", rl)
	}
}
