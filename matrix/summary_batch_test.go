package matrix

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// storedSummary puts evs as a room's state in c's store, as a sync
// does, and reads the summary input back as refreshSummary reads it.
func storedSummary(t testing.TB, c *Client, roomID id.RoomID, evs []*event.Event) summaryInput {
	t.Helper()
	ctx := context.Background()
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var in summaryInput
	for _, ev := range evs {
		if err := putState(ctx, tx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if in.name, in.alias, in.topic, in.encrypted, err = summaryState(ctx, tx, roomID); err != nil {
		t.Fatal(err)
	}
	if in.members, err = loadMemberInfo(ctx, tx, roomID); err != nil {
		t.Fatal(err)
	}
	return in
}

// stateWith is a state event of roomID with raw JSON content.
func stateWith(roomID id.RoomID, typ, key string, content []byte, n int) *event.Event {
	ev := &event.Event{Type: event.Type{Type: typ, Class: event.StateEventType}, StateKey: &key,
		Sender: "@b:localhost", ID: id.EventID(fmt.Sprintf("$s%d", n)), Timestamp: 1, RoomID: roomID,
		Content: event.Content{VeryRaw: json.RawMessage(content)}}
	return ev
}

// TestSummaryOfBatch: the summary of a room new to the store is read
// from the state its sync stored as the store reads it, for the state
// Element's rooms and the bench's have, and the reading gives up where
// the store's could differ.
func TestSummaryOfBatch(t *testing.T) {
	c, _ := openTemp(t, offlineSession(), Options{})
	roomID := id.RoomID("!r:localhost")
	typical := []*event.Event{
		stateWith(roomID, "m.room.create", "", []byte(`{"creator":"@a:x","room_version":"10"}`), 1),
		stateWith(roomID, "m.room.power_levels", "", []byte(`{"users":{"@a:x":100}}`), 2),
		stateWith(roomID, "m.room.name", "", []byte(`{"name":"Café room"}`), 3),
		stateWith(roomID, "m.room.topic", "", []byte(`{"topic":"t","m.topic":[{"body":"t"}]}`), 4),
		stateWith(roomID, "m.room.encryption", "", []byte(`{"algorithm":"m.megolm.v1.aes-sha2"}`), 5),
		stateWith(roomID, "m.room.member", "@z:x", []byte(`{"membership":"join","displayname":"Zed"}`), 6),
		stateWith(roomID, "m.room.member", "@a:x", []byte(`{"membership":"invite","avatar_url":null}`), 7),
		stateWith(roomID, "m.room.member", "@a:x", []byte(`{"membership":"join","displayname":"Ann"}`), 8), // the later one stays
		stateWith(roomID, "m.room.member", "@c:x", []byte(`{"membership":"leave","displayname":"Cy"}`), 9),
		stateWith(roomID, "m.room.member", "@d:x", []byte(`{"membership":7,"displayname":{"x":1}}`), 10),
		stateWith(roomID, "m.room.canonical_alias", "", []byte(`{"alt_aliases":[]}`), 11),
		stateWith(roomID, "m.room.name", "other", []byte(`{"name":5}`), 12),
	}
	got, ok := summaryOfBatch(typical)
	if !ok {
		t.Fatal("summaryOfBatch gave up on a typical room")
	}
	if want := storedSummary(t, c, roomID, typical); !reflect.DeepEqual(got, want) {
		t.Errorf("typical room:\ngot  %+v\nwant %+v", got, want)
	}
	for i, content := range []string{`{"name":12}`, `{"name":"a","name":"b"}`, `{"Name":"a"}`, `{"name":"a\nb"}`, "{\"name\":\"\xff\"}", `[]`} {
		if _, ok := summaryOfBatch([]*event.Event{stateWith(roomID, "m.room.name", "", []byte(content), i)}); ok {
			t.Errorf("summaryOfBatch read the name of %s", content)
		}
	}
	left := stateWith(roomID, "m.room.member", "@c:x", []byte(`{"membership":"leave"}`), 20)
	if _, ok := summaryOfBatch([]*event.Event{left}); ok {
		t.Error("summaryOfBatch read a member who left without a name (the store reads prev_content)")
	}
}

// FuzzSummaryOfBatch: whatever summaryOfBatch reads from a name, topic
// and member event, the store reads the same.
func FuzzSummaryOfBatch(f *testing.F) {
	f.Add([]byte(`{"name":"n"}`), []byte(`{"topic":"t"}`), []byte(`{"membership":"join","displayname":"D"}`))
	f.Add([]byte(`{"name":null}`), []byte(`{"topic":1}`), []byte(`{"membership":"ban","displayname":"x","displayname":"y"}`))
	f.Add([]byte(`{}`), []byte(`{"x":{"topic":"no"}}`), []byte(`{"membership":["join"]}`))
	c, _ := openTemp(f, offlineSession(), Options{})
	n := 0
	f.Fuzz(func(t *testing.T, name, topic, member []byte) {
		for _, b := range [][]byte{name, topic, member} {
			if !json.Valid(b) {
				return
			}
		}
		n++
		roomID := id.RoomID(fmt.Sprintf("!f%d:localhost", n))
		evs := []*event.Event{
			stateWith(roomID, "m.room.name", "", name, 1),
			stateWith(roomID, "m.room.topic", "", topic, 2),
			stateWith(roomID, "m.room.member", "@m:x", member, 3),
		}
		got, ok := summaryOfBatch(evs)
		if !ok {
			return
		}
		if want := storedSummary(t, c, roomID, evs); !reflect.DeepEqual(got, want) {
			t.Fatalf("name %s, topic %s, member %s:\ngot  %+v\nwant %+v", name, topic, member, got, want)
		}
	})
}
