package ui

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// hostileInput is one input of the corpus: events the homeserver sends
// in one go, and who is typing afterwards.
type hostileInput struct {
	Name   string            `json:"name"`
	Events []json.RawMessage `json:"events"`
	Typing []id.UserID       `json:"typing"`
	// built holds events made in code (nesting too deep to parse).
	built []*event.Event
	// room, when set, is a room list entry to show (a room name or
	// topic too big for a file).
	room *roomInfo
}

type roomInfo struct{ name, topic string }

// loadHostileCorpus reads ui/testdata/hostile/*.json.
func loadHostileCorpus(t *testing.T) []hostileInput {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "hostile", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	sort.Strings(files)
	var all []hostileInput
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ins []hostileInput
		if err := json.Unmarshal(data, &ins); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i := range ins {
			ins[i].Name = filepath.Base(f) + ": " + ins[i].Name
		}
		all = append(all, ins...)
	}
	return all
}

// wrongValues are values of every JSON type that a field may wrongly
// hold, the last a hostile string.
var wrongValues = []any{123, -1.5e308, true, nil, map[string]any{"x": map[string]any{"y": 1}}, []any{"a", 2}, "",
	"\x1b[2J\x1b]0;pwn\x07[#ff00ff]x[-]\u202e\u009b31m"}

// wrongTypeFields lists, per event type, a valid content and the fields
// that get each wrong value in turn.
var wrongTypeFields = []struct {
	typ      string
	stateKey *string
	base     map[string]any
	fields   []string
}{
	{"m.room.message", nil, map[string]any{"msgtype": "m.text", "body": "b"},
		[]string{"msgtype", "body", "format", "formatted_body", "url", "info", "m.relates_to", "m.new_content", "geo_uri", "filename"}},
	{"m.room.message", nil, map[string]any{"msgtype": "m.image", "body": "i.png", "url": "mxc://hs/x", "info": map[string]any{"w": 1}},
		[]string{"url", "info", "file"}},
	{"m.sticker", nil, map[string]any{"body": "s", "url": "mxc://hs/s"}, []string{"body", "url", "info"}},
	{"m.reaction", nil, map[string]any{"m.relates_to": map[string]any{"rel_type": "m.annotation", "event_id": "$alice1", "key": "👍"}}, []string{"m.relates_to"}},
	{"m.room.encrypted", nil, map[string]any{"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "x", "session_id": "s", "sender_key": "k", "device_id": "D"},
		[]string{"algorithm", "ciphertext", "session_id", "sender_key", "device_id"}},
	{"m.room.redaction", nil, map[string]any{"redacts": "$alice1"}, []string{"redacts", "reason"}},
	{"m.room.name", ptr(""), map[string]any{"name": "n"}, []string{"name"}},
	{"m.room.topic", ptr(""), map[string]any{"topic": "t"}, []string{"topic", "m.topic"}},
	{"m.room.avatar", ptr(""), map[string]any{"url": "mxc://hs/a"}, []string{"url", "info"}},
	{"m.room.canonical_alias", ptr(""), map[string]any{"alias": "#a:hs"}, []string{"alias", "alt_aliases"}},
	{"m.room.join_rules", ptr(""), map[string]any{"join_rule": "public"}, []string{"join_rule", "allow"}},
	{"m.room.history_visibility", ptr(""), map[string]any{"history_visibility": "shared"}, []string{"history_visibility"}},
	{"m.room.guest_access", ptr(""), map[string]any{"guest_access": "forbidden"}, []string{"guest_access"}},
	{"m.room.encryption", ptr(""), map[string]any{"algorithm": "m.megolm.v1.aes-sha2"}, []string{"algorithm", "rotation_period_ms"}},
	{"m.room.power_levels", ptr(""), map[string]any{"users": map[string]any{"@alice:hs": 100}},
		[]string{"users", "users_default", "events", "events_default", "state_default", "redact", "ban", "kick", "invite", "notifications"}},
	{"m.room.member", ptr("@wrong:hs"), map[string]any{"membership": "join", "displayname": "w"},
		[]string{"membership", "displayname", "avatar_url", "reason", "is_direct", "third_party_invite"}},
	{"m.room.pinned_events", ptr(""), map[string]any{"pinned": []any{"$alice1"}}, []string{"pinned"}},
	{"m.room.create", ptr(""), map[string]any{"room_version": "10"}, []string{"creator", "room_version", "type", "predecessor"}},
	{"m.room.tombstone", ptr(""), map[string]any{"body": "moved", "replacement_room": "!new:hs"}, []string{"body", "replacement_room"}},
	{"m.call.invite", nil, map[string]any{"call_id": "w1", "version": "1", "party_id": "p", "lifetime": 60000, "offer": map[string]any{"type": "offer", "sdp": "v=0"}},
		[]string{"call_id", "version", "party_id", "lifetime", "offer", "invitee", "sdp_stream_metadata"}},
	{"m.call.answer", nil, map[string]any{"call_id": "w1", "version": "1", "party_id": "p", "answer": map[string]any{"type": "answer", "sdp": "v=0"}},
		[]string{"call_id", "answer", "version"}},
	{"m.call.hangup", nil, map[string]any{"call_id": "w1", "version": "1", "party_id": "p"}, []string{"call_id", "reason"}},
	{"m.call.reject", nil, map[string]any{"call_id": "w1", "version": "1", "party_id": "p"}, []string{"call_id", "reason"}},
	{"m.call.candidates", nil, map[string]any{"call_id": "w1", "version": "1", "candidates": []any{}}, []string{"call_id", "candidates"}},
	{"im.vector.modular.widgets", ptr("wx"), map[string]any{"type": "jitsi", "url": "https://meet.example.org/x", "name": "Meet",
		"data": map[string]any{"domain": "meet.example.org", "conferenceId": "JitsiX"}}, []string{"type", "url", "name", "data", "creatorUserId"}},
}

// generatedInputs are the inputs made in code: every field of
// wrongTypeFields with every wrong value, and huge and deep content.
func generatedInputs() []hostileInput {
	var out []hostileInput
	for _, w := range wrongTypeFields {
		for _, f := range w.fields {
			for _, v := range wrongValues {
				content := map[string]any{}
				for k, bv := range w.base {
					content[k] = bv
				}
				content[f] = v
				ev := map[string]any{"type": w.typ, "sender": "@mallory:hs", "content": content}
				if w.stateKey != nil {
					ev["state_key"] = *w.stateKey
				}
				data, _ := json.Marshal(ev)
				out = append(out, hostileInput{Name: fmt.Sprintf("wrong type: %s %s=%T", w.typ, f, v), Events: []json.RawMessage{data}})
			}
		}
	}
	raw := func(name string, content map[string]any) hostileInput {
		data, _ := json.Marshal(map[string]any{"type": "m.room.message", "sender": "@mallory:hs", "content": content})
		return hostileInput{Name: name, Events: []json.RawMessage{data}}
	}
	out = append(out,
		raw("1 MB body", map[string]any{"msgtype": "m.text", "body": strings.Repeat("0123456789abcde\n", 1<<16)}),
		raw("1 MB line", map[string]any{"msgtype": "m.text", "body": strings.Repeat("x", 1<<20)}),
		raw("100k-line body", map[string]any{"msgtype": "m.text", "body": strings.Repeat("l\n", 100000)}),
		raw("10k nested blockquotes", map[string]any{"msgtype": "m.text", "body": "deep", "format": "org.matrix.custom.html",
			"formatted_body": strings.Repeat("<blockquote>", 10000) + "deep" + strings.Repeat("</blockquote>", 10000)}),
		raw("10k nested lists", map[string]any{"msgtype": "m.text", "body": "deep", "format": "org.matrix.custom.html",
			"formatted_body": strings.Repeat("<ul><li>", 10000) + "deep"}),
	)
	// 10 000 levels of JSON nesting: deeper than encoding/json parses in
	// an event, so built as the parsed content would be.
	var deep any = "bottom"
	for i := 0; i < 10000; i++ {
		deep = map[string]any{"m.relates_to": deep, "body": deep}
	}
	for _, typ := range []string{"m.room.message", "m.call.invite", "im.vector.modular.widgets", "m.room.member"} {
		ev := &event.Event{Type: event.Type{Type: typ}, Sender: "@mallory:hs",
			Content: event.Content{Raw: map[string]any{"msgtype": "m.text", "body": deep, "m.relates_to": deep, "offer": deep, "url": deep, "data": deep, "displayname": deep}}}
		if typ == "im.vector.modular.widgets" || typ == "m.room.member" {
			ev.StateKey = ptr("@deep:hs")
		}
		out = append(out, hostileInput{Name: "10k nested " + typ, built: []*event.Event{ev}})
	}
	huge := strings.Repeat("Ж", 5<<10)
	hugeMember, _ := json.Marshal(map[string]any{"type": "m.room.member", "state_key": "@huge:hs", "sender": "@huge:hs",
		"content": map[string]any{"membership": "join", "displayname": huge}})
	hugeMsg, _ := json.Marshal(map[string]any{"type": "m.room.message", "sender": "@huge:hs", "content": map[string]any{"msgtype": "m.text", "body": "from huge"}})
	out = append(out,
		hostileInput{Name: "10 KB display name", Events: []json.RawMessage{hugeMember, hugeMsg}, Typing: []id.UserID{"@huge:hs"}},
		hostileInput{Name: "10 KB room name, 1 MB topic", room: &roomInfo{name: "R" + huge, topic: strings.Repeat("topic ", 1<<17)}},
	)
	return out
}
