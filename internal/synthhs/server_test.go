package synthhs

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// The generated account decodes as a real /sync does, and a posted
// message comes back in the next incremental sync.
func TestServesAnAccount(t *testing.T) {
	s, err := Start(Shape{Rooms: 20, EventsPerRoom: 10, MembersPerRoom: 4, DMEvery: 5, Seed: 3}, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	get := func(q string) mautrix.RespSync {
		t.Helper()
		resp, err := http.Get(s.URL + "/_matrix/client/v3/sync" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rs mautrix.RespSync
		if err := json.NewDecoder(resp.Body).Decode(&rs); err != nil {
			t.Fatal(err)
		}
		return rs
	}
	rs := get("")
	if len(rs.Rooms.Join) != 20 {
		t.Fatalf("%d rooms", len(rs.Rooms.Join))
	}
	for id, r := range rs.Rooms.Join {
		if len(r.Timeline.Events) != 10 || len(r.State.Events) < 5 {
			t.Fatalf("room %s: %d events, %d state", id, len(r.Timeline.Events), len(r.State.Events))
		}
	}
	if idle := get("?since=" + rs.NextBatch + "&timeout=30000"); len(idle.Rooms.Join) != 0 || idle.NextBatch != rs.NextBatch {
		t.Fatalf("idle sync: %+v", idle)
	}
	s.Post(s.RoomIDs()[3], "hello")
	next := get("?since=" + rs.NextBatch + "&timeout=30000")
	if r := next.Rooms.Join[mautrixRoom(s.RoomIDs()[3])]; r == nil || len(r.Timeline.Events) != 1 {
		t.Fatalf("posted message not synced: %+v", next.Rooms.Join)
	}
}

func mautrixRoom(s string) id.RoomID { return id.RoomID(s) }
