package matrix

import (
	"context"
	"encoding/json"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

func TestCountsAsUnread(t *testing.T) {
	me, bob := id.UserID("@me:localhost"), id.UserID("@bob:localhost")
	redacted := msgEvent(t, bob, "$r", 1, "gone")
	redacted.Unsigned.RedactedBecause = mkEvent(t, "m.room.redaction", nil, bob, "$x", 2, map[string]any{})
	for _, c := range []struct {
		name string
		ev   *event.Event
		want bool
	}{
		{"message from someone else", msgEvent(t, bob, "$1", 1, "hi"), true},
		{"notice", mkEvent(t, "m.room.message", nil, bob, "$2", 1, map[string]any{"msgtype": "m.notice", "body": "n"}), true},
		{"our own message", msgEvent(t, me, "$3", 1, "mine"), false},
		{"encrypted (undecryptable)", mkEvent(t, "m.room.encrypted", nil, bob, "$4", 1, map[string]any{"algorithm": "m.megolm.v1.aes-sha2"}), true},
		{"sticker", mkEvent(t, "m.sticker", nil, bob, "$5", 1, map[string]any{"body": "s"}), true},
		{"edit", mkEvent(t, "m.room.message", nil, bob, "$6", 1, map[string]any{"msgtype": "m.text", "body": "* x",
			"m.relates_to": map[string]any{"rel_type": "m.replace", "event_id": "$1"}}), false},
		{"edit, its relation type spelled with an escape", escapedEdit(t, bob), false},
		{"reply", mkEvent(t, "m.room.message", nil, bob, "$7", 1, map[string]any{"msgtype": "m.text", "body": "re",
			"m.relates_to": map[string]any{"m.in_reply_to": map[string]any{"event_id": "$1"}}}), true},
		{"reaction", mkEvent(t, "m.reaction", nil, bob, "$8", 1, map[string]any{}), false},
		{"redaction", mkEvent(t, "m.room.redaction", nil, bob, "$9", 1, map[string]any{}), false},
		{"redacted message", redacted, false},
		{"membership", memberEvent(t, bob, "join", "Bob", 1), false},
		{"room name", mkEvent(t, "m.room.name", sk(""), bob, "$10", 1, map[string]any{"name": "n"}), true},
		{"power levels", mkEvent(t, "m.room.power_levels", sk(""), bob, "$11", 1, map[string]any{}), false},
		{"call hangup", mkEvent(t, "m.call.hangup", nil, bob, "$12", 1, map[string]any{}), false},
	} {
		prepareEvent(c.ev, testRoom)
		if got := countsAsUnread(c.ev, me); got != c.want {
			t.Errorf("%s: countsAsUnread = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestApplyCountsOwnUnread: our count moves in the sync that brings events
// (whatever the server's count says), skips edits and reactions, drops to
// what follows our read receipt and to zero at our own message, and
// survives a restart from the store.
func TestApplyCountsOwnUnread(t *testing.T) {
	c, path := openTemp(t, offlineSession(), Options{})
	bob := id.UserID("@bob:localhost")
	me := offlineSession().UserID
	own := func(step string, want int) {
		t.Helper()
		if r, _ := c.Room(testRoom); r.OwnUnread != want {
			t.Fatalf("%s: OwnUnread %d, want %d", step, r.OwnUnread, want)
		}
	}
	state := []*event.Event{
		mkEvent(t, "m.room.create", sk(""), bob, "$c", 1, map[string]any{}),
		memberEvent(t, bob, "join", "Bob", 2),
	}
	apply(t, c, joinedSync("s1", testRoom, state, []*event.Event{memberEvent(t, me, "join", "Me", 3)}, "p0", false))
	own("after our join", 0)
	ups := apply(t, c, joinedSync("s2", testRoom, nil, []*event.Event{msgEvent(t, bob, "$1", 10, "one"), msgEvent(t, bob, "$2", 11, "two")}, "", false))
	own("two messages, no server count", 2)
	for _, u := range ups {
		if rc, ok := u.(RoomsChanged); ok {
			if r := rc.Rooms.At(0); r.OwnUnread != 2 {
				t.Fatalf("the room update of that sync says %+v", r)
			}
		}
	}
	apply(t, c, joinedSync("s3", testRoom, nil, []*event.Event{
		mkEvent(t, "m.room.message", nil, bob, "$3", 12, map[string]any{"msgtype": "m.text", "body": "* two",
			"m.relates_to": map[string]any{"rel_type": "m.replace", "event_id": "$2"}}),
		mkEvent(t, "m.reaction", nil, bob, "$4", 13, map[string]any{"m.relates_to": map[string]any{"rel_type": "m.annotation", "event_id": "$1", "key": "👍"}}),
	}, "", false))
	own("an edit and a reaction", 2)
	resp := joinedSync("s4", testRoom, nil, nil, "", false)
	resp.Rooms.Join[testRoom].Ephemeral.Events = []*event.Event{
		mkEvent(t, "m.receipt", nil, "", "", 0, map[string]any{"$1": map[string]any{"m.read": map[string]any{string(me): map[string]any{"ts": 14}}}}),
	}
	apply(t, c, resp)
	own("our receipt on the first message", 1)
	apply(t, c, joinedSync("s5", testRoom, nil, []*event.Event{msgEvent(t, me, "$5", 15, "mine")}, "", false))
	own("our own message", 0)
	apply(t, c, joinedSync("s6", testRoom, nil, []*event.Event{msgEvent(t, bob, "$6", 16, "three")}, "", false))
	own("a new message", 1)

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c2, err := Open(context.Background(), offlineSession(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if r, _ := c2.Room(testRoom); r.OwnUnread != 1 {
		t.Fatalf("after a restart: OwnUnread %d, want 1", r.OwnUnread)
	}
}

// escapedEdit is an edit whose rel_type is written m\u002ereplace.
func escapedEdit(t *testing.T, sender id.UserID) *event.Event {
	var ev event.Event
	data := `{"type":"m.room.message","sender":"` + string(sender) + `","event_id":"$esc","origin_server_ts":1,` +
		`"content":{"msgtype":"m.text","body":"* x","m.relates_to":{"rel_type":"m\u002ereplace","event_id":"$1"}}}`
	if err := json.Unmarshal([]byte(data), &ev); err != nil {
		t.Fatal(err)
	}
	return &ev
}
