package matrix

import (
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// TestRefusedMessageHoldsTheQueue: a message the server refuses
// (M_FORBIDDEN: the room needs power to speak) fails for good with the
// reason, the message typed after it waits behind it, and once the user
// may speak a Retry sends both, in the order typed, under their
// transaction IDs.
func TestRefusedMessageHoldsTheQueue(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "qalice")
	bob := st.MustRegister(t, "qbob")
	ctx := ctxT(t)
	rid, err := bob.CreateRoom(ctx, map[string]any{
		"invite":                       []string{alice.UserID},
		"power_level_content_override": map[string]any{"events_default": 50, "users": map[string]any{bob.UserID: 100}},
	})
	if err != nil {
		t.Fatal(err)
	}
	roomID := id.RoomID(rid)
	if _, err := alice.Join(ctx, rid); err != nil {
		t.Fatal(err)
	}
	a := loginLive(t, st, alice)
	a.waitRoom(t, roomID, "joined", func(r Room) bool { return r.Membership == event.MembershipJoin })

	first := a.SendText(roomID, "first", false)
	refused := a.rec.waitFor(t, waitTimeout, "refusal", func(u Update) bool {
		er, ok := u.(EchoResolved)
		return ok && er.TxnID == first
	}).(EchoResolved)
	if refused.Err == nil || respErrCode(refused.Err) != "M_FORBIDDEN" {
		t.Fatalf("refused send resolved %+v", refused)
	}
	second := a.SendText(roomID, "second", false)
	q := a.Outbox(roomID)
	if len(q) != 2 || q[0].TxnID != first || q[0].Err == nil || q[1].TxnID != second || q[1].Err != nil {
		t.Fatalf("outbox: %+v", q)
	}
	if err := a.Discard(roomID, second); err == nil {
		t.Error("Discard of a pending message accepted")
	}

	if _, err := bob.SendState(ctx, rid, "m.room.power_levels", "", map[string]any{
		"events_default": 0, "users": map[string]any{bob.UserID: 100},
	}); err != nil {
		t.Fatal(err)
	}
	a.waitEvent(t, roomID, "power levels", func(ev *event.Event) bool { return ev.Type == event.StatePowerLevels })
	mark := len(a.rec.all())
	if err := a.Retry(roomID, first); err != nil {
		t.Fatal(err)
	}
	var order []string
	for len(order) < 2 {
		u := a.rec.waitAfter(t, mark, waitTimeout, "both sent", func(u Update) bool {
			_, ok := u.(EchoResolved)
			return ok
		})
		mark = indexOf(a.rec.all(), u) + 1
		er := u.(EchoResolved)
		if er.Err != nil {
			t.Fatalf("after Retry: %+v", er)
		}
		order = append(order, er.TxnID)
	}
	if order[0] != first || order[1] != second {
		t.Fatalf("sent in order %v, want [%s %s]", order, first, second)
	}
	a.waitEvent(t, roomID, "second", func(ev *event.Event) bool { return body(ev) == "second" })
	if len(a.Outbox(roomID)) != 0 {
		t.Errorf("outbox not empty: %+v", a.Outbox(roomID))
	}
}

// indexOf returns the index of u in us (by identity of the value), or -1.
func indexOf(us []Update, u Update) int {
	for i := range us {
		if er, ok := us[i].(EchoResolved); ok {
			if er2, ok := u.(EchoResolved); ok && er.TxnID == er2.TxnID && er.EventID == er2.EventID {
				return i
			}
		}
	}
	return -1
}
