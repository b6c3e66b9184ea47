package matrix

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"

	"github.com/termatrix/termatrix/internal/synthhs"
)

// wireEventSeeds are real events and hostile ones: escapes in keys and
// values, keys in other cases, keys named twice, values of other types,
// deep nesting, huge numbers, invalid UTF-8, white space everywhere.
var wireEventSeeds = []string{
	`{"type":"m.room.message","sender":"@a:x","event_id":"$m","origin_server_ts":1700000000000,"room_id":"!r:x","content":{"msgtype":"m.text","body":"hi"},"unsigned":{"age":1000}}`,
	`{"type":"m.room.member","state_key":"@a:x","sender":"@a:x","event_id":"$j","content":{"membership":"join","displayname":"Ä 👍"},"prev_content":{"membership":"invite"},"replaces_state":"$o","unsigned":{"prev_sender":"@b:x","transaction_id":"t"}}`,
	`{"type":"m.room.redaction","sender":"@a:x","event_id":"$r","redacts":"$m","content":null,"unsigned":null,"state_key":null,"replaces_state":null}`,
	`{"type":"org.matrix.msc4143.rtc.member","msc4354_sticky":{"duration_ms":3600000},"to_user_id":"@c:x","to_device_id":"D","content":{}}`,
	` { "type" : "m.room.name" , "state_key" : "" , "content" : { "name" : "n" } } ` + "\n",
	`{"type":"m.room\u002emessage","sender":"@\"a\\:x","content":{"body":"\ud83d\ude00 \u0000"}}`,
	`{"typ\u0065":"m.room.message"}`,
	`{"Type":"m.room.message","SENDER":"@a:x","Content":{}}`,
	`{"ſtate_key":"x","type":"t"}`,
	`{"type":"a","type":"b","sender":"@a:x","sender":null}`,
	`{"content":{"a":1},"content":{"b":2},"prev_content":{"a":1},"prev_content":{"b":2}}`,
	`{"type":7}`, `{"sender":true}`, `{"origin_server_ts":"5"}`, `{"origin_server_ts":1.5}`, `{"origin_server_ts":1e3}`,
	`{"origin_server_ts":99999999999999999999}`, `{"origin_server_ts":-0}`, `{"origin_server_ts":-9223372036854775808}`,
	`{"state_key":5}`, `{"content":"x"}`, `{"content":[1,2]}`, `{"unsigned":{"age":"x"}}`, `{"msc4354_sticky":{"duration_ms":"x"}}`,
	`{"content":{"n":1.5e+300,"m":-0.0e-0,"big":123456789012345678901234567890}}`,
	"{\"type\":\"m.room.message\",\"sender\":\"@\xff\xfe:x\",\"content\":{\"body\":\"\xc3\x28\"}}",
	"{\"t\xffype\":\"x\"}",
	"{\"type\":\"a\tb\"}",
	`{"content":{"a":[` + strings.Repeat("[", 9990) + strings.Repeat("]", 9990) + `]}}`,
	`{"content":{"a":[` + strings.Repeat("[", 9997) + strings.Repeat("]", 9997) + `]}}`,
	`{"content":{"a":[` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `]}}`,
	`{"content":{}}x`, `{"content":{}`, `{"content":{"a":tru}}`, `{"content":{"a":01}}`, `{"content":{"a":"\x"}}`, `{"content":{"a":"\u12"}}`,
	`{"content":{"a":1,}}`, `{"content":{,}}`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`, `null`, `[]`, ``, `{}`, `{"unknown":{"deep":[1,{"x":null}]}}`,
}

// FuzzWireEvent: the fast path decodes an event as json.Unmarshal into
// wireEvent does (the same fields), and never accepts what it refuses.
func FuzzWireEvent(f *testing.F) {
	for _, s := range wireEventSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want wireEvent
		wantErr := json.Unmarshal(data, &want)
		var got wireEvent
		if !wireEventOf(data, &got) {
			return
		}
		if wantErr != nil {
			t.Fatalf("fast path accepted what encoding/json refuses (%v):\n%q", wantErr, data)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("fast path differs for\n%q\ngot  %+v\nwant %+v", data, got, want)
		}
	})
}

// FuzzWireRoom: the same for a joined and a left room.
func FuzzWireRoom(f *testing.F) {
	for _, s := range handMadeSyncs {
		f.Add([]byte(s))
	}
	for _, s := range wireEventSeeds {
		f.Add([]byte(`{"timeline":{"events":[` + s + `],"limited":true},"state":{"events":[` + s + `]}}`))
	}
	for _, s := range []string{`{"state":null,"state_after":null,"timeline":null,"msc4354_sticky":null}`,
		`{"state":{"events":[]},"state_after":{"events":null},"timeline":{"events":[null,{}],"prev_batch":"p","limited":null}}`,
		`{"timeline":{"events":[]},"timeline":{"events":[{"type":"x"}]}}`, `{"Timeline":{"events":[]}}`,
		`{"timeline":{"Events":[]}}`, `{"timeline":{"limited":1}}`, `{"summary":{"m.heroes":["@a:x"]},"ephemeral":{"events":[{"type":"m.typing","content":{}}]}}`,
		`{"unread_notifications":{"notification_count":2},"org.matrix.msc2654.unread_count":3,"account_data":{"events":[]}}`,
		`{"state":{"events":{}}}`, `{"state":[]}`, `{"timeline":{"events":[1]}}`, ` {"state":{}} `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var joined *wireJoinedRoom
		joinedErr := json.Unmarshal(data, &joined)
		if got, ok := wireRoom(data, false); ok {
			if joinedErr != nil {
				t.Fatalf("fast path accepted a joined room encoding/json refuses (%v):\n%q", joinedErr, data)
			}
			got.slab = nil // the fast path's own
			if !reflect.DeepEqual(got, joined) {
				t.Fatalf("fast path differs for the joined room\n%q\ngot  %+v\nwant %+v", data, got, joined)
			}
		}
		var left *wireLeftRoom
		leftErr := json.Unmarshal(data, &left)
		if got, ok := wireRoom(data, true); ok {
			if leftErr != nil {
				t.Fatalf("fast path accepted a left room encoding/json refuses (%v):\n%q", leftErr, data)
			}
			got.slab = nil
			want := &wireJoinedRoom{wireRoomEvents: left.wireRoomEvents, Summary: left.Summary}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("fast path differs for the left room\n%q\ngot  %+v\nwant %+v", data, got, want)
			}
		}
	})
}

// The fast path takes every room and event of the synthetic account (it
// would cost nothing but time if it did not, so nothing else shows it),
// and the stored form of events.
func TestWireDecoderTakesRealRooms(t *testing.T) {
	body := syntheticSync(t, synthhs.Shape{Rooms: 20, EventsPerRoom: 20, MembersPerRoom: 6, DMEvery: 5, Seed: 3})
	b, err := decodeSync(bytes.NewReader(body), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range b.rooms {
		w, ok := wireRoom(r.raw, r.section == sectionLeave)
		if r.section == sectionInvite {
			continue
		}
		if !ok {
			t.Fatalf("fast path gave up on room %s", r.id)
		}
		for _, ev := range append(w.State.Events, w.Timeline.Events...) {
			stored, err := encodeEvent(mustFill(t, ev))
			if err != nil {
				t.Fatal(err)
			}
			var again wireEvent
			if !wireEventOf(stored, &again) {
				t.Fatalf("fast path gave up on the stored %s", stored)
			}
		}
	}
	for i, s := range wireEventSeeds[:5] {
		var w wireEvent
		if !wireEventOf([]byte(s), &w) {
			t.Errorf("fast path gave up on seed %d: %s", i, s)
		}
	}
}

func mustFill(t *testing.T, w *wireEvent) *event.Event {
	t.Helper()
	var ev event.Event
	if err := w.fill(&ev); err != nil {
		t.Fatal(err)
	}
	return &ev
}

// FuzzWireUnsigned: the fast path decodes an event's unsigned as
// json.Unmarshal does, and never accepts what it refuses.
func FuzzWireUnsigned(f *testing.F) {
	for _, s := range []string{`{"age":1000}`, `{"age":5,"transaction_id":"t\u00e9","prev_sender":"@a:x","replaces_state":"$o","membership":"join"}`,
		`{"age":1.5}`, `{"age":"1"}`, `{"age":null,"membership":null}`, `{"Age":1}`, `{"age":1,"age":2}`, `{"prev_content":{"a":1}}`,
		`{"m.relations":{}}`, `{}`, ` { "age" : -3 } `, `{"age":1}x`, "{\"transaction_id\":\"\xff\"}", `{"age":99999999999999999999}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want event.Unsigned
		wantErr := json.Unmarshal(data, &want)
		var got event.Unsigned
		if !wireUnsigned(data, &got) {
			return
		}
		if wantErr != nil {
			t.Fatalf("fast path accepted what encoding/json refuses (%v):\n%q", wantErr, data)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("fast path differs for\n%q\ngot  %+v\nwant %+v", data, got, want)
		}
	})
}
