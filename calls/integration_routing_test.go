package calls

import (
	"testing"

	"maunium.net/go/mautrix/id"
)

// TestRoutingOnRealRooms: without power Element's message is shown and
// nothing is sent; one member refuses; two members (a functional member
// not counted) is a 1:1 call, which says plainly it is not available
// until a OneToOne is plugged in.
func TestRoutingOnRealRooms(t *testing.T) {
	st := stack.Get(t)
	ctx := ctxT(t)
	g := newGroup(t, st)
	rec := newBrowserRecorder(t)

	// carol has power level 0: she may not add widgets.
	carol := liveClient(t, st, g.carol)
	cctl, cevents := controller(t, carol, loadConfig(t, "", rec.cmd), nil, nil)
	waitMembers(t, carol, g.roomID, 3)
	cctl.Voice(g.roomID)
	if s := nextEvent[Status](t, cevents, nil); s.Text != "You do not have permission to start a conference call in this room" || !s.Error {
		t.Errorf("no power: %+v", s)
	}
	if ws := widgetKeys(t, g.bob, g.roomID); len(ws) != 0 {
		t.Errorf("widgets sent without power: %v", ws)
	}

	alone, err := g.alice.CreateRoom(ctx, map[string]any{"preset": "private_chat"})
	if err != nil {
		t.Fatal(err)
	}
	// alice, bob and carol, with carol listed as a functional member (a bot).
	withBot, err := g.alice.CreateRoom(ctx, map[string]any{"preset": "private_chat", "invite": []string{g.bob.UserID, g.carol.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.alice.SendState(ctx, withBot, FunctionalMembersType.Type, "", map[string]any{"service_members": []string{g.carol.UserID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.bob.Join(ctx, withBot); err != nil {
		t.Fatal(err)
	}
	if _, err := g.carol.Join(ctx, withBot); err != nil {
		t.Fatal(err)
	}

	alice := liveClient(t, st, g.alice)
	ctl, events := controller(t, alice, loadConfig(t, "", rec.cmd), nil, nil)
	waitMembers(t, alice, id.RoomID(alone), 1)
	ctl.Video(id.RoomID(alone))
	if s := nextEvent[Status](t, events, nil); s.Text != "You cannot place a call with yourself." {
		t.Errorf("alone: %+v", s)
	}
	waitMembers(t, alice, id.RoomID(withBot), 3)
	ctl.Voice(id.RoomID(withBot))
	if s := nextEvent[Status](t, events, nil); s.Text != "1:1 calls are not available yet." {
		t.Errorf("two and a bot: %+v", s)
	}
	one := &fakeOne{}
	ctl.SetOneToOne(one)
	ctl.Video(id.RoomID(withBot))
	waitFor(t, func() bool { return len(one.got()) == 1 })
	if got := one.got()[0]; got != "place "+withBot+" "+g.bob.UserID+" true" {
		t.Errorf("1:1 placed as %q", got)
	}
	if rec.started() || len(widgetKeys(t, g.bob, id.RoomID(withBot))) != 0 {
		t.Error("a conference was started in a 1:1 room")
	}
}
