// Package synthhs is a synthetic Matrix homeserver for load: it serves a
// generated account (many rooms with realistic state, timelines, DMs and
// unread counts) and a steady trickle of new messages, enough of the
// client-server API for termatrix to log in, sync and open rooms. It exists
// only to drive benchmarks (cmd/bench); it proves nothing about
// correctness: the tests talk to a real Dendrite (internal/teststack).
package synthhs

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Shape says what account to generate.
type Shape struct {
	Rooms          int // rooms the user is in
	EventsPerRoom  int // timeline events per room in the initial sync
	MembersPerRoom int // joined members per group room (DMs have 2)
	DMEvery        int // every DMEvery-th room is a DM (0: none)
	Seed           uint64
}

// DefaultShape is the account of issue 8: 1,000 rooms of 100 events.
var DefaultShape = Shape{Rooms: 1000, EventsPerRoom: 100, MembersPerRoom: 8, DMEvery: 5, Seed: 1}

// Server name and the benchmarked user.
const (
	ServerName = "synth.test"
	UserID     = "@bench:" + ServerName
	Password   = "bench-password"
)

// room is one generated room: its ID, name and state, and its timeline
// as raw events.
type room struct {
	id       string
	name     string
	dm       bool
	other    string // the DM's other user
	state    []json.RawMessage
	timeline []json.RawMessage
	lastTS   int64
	unread   int
}

var words = strings.Fields(`the a meeting tomorrow lunch deploy build failed passed review merge branch release notes ` +
	`coffee weekend plan ticket bug fix crash log server client call voice video link doc draft idea ` +
	`thanks sure ok great see you later morning afternoon please check this when you can I think we should`)

// sentence makes a message body of n words.
func sentence(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.String()
}

func user(i int) string { return fmt.Sprintf("@user%04d:%s", i, ServerName) }

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func stateEvent(roomID, typ, stateKey, sender string, ts int64, content map[string]any) json.RawMessage {
	return mustJSON(map[string]any{
		"type": typ, "state_key": stateKey, "sender": sender, "origin_server_ts": ts,
		"event_id": eventID(roomID, typ+"|"+stateKey),
		"content":  content, "room_id": roomID,
	})
}

// eventID makes a stable, unique event ID from a room and a key.
func eventID(roomID, key string) string {
	h := uint64(14695981039346656037)
	for _, c := range roomID + "|" + key {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return fmt.Sprintf("$%016x%s", h, strings.SplitN(strings.TrimPrefix(roomID, "!"), ":", 2)[0])
}

// messageEvent makes one m.room.message event.
func messageEvent(roomID, evID, sender string, ts int64, body string) json.RawMessage {
	return mustJSON(map[string]any{
		"type": "m.room.message", "sender": sender, "origin_server_ts": ts, "event_id": evID, "room_id": roomID,
		"content":  map[string]any{"msgtype": "m.text", "body": body},
		"unsigned": map[string]any{"age": 1000},
	})
}

// generate builds the account's rooms.
func generate(s Shape, baseTS int64) []*room {
	r := rand.New(rand.NewPCG(s.Seed, s.Seed^0x9e3779b97f4a7c15))
	rooms := make([]*room, s.Rooms)
	userN := 0
	for i := range rooms {
		rm := &room{id: fmt.Sprintf("!room%05d:%s", i, ServerName)}
		rm.dm = s.DMEvery > 0 && i%s.DMEvery == 0
		var members []string
		if rm.dm {
			userN++
			rm.other = user(userN)
			members = []string{rm.other}
		} else {
			rm.name = fmt.Sprintf("Bench room %04d %s", i, sentence(r, 2))
			for j := 0; j < s.MembersPerRoom-1; j++ {
				members = append(members, user(r.IntN(s.Rooms*2)+1))
			}
		}
		creator := members[0]
		ts := baseTS - int64(s.Rooms-i)*60_000 - int64(s.EventsPerRoom)*1000
		rm.state = append(rm.state,
			stateEvent(rm.id, "m.room.create", "", creator, ts, map[string]any{"creator": creator, "room_version": "10"}),
			stateEvent(rm.id, "m.room.power_levels", "", creator, ts+1, map[string]any{
				"users": map[string]any{creator: 100}, "events_default": 0, "state_default": 50, "redact": 50, "users_default": 0}),
			stateEvent(rm.id, "m.room.join_rules", "", creator, ts+2, map[string]any{"join_rule": "invite"}),
			stateEvent(rm.id, "m.room.history_visibility", "", creator, ts+3, map[string]any{"history_visibility": "shared"}),
		)
		if rm.name != "" {
			rm.state = append(rm.state,
				stateEvent(rm.id, "m.room.name", "", creator, ts+4, map[string]any{"name": rm.name}),
				stateEvent(rm.id, "m.room.topic", "", creator, ts+5, map[string]any{"topic": sentence(r, 12)}))
		}
		for k, m := range append([]string{UserID}, members...) {
			content := map[string]any{"membership": "join", "displayname": strings.TrimPrefix(strings.SplitN(m, ":", 2)[0], "@")}
			if m == UserID {
				content["displayname"] = "Bench"
			}
			rm.state = append(rm.state, stateEvent(rm.id, "m.room.member", m, m, ts+10+int64(k), content))
		}
		senders := append([]string{UserID}, members...)
		for e := 0; e < s.EventsPerRoom; e++ {
			ts := ts + 1000 + int64(e)*1000
			rm.timeline = append(rm.timeline, messageEvent(rm.id, eventID(rm.id, fmt.Sprint("m", e)), senders[r.IntN(len(senders))], ts, sentence(r, 4+r.IntN(30))))
			rm.lastTS = ts
		}
		if r.IntN(3) == 0 {
			rm.unread = 1 + r.IntN(9)
		}
		rooms[i] = rm
	}
	return rooms
}
