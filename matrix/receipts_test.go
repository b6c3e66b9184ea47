package matrix

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// receiptEvent is an m.receipt ephemeral event of raw content.
func receiptEvent(t testing.TB, content any) *event.Event {
	t.Helper()
	raw, err := json.Marshal(content)
	if err != nil {
		t.Fatal(err)
	}
	ev := &event.Event{Type: event.EphemeralEventReceipt}
	ev.Content.VeryRaw = raw
	return ev
}

func receiptsOf(ups []Update) *ReceiptsChanged {
	for _, u := range ups {
		if rc, ok := u.(ReceiptsChanged); ok {
			return &rc
		}
	}
	return nil
}

// TestReceiptsStoredAndRestored: others' public receipts and our own
// private one are stored in the sync transaction, published, moved by
// newer ones, never by older ones, and read back after a restart; thread
// receipts and others' private ones are not kept.
func TestReceiptsStoredAndRestored(t *testing.T) {
	c, path := openTemp(t, offlineSession(), Options{})
	bob := id.UserID("@bob:localhost")
	tl := []*event.Event{msgEvent(t, bob, "$1", 10, "one"), msgEvent(t, bob, "$2", 11, "two")}
	resp := joinedSync("s1", testRoom, nil, tl, "p0", false)
	resp.Rooms.Join[testRoom].Ephemeral.Events = []*event.Event{receiptEvent(t, map[string]any{
		"$1": map[string]any{
			"m.read":         map[string]any{"@bob:localhost": map[string]any{"ts": 100}, "@carol:localhost": map[string]any{"ts": 100, "thread_id": "$t"}},
			"m.read.private": map[string]any{"@me:localhost": map[string]any{"ts": 100}, "@dave:localhost": map[string]any{"ts": 100}},
		},
	})}
	rc := receiptsOf(apply(t, c, resp))
	if rc == nil || rc.RoomID != testRoom || len(rc.Receipts) != 2 || rc.Receipts[bob].EventID != "$1" || rc.Receipts["@me:localhost"].EventID != "$1" {
		t.Fatalf("ReceiptsChanged %+v, want bob's and mine on $1", rc)
	}
	// Bob reads $2; an older receipt of ours (ts 50) does not move ours.
	resp = joinedSync("s2", testRoom, nil, nil, "", false)
	resp.Rooms.Join[testRoom].Ephemeral.Events = []*event.Event{receiptEvent(t, map[string]any{
		"$2": map[string]any{"m.read": map[string]any{"@bob:localhost": map[string]any{"ts": 200}, "@me:localhost": map[string]any{"ts": 50}}},
	})}
	rc = receiptsOf(apply(t, c, resp))
	if rc == nil || len(rc.Receipts) != 1 || rc.Receipts[bob].EventID != "$2" || rc.Receipts[bob].TS.UnixMilli() != 200 {
		t.Fatalf("ReceiptsChanged %+v, want bob's alone on $2", rc)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c2, err := Open(context.Background(), offlineSession(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	got, err := c2.Receipts(testRoom)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[bob].EventID != "$2" || got["@me:localhost"].EventID != "$1" {
		t.Fatalf("receipts after restart %+v", got)
	}
}

// TestHasReadFromOwnReceipt: our stored receipt covers its event and the
// events before it, not those after it; without one nothing is read.
func TestHasReadFromOwnReceipt(t *testing.T) {
	c, _ := openTemp(t, offlineSession(), Options{})
	bob := id.UserID("@bob:localhost")
	tl := []*event.Event{msgEvent(t, bob, "$1", 10, "one"), msgEvent(t, bob, "$2", 11, "two"), msgEvent(t, bob, "$3", 12, "three")}
	apply(t, c, joinedSync("s1", testRoom, nil, tl, "p0", false))
	hasRead := func(ev id.EventID) bool {
		t.Helper()
		read, err := c.HasRead(context.Background(), testRoom, ev)
		if err != nil {
			t.Fatal(err)
		}
		return read
	}
	if hasRead("$1") || hasRead("$3") {
		t.Fatal("read without a receipt of ours")
	}
	resp := joinedSync("s2", testRoom, nil, nil, "", false)
	resp.Rooms.Join[testRoom].Ephemeral.Events = []*event.Event{receiptEvent(t, map[string]any{
		"$2": map[string]any{"m.read": map[string]any{"@me:localhost": map[string]any{"ts": 100}, "@bob:localhost": map[string]any{"ts": 100}}},
		"$3": map[string]any{"m.read": map[string]any{"@bob:localhost": map[string]any{"ts": 101}}},
	})}
	apply(t, c, resp)
	if !hasRead("$1") || !hasRead("$2") {
		t.Error("our receipt on $2 does not cover $1 and $2")
	}
	if hasRead("$3") {
		t.Error("our receipt on $2 covers $3 (bob's receipt taken for ours?)")
	}
	if hasRead("$unknown") {
		t.Error("an event not stored is read")
	}
}

// TestReceiptsHostile: a receipt event naming ten thousand users, IDs of
// a megabyte and control characters is stored within bounds: the IDs the
// spec forbids are dropped, the rest kept as data (the UI sanitizes).
func TestReceiptsHostile(t *testing.T) {
	c, _ := openTemp(t, offlineSession(), Options{})
	apply(t, c, joinedSync("s1", testRoom, nil, []*event.Event{msgEvent(t, "@bob:localhost", "$1", 10, "one")}, "p0", false))
	users := map[string]any{}
	for i := 0; i < 10000; i++ {
		users[fmt.Sprintf("@u%d\x1b]0;x\x07:hs", i)] = map[string]any{"ts": i}
	}
	users["@"+strings.Repeat("a", 1<<20)+":hs"] = map[string]any{"ts": 1}
	users["@ts:hs"] = map[string]any{"ts": "not a number"}
	content := map[string]any{
		"$1":                             map[string]any{"m.read": users},
		"$" + strings.Repeat("e", 1<<20): map[string]any{"m.read": map[string]any{"@x:hs": map[string]any{}}},
		"$3":                             "not a map",
	}
	resp := joinedSync("s2", testRoom, nil, nil, "", false)
	resp.Rooms.Join[testRoom].Ephemeral.Events = []*event.Event{receiptEvent(t, content)}
	rc := receiptsOf(apply(t, c, resp))
	if rc != nil {
		t.Fatalf("a malformed receipt event was not skipped whole: %d receipts", len(rc.Receipts))
	}
	delete(content, "$3")
	resp = joinedSync("s3", testRoom, nil, nil, "", false)
	resp.Rooms.Join[testRoom].Ephemeral.Events = []*event.Event{receiptEvent(t, content)}
	rc = receiptsOf(apply(t, c, resp))
	if rc == nil || len(rc.Receipts) != 10001 {
		t.Fatalf("got %v receipts, want the 10,000 users and @ts:hs", rc)
	}
	for u, r := range rc.Receipts {
		if len(u) > maxReceiptID || len(r.EventID) > maxReceiptID {
			t.Fatalf("an over-long ID was kept (%d, %d bytes)", len(u), len(r.EventID))
		}
	}
}

// FuzzParseReceipts: any content parses without panicking, and every
// receipt it yields is of a read type.
func FuzzParseReceipts(f *testing.F) {
	for _, s := range []string{
		`{"$1":{"m.read":{"@a:x":{"ts":5}}}}`,
		`{"$1":{"m.read":{"@a:x":{"ts":"x","thread_id":"main"}},"m.read.private":{"@me:x":{}}}}`,
		`{"$1":{"m.read":null},"$2":{}}`,
		`{"$1":"x"}`, `[]`, `null`, `{"$1":{"m.read":{"@a:x":{"ts":1e400}}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, r := range parseReceipts(data) {
			if r.Type != "m.read" && r.Type != "m.read.private" {
				t.Fatalf("receipt of type %q", r.Type)
			}
		}
		ev := &event.Event{Type: event.EphemeralEventReceipt}
		ev.Content.VeryRaw = data
		for u, r := range latestReceipts([]*event.Event{ev}, "@me:x") {
			if u == "" || len(u) > maxReceiptID || r.EventID == "" || len(r.EventID) > maxReceiptID {
				t.Fatalf("kept %q on %q", u, r.EventID)
			}
		}
	})
}
