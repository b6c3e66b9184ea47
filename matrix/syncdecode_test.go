package matrix

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"testing/iotest"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/internal/synthhs"
)

// syntheticSync fetches the initial /sync of a small generated account.
func syntheticSync(t testing.TB, shape synthhs.Shape) []byte {
	t.Helper()
	srv, err := synthhs.Start(shape, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	return fetchSync(t, srv.URL)
}

// handMadeSyncs cover what the synthetic account does not: invites,
// leaves, to-device, device lists, knocks (skipped), null sections and
// rooms, keys in other cases, a room named twice.
var handMadeSyncs = []string{
	`{"next_batch":"s1","to_device":{"events":[{"type":"m.room_key","sender":"@a:x","content":{"algorithm":"m.megolm.v1.aes-sha2","room_id":"!r:x","session_id":"s","session_key":"k"}}]},
	  "device_lists":{"changed":["@a:x"],"left":["@b:x"]},"device_one_time_keys_count":{"signed_curve25519":5},
	  "rooms":{"join":{"!r:x":{"timeline":{"events":[{"type":"m.room.encrypted","sender":"@a:x","event_id":"$e","content":{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"c","session_id":"s"}}],"limited":true,"prev_batch":"p"},
	    "ephemeral":{"events":[{"type":"m.typing","content":{"user_ids":["@a:x"]}}]},"unread_notifications":{"notification_count":2,"highlight_count":1},"summary":{"m.heroes":["@a:x"],"m.joined_member_count":2}}},
	   "invite":{"!i:x":{"invite_state":{"events":[{"type":"m.room.member","state_key":"@me:localhost","sender":"@a:x","content":{"membership":"invite","is_direct":true}}]}}},
	   "leave":{"!l:x":{"timeline":{"events":[{"type":"m.room.member","state_key":"@me:localhost","sender":"@a:x","event_id":"$k","content":{"membership":"leave","reason":"bye"}}]}}},
	   "knock":{"!k:x":{"knock_state":{"events":[]}}}}}`,
	`{"next_batch":"s2","rooms":{"join":null,"invite":{"!n:x":null},"leave":{}}}`,
	`{"next_batch":"s3","ROOMS":{"Join":{"!a:x":{"timeline":{"events":[]}}}},"rooms":{"join":{"!a:x":{"state":{"events":[{"type":"m.room.name","state_key":"","sender":"@a:x","event_id":"$n","content":{"name":"second"}}]}},"!b:x":{}}}}`,
	`{"next_batch":"s4","rooms":null,"account_data":{"events":[{"type":"m.direct","content":{"@a:x":["!r:x"]}}]}}`,
	`null`,
	`{"next_batch":"s5","rooms":{"join":{"!r:x":{"timeline":{"events":[{"type":"m.room\u002eencrypted","sender":"@esc:x","event_id":"$x","content":{}}]}}}}}`,
	// Every field of an event's wire form, in the places mautrix moves them.
	`{"next_batch":"s6","rooms":{"join":{"!u:x":{"state_after":{"events":[{"type":"m.room.topic","state_key":"","content":{"topic":"t"}}]},
	  "msc4354_sticky":{"events":[{"type":"org.matrix.msc4143.rtc.member","sender":"@a:x","content":{"k":1},"msc4354_sticky":{"duration_ms":3600000}}]},
	  "account_data":{"events":[{"type":"m.fully_read","content":{"event_id":"$a"}}]},"org.matrix.msc2654.unread_count":3,
	  "timeline":{"events":[null,
	    {"type":"m.room.member","state_key":"@a:x","sender":"@a:x","event_id":"$m","origin_server_ts":5,"room_id":"!u:x","content":{"membership":"join","displayname":7},
	     "prev_content":{"membership":"invite"},"replaces_state":"$old","unsigned":{"age":4,"prev_sender":"@b:x","transaction_id":"t1"}},
	    {"type":"m.room.member","state_key":"@b:x","sender":"@b:x","event_id":"$m2","content":{"membership":"leave"},"prev_content":{"membership":"join"},
	     "unsigned":{"prev_content":{"membership":"invite","displayname":"B"},"replaces_state":"$keep"},"replaces_state":"$drop"},
	    {"type":"m.room.redaction","sender":"@a:x","event_id":"$r","redacts":"$m","content":null,"unsigned":null},
	    {"type":"m.room.message","sender":"@a:x","event_id":"$red","content":{},"unsigned":{"redacted_because":{"type":"m.room.redaction","sender":"@a:x","content":{"reason":"x"}},
	     "m.relations":{"m.annotation":{"chunk":[{"type":"m.reaction","key":"👍","count":2}]}}}},
	    {"type":"m.room.message","sender":"@a:x","event_id":"$e","content":{"msgtype":"m.text","body":"hi \u0000","m.relates_to":{"rel_type":"m.thread","event_id":"$t"}},"to_user_id":"@c:x","to_device_id":"D"}]}}},
	  "leave":{"!lv:x":{"summary":{"m.heroes":["@a:x"]},"state":{"events":[{"type":"m.room.name","state_key":"","content":{"name":"n"}}]},"state_after":{"events":[]},"timeline":{"limited":true}}}}}`,
}

// decodedAgain turns a batch back into one RespSync, its rooms decoded,
// for comparison with mautrix's own decoding.
func decodedAgain(t testing.TB, b *syncBatch) (*mautrix.RespSync, error) {
	t.Helper()
	out := *b.resp
	for i := range b.rooms {
		r := &b.rooms[i]
		if err := r.decode(); err != nil {
			return nil, err
		}
		switch r.section {
		case sectionJoin:
			if out.Rooms.Join == nil {
				out.Rooms.Join = map[id.RoomID]*mautrix.SyncJoinedRoom{}
			}
			out.Rooms.Join[r.id] = r.join
		case sectionInvite:
			if out.Rooms.Invite == nil {
				out.Rooms.Invite = map[id.RoomID]*mautrix.SyncInvitedRoom{}
			}
			out.Rooms.Invite[r.id] = r.invite
		case sectionLeave:
			if out.Rooms.Leave == nil {
				out.Rooms.Leave = map[id.RoomID]*mautrix.SyncLeftRoom{}
			}
			out.Rooms.Leave[r.id] = r.leave
		}
	}
	return &out, nil
}

// sameAsMautrix checks that decodeSync reads body as mautrix does
// (knocked rooms aside: nothing stores them), when mautrix can read it:
// with its rooms in memory, and (spillDir set) with all of them but the
// first kilobyte's in a spill file there.
func sameAsMautrix(t *testing.T, body []byte, spillDir string) {
	t.Helper()
	var want mautrix.RespSync
	if err := json.Unmarshal(body, &want); err != nil {
		return
	}
	want.Rooms.Knock = nil
	withoutContentMaps(&want)
	for _, m := range []any{&want.Rooms.Join, &want.Rooms.Invite, &want.Rooms.Leave} {
		// An empty section is a nil map once taken apart.
		if v := reflect.ValueOf(m).Elem(); v.Len() == 0 {
			v.SetZero()
		}
	}
	b, err := decodeSync(bytes.NewReader(body), spillDir, 1<<10)
	if err != nil {
		t.Fatalf("decodeSync failed where mautrix did not: %v\n%s", err, body)
	}
	defer b.close()
	got, err := decodedAgain(t, b)
	if err != nil {
		t.Fatalf("decoding a room failed where mautrix did not: %v\n%s", err, body)
	}
	if !reflect.DeepEqual(got, &want) {
		t.Fatalf("decodeSync differs from mautrix for\n%s\ngot  %+v\nwant %+v", body, got, &want)
	}
	// The same when the body comes a byte at a time.
	bb, err := decodeSync(iotest.OneByteReader(bytes.NewReader(body)), "", 0)
	if err != nil {
		t.Fatalf("decodeSync failed a byte at a time: %v\n%s", err, body)
	}
	if again, err := decodedAgain(t, bb); err != nil || !reflect.DeepEqual(again, &want) {
		t.Fatalf("decodeSync a byte at a time differs (%v) for\n%s", err, body)
	}
	for _, u := range b.encryptedSenders() {
		if !sendsEncrypted(&want, u) {
			t.Fatalf("%s sent nothing encrypted", u)
		}
	}
}

// withoutContentMaps clears Content.Raw of the room events mautrix
// decoded, which the wire decoding leaves nil (eventdecode.go).
func withoutContentMaps(resp *mautrix.RespSync) {
	drop := func(evs []*event.Event) {
		for _, ev := range evs {
			if ev != nil {
				ev.Content.Raw = nil
			}
		}
	}
	lists := func(state, timeline []*event.Event, after *mautrix.SyncEventsList) {
		drop(state)
		drop(timeline)
		if after != nil {
			drop(after.Events)
		}
	}
	for _, r := range resp.Rooms.Join {
		if r != nil {
			lists(r.State.Events, r.Timeline.Events, r.StateAfter)
			drop(r.Sticky.Events)
		}
	}
	for _, r := range resp.Rooms.Leave {
		if r != nil {
			lists(r.State.Events, r.Timeline.Events, r.StateAfter)
		}
	}
}

// sendsEncrypted says whether u sent an encrypted timeline event.
func sendsEncrypted(resp *mautrix.RespSync, u id.UserID) bool {
	for _, jr := range resp.Rooms.Join {
		if jr == nil {
			continue
		}
		for _, ev := range jr.Timeline.Events {
			if ev != nil && ev.Sender == u && ev.Type.Type == "m.room.encrypted" {
				return true
			}
		}
	}
	return false
}

func TestDecodeSyncMatchesMautrix(t *testing.T) {
	synthetic := syntheticSync(t, synthhs.Shape{Rooms: 40, EventsPerRoom: 30, MembersPerRoom: 6, DMEvery: 5, Seed: 11})
	dir := t.TempDir()
	for _, spill := range []string{"", dir} {
		sameAsMautrix(t, synthetic, spill)
		for _, s := range handMadeSyncs {
			sameAsMautrix(t, []byte(s), spill)
		}
	}
	// The spill file is gone (unlinked at once, here).
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("spill files left: %v", left)
	}
	b, err := decodeSync(bytes.NewReader(synthetic), dir, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	if b.spill == nil || b.rooms[len(b.rooms)-1].spill == nil {
		t.Error("nothing spilled past the limit")
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("spill file not unlinked while in use: %v", left)
	}
	b.close()
	// The encrypted senders are found, however the type is spelled.
	b, err = decodeSync(bytes.NewReader([]byte(handMadeSyncs[0])), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.encryptedSenders(); !reflect.DeepEqual(got, []id.UserID{"@a:x"}) {
		t.Errorf("encrypted senders %v", got)
	}
	b, _ = decodeSync(bytes.NewReader([]byte(handMadeSyncs[5])), "", 0)
	if got := b.encryptedSenders(); !reflect.DeepEqual(got, []id.UserID{"@esc:x"}) {
		t.Errorf("encrypted senders (escaped type) %v", got)
	}
	// What mautrix refuses, decodeSync refuses too.
	for _, bad := range []string{`[]`, `{"rooms":[]}`, `{"rooms":{"join":[]}}`, `{"next_batch":1}`, `{"rooms":{"join":{"!a:x":{}}}} x`, `{`} {
		if _, err := decodeSync(bytes.NewReader([]byte(bad)), "", 0); err == nil {
			t.Errorf("decodeSync accepted %s", bad)
		}
	}
	// And a room mautrix refuses is refused when its turn comes.
	for _, bad := range []string{`"x"`, `[1]`, `true`, `7`} {
		for _, room := range []string{`{"timeline":{"events":[{"type":"m.room.message","content":` + bad + `}]}}`,
			`{"state":{"events":[{"type":"m.room.name","state_key":"","content":{},"unsigned":` + bad + `}]}}`} {
			body := `{"next_batch":"s","rooms":{"join":{"!a:x":` + room + `},"leave":{"!b:x":` + room + `}}}`
			var m mautrix.RespSync
			if json.Unmarshal([]byte(body), &m) == nil {
				t.Fatalf("mautrix accepts %s", body)
			}
			b, err := decodeSync(bytes.NewReader([]byte(body)), "", 0)
			if err != nil {
				t.Fatal(err)
			}
			for i := range b.rooms {
				if err := b.rooms[i].decode(); err == nil {
					t.Errorf("room %s decoded from %s", b.rooms[i].id, body)
				}
			}
		}
	}
}

// FuzzDecodeSync: whatever mautrix decodes, decodeSync decodes the same.
func FuzzDecodeSync(f *testing.F) {
	for _, s := range handMadeSyncs {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsMautrix(t, data, "")
		sameAsMautrix(t, data, dir)
		if b, err := decodeSync(bytes.NewReader(data), "", 0); err == nil {
			_ = b.chunks(64)
			_ = b.encryptedSenders()
		}
	})
}

// prepare encodes for the store only the events the apply will not
// change, and exactly as the apply would.
func TestPrepareEncodesWhatTheApplyKeeps(t *testing.T) {
	body := `{"next_batch":"s","rooms":{"join":{"!r:x":{
	  "state":{"events":[{"type":"m.room.name","state_key":"","sender":"@a:x","event_id":"$n","content":{"name":"n"}}]},
	  "timeline":{"events":[
	    {"type":"m.room.message","sender":"@a:x","event_id":"$m","origin_server_ts":1,"content":{"msgtype":"m.text","body":"hi"},"unsigned":{"age":5}},
	    {"type":"m.room.encrypted","sender":"@a:x","event_id":"$e","content":{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"c","session_id":"s"}},
	    {"type":"m.room.topic","state_key":"","sender":"@a:x","event_id":"$t","content":{"topic":"t"}},
	    {"type":"m.room.message","sender":"@a:x","content":{"body":"no id"}}]}}}}}`
	b, err := decodeSync(bytes.NewReader([]byte(body)), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := decodeChunk(b.rooms); err != nil {
		t.Fatal(err)
	}
	r := b.rooms[0]
	want := func(ev *event.Event) []byte {
		data, err := encodeEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	if got := encodedAt(r.encoded.state, 0); !bytes.Equal(got, want(r.join.State.Events[0])) {
		t.Errorf("state event encoded as %s", got)
	}
	tl := r.join.Timeline.Events
	if got := encodedAt(r.encoded.timeline, 0); !bytes.Equal(got, want(tl[0])) {
		t.Errorf("message encoded as %s", got)
	}
	for i, why := range map[int]string{1: "encrypted (decrypted by the apply)", 2: "state (previous content filled by the apply)", 3: "without an ID (skipped)"} {
		if got := encodedAt(r.encoded.timeline, i); got != nil {
			t.Errorf("timeline event %d, %s, encoded ahead: %s", i, why, got)
		}
	}
	r.release()
	if r.encoded.state != nil || r.encoded.timeline != nil {
		t.Error("release kept the encodings")
	}
}
