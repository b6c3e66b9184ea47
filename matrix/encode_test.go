package matrix

import (
	"encoding/json"
	"reflect"
	"testing"

	"maunium.net/go/mautrix/event"
)

var encodeSeeds = []string{
	`{"type":"m.room.message","sender":"@a:hs","event_id":"$e","origin_server_ts":17,"room_id":"!r:hs","content":{"msgtype":"m.text","body":"hi \"there\" \u0001 \u2028 ✓"},"unsigned":{"age":5,"transaction_id":"t1"}}`,
	`{"type":"m.room.member","state_key":"@b:hs","sender":"@b:hs","event_id":"$m","origin_server_ts":1,"content":{"membership":"join"},"unsigned":{"prev_content":{"membership":"invite"},"replaces_state":"$x"}}`,
	`{"type":"m.room.redaction","sender":"@a:hs","event_id":"$r","redacts":"$e","content":{}}`,
	`{"type":"m.room.message","sender":"@a:hs","event_id":"$g","content":{},"unsigned":{"age":1000}}`,
	`{"type":"m.room.message","content":{},"unsigned":{"transaction_id":"<\u2028>","com.beeper.from_backup":true}}`,
	`{"type":"x.weird\n\"type","sender":"@a:hs\\","event_id":"$\u0000","content":{"nested":{"a":[1,2,{"b":null}]}}}`,
	`{"type":"m.room.message","content":{"body":"no ids"},"unsigned":{"redacted_because":{"type":"m.room.redaction","sender":"@a:hs","content":{}}}}`,
}

// The direct encoder writes what json.Marshal of the event writes, as far
// as JSON can tell.
func TestEncodeEventMatchesGeneric(t *testing.T) {
	for _, s := range encodeSeeds {
		checkEncodeEvent(t, []byte(s))
	}
}

func FuzzEncodeEvent(f *testing.F) {
	for _, s := range encodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkEncodeEvent(t, data) })
}

func checkEncodeEvent(t *testing.T, data []byte) {
	var ev event.Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return
	}
	fast, err1 := encodeEvent(&ev)
	slow, err2 := encodeEventGeneric(&ev)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("errors differ: %v / %v", err1, err2)
	}
	if err1 != nil {
		return
	}
	var a, b any
	if err := json.Unmarshal(fast, &a); err != nil {
		t.Fatalf("direct encoding is not JSON: %v\n%s", err, fast)
	}
	if err := json.Unmarshal(slow, &b); err != nil {
		t.Fatalf("generic encoding is not JSON: %v", err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("encodings differ:\n%s\n%s", fast, slow)
	}
}
