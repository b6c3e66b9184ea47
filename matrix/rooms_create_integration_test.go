package matrix

import (
	"net/url"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/internal/teststack"
)

// roomState reads one state event's content from the server as u.
func roomState(t *testing.T, u teststack.User, roomID id.RoomID, evType, stateKey string) map[string]any {
	t.Helper()
	var out map[string]any
	path := "/_matrix/client/v3/rooms/" + url.PathEscape(string(roomID)) + "/state/" + url.PathEscape(evType) + "/" + url.PathEscape(stateKey)
	if err := u.Do(ctxT(t), "GET", path, nil, &out); err != nil {
		t.Fatalf("state %s: %v", evType, err)
	}
	return out
}

// checkCallPowers checks the power levels Element gives new rooms.
func checkCallPowers(t *testing.T, u teststack.User, roomID id.RoomID) {
	t.Helper()
	pl := roomState(t, u, roomID, "m.room.power_levels", "")
	evs, _ := pl["events"].(map[string]any)
	want := map[string]float64{"org.matrix.msc3401.call.member": 0, "org.matrix.msc3401.call": 100,
		"m.room.encryption": 100, "m.room.power_levels": 100, "m.room.name": 50, "m.room.tombstone": 100}
	for k, v := range want {
		if got, ok := evs[k].(float64); !ok || got != v {
			t.Errorf("power level of %s: %v, want %v (events %v)", k, evs[k], v, evs)
		}
	}
}

// TestCreateRoom: a private room is invite-only and encrypted, a public one
// open, unencrypted and with its alias; both let members join calls; the
// creator's client has it joined when CreateRoom returns.
func TestCreateRoom(t *testing.T) {
	st := stack.Get(t)
	ua := st.MustRegister(t, "cralice")
	a := loginLive(t, st, ua)

	priv, err := a.CreateRoom(ctxT(t), "Project X", false)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := a.Room(priv); !ok || r.Membership != event.MembershipJoin || !r.Encrypted {
		t.Fatalf("private room in the client: %+v %v", r, ok)
	}
	// Dendrite may send the name in a later sync than the join.
	a.waitRoom(t, priv, "the name", func(r Room) bool { return r.Name == "Project X" })
	if alg := roomState(t, ua, priv, "m.room.encryption", "")["algorithm"]; alg != "m.megolm.v1.aes-sha2" {
		t.Fatalf("encryption algorithm %v", alg)
	}
	if jr := roomState(t, ua, priv, "m.room.join_rules", "")["join_rule"]; jr != "invite" {
		t.Fatalf("private room join rule %v", jr)
	}
	checkCallPowers(t, ua, priv)

	name := "Open " + st.UniqueLocalpart("Hall")
	pub, err := a.CreateRoom(ctxT(t), name, true)
	if err != nil {
		t.Fatal(err)
	}
	if jr := roomState(t, ua, pub, "m.room.join_rules", "")["join_rule"]; jr != "public" {
		t.Fatalf("public room join rule %v", jr)
	}
	var enc map[string]any
	if err := ua.Do(ctxT(t), "GET", "/_matrix/client/v3/rooms/"+url.PathEscape(string(pub))+"/state/m.room.encryption/", nil, &enc); err == nil {
		t.Fatalf("public room is encrypted: %v", enc)
	}
	alias := id.RoomAlias("#" + aliasLocalpart(name) + ":localhost")
	if got, err := a.ResolveAlias(ctxT(t), alias); err != nil || got != pub {
		t.Fatalf("alias %s: %s %v", alias, got, err)
	}
	checkCallPowers(t, ua, pub)
	// A second public room of the same name is still made, without alias.
	if _, err := a.CreateRoom(ctxT(t), name, true); err != nil {
		t.Fatalf("same name again: %v", err)
	}
}

// TestDirectMessage: /dm makes a DM as Element does (is_direct invite,
// trusted_private_chat, encrypted, in m.direct) that the other side sees
// as a DM invite, and asking again gives the same room.
func TestDirectMessage(t *testing.T) {
	st := stack.Get(t)
	ua, ub := st.MustRegister(t, "dmalice"), st.MustRegister(t, "dmbob")
	a, b := loginLive(t, st, ua), loginLive(t, st, ub)

	roomID, created, err := a.DirectMessage(ctxT(t), b.UserID())
	if err != nil || !created {
		t.Fatalf("DirectMessage: %s %v %v", roomID, created, err)
	}
	inv := b.waitRoom(t, roomID, "the DM invite", func(r Room) bool { return r.Membership == event.MembershipInvite })
	if !inv.IsDM || inv.Inviter != a.UserID() {
		t.Fatalf("bob's invite: %+v", inv)
	}
	member := roomState(t, ua, roomID, "m.room.member", string(b.UserID()))
	if member["membership"] != "invite" || member["is_direct"] != true {
		t.Fatalf("bob's member event: %v", member)
	}
	if alg := roomState(t, ua, roomID, "m.room.encryption", "")["algorithm"]; alg != "m.megolm.v1.aes-sha2" {
		t.Fatalf("DM encryption %v", alg)
	}
	// trusted_private_chat: the invitee gets the creator's power.
	pl := roomState(t, ua, roomID, "m.room.power_levels", "")
	if users, _ := pl["users"].(map[string]any); users[string(b.UserID())] != float64(100) {
		t.Fatalf("trusted_private_chat powers: %v", pl["users"])
	}
	checkCallPowers(t, ua, roomID)
	var direct map[string][]string
	if err := ua.Do(ctxT(t), "GET", "/_matrix/client/v3/user/"+url.PathEscape(ua.UserID)+"/account_data/m.direct", nil, &direct); err != nil {
		t.Fatal(err)
	}
	if rooms := direct[string(b.UserID())]; len(rooms) != 1 || rooms[0] != string(roomID) {
		t.Fatalf("m.direct: %v", direct)
	}
	if r, _ := a.Room(roomID); !r.Encrypted || r.Membership != event.MembershipJoin {
		t.Fatalf("alice's DM: %+v", r)
	}

	again, created, err := a.DirectMessage(ctxT(t), b.UserID())
	if err != nil || created || again != roomID {
		t.Fatalf("second DirectMessage: %s created=%v %v, want %s reused", again, created, err, roomID)
	}
	// Bob accepting it records it in his m.direct too (JoinRoom).
	if _, err := b.JoinRoom(ctxT(t), string(roomID)); err != nil {
		t.Fatal(err)
	}
	back, created, err := b.DirectMessage(ctxT(t), a.UserID())
	if err != nil || created || back != roomID {
		t.Fatalf("bob's /dm alice: %s created=%v %v, want %s", back, created, err, roomID)
	}
	if _, _, err := a.DirectMessage(ctxT(t), "not-a-user"); err == nil {
		t.Fatal("a bad user ID was accepted")
	}
}
