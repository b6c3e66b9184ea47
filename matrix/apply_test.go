package matrix

import (
	"context"
	"fmt"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

const testRoom = id.RoomID("!r:localhost")

func TestApplySyncDedupeAndOrder(t *testing.T) {
	c, _ := openTemp(t, offlineSession(), Options{})
	other := id.UserID("@bob:localhost")
	state := []*event.Event{
		mkEvent(t, "m.room.create", sk(""), other, "$c", 1, map[string]any{}),
		memberEvent(t, other, "join", "Bob", 2),
		memberEvent(t, "@me:localhost", "join", "Me", 3),
	}
	tl := []*event.Event{msgEvent(t, other, "$1", 10, "one"), msgEvent(t, other, "$2", 11, "two")}
	ups := apply(t, c, joinedSync("s1", testRoom, state, tl, "p0", false))
	if countType[TimelineAppended](ups) != 1 || countType[StateChanged](ups) != 3 || countType[RoomsChanged](ups) != 1 {
		t.Errorf("first sync updates: %#v", ups)
	}
	// The same events again (a retried sync) plus a new one: stored once.
	tl2 := []*event.Event{msgEvent(t, other, "$2", 11, "two"), msgEvent(t, other, "$3", 12, "three")}
	ups = apply(t, c, joinedSync("s2", testRoom, nil, tl2, "p1", false))
	var appended []*event.Event
	for _, u := range ups {
		if ta, ok := u.(TimelineAppended); ok {
			appended = append(appended, ta.Events...)
		}
	}
	if len(appended) != 1 || appended[0].ID != "$3" {
		t.Errorf("second sync appended %v, want only $3", ids(appended))
	}
	evs, err := c.Timeline(testRoom, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ids(evs)); got != "[$1 $2 $3]" {
		t.Errorf("timeline %s", got)
	}
	if evs[0].Content.AsMessage().Body != "one" || evs[0].RoomID != testRoom || evs[0].Type != event.EventMessage {
		t.Errorf("stored event not prepared: %+v", evs[0])
	}
	r, ok := c.Room(testRoom)
	if !ok || r.Name != "Bob" || r.LastActivity.UnixMilli() != 12 || r.JoinedMembers != 2 {
		t.Errorf("room %+v", r)
	}
	if c.since != "s2" {
		t.Errorf("since %q", c.since)
	}
	if got := c.DisplayName(testRoom, other); got != "Bob" {
		t.Errorf("DisplayName %q", got)
	}
}

func TestApplySyncLimitedResetsAndTrim(t *testing.T) {
	c, _ := openTemp(t, offlineSession(), Options{TimelineLimit: 5})
	other := id.UserID("@bob:localhost")
	var tl []*event.Event
	for i := 0; i < 4; i++ {
		tl = append(tl, msgEvent(t, other, fmt.Sprintf("$a%d", i), int64(i), "a"))
	}
	apply(t, c, joinedSync("s1", testRoom, nil, tl, "tokA", false))
	// Batches of 2 with their own tokens: the store keeps at least 5,
	// cutting only where a token is known.
	for b := 0; b < 3; b++ {
		tl = []*event.Event{
			msgEvent(t, other, fmt.Sprintf("$b%d0", b), int64(100+b*2), "b"),
			msgEvent(t, other, fmt.Sprintf("$b%d1", b), int64(101+b*2), "b"),
		}
		apply(t, c, joinedSync(fmt.Sprintf("s%d", b+2), testRoom, nil, tl, fmt.Sprintf("tokB%d", b), false))
	}
	evs, _ := c.Timeline(testRoom, 100)
	if got := fmt.Sprint(ids(evs)); got != "[$b00 $b01 $b10 $b11 $b20 $b21]" {
		t.Errorf("after trim: %s", got)
	}
	// Events the UI was given are never trimmed away under it.
	tl = []*event.Event{msgEvent(t, other, "$b30", 110, "b"), msgEvent(t, other, "$b31", 111, "b")}
	apply(t, c, joinedSync("s5", testRoom, nil, tl, "tokB3", false))
	evs, _ = c.Timeline(testRoom, 100)
	if got := fmt.Sprint(ids(evs)); got != "[$b00 $b01 $b10 $b11 $b20 $b21 $b30 $b31]" {
		t.Errorf("trimmed below what was shown: %s", got)
	}
	c.mu.Lock()
	delete(c.shownFrom, testRoom)
	c.mu.Unlock()
	apply(t, c, joinedSync("s6", testRoom, nil, []*event.Event{msgEvent(t, other, "$b40", 120, "b")}, "tokB4", false))
	evs, _, _ = loadTimeline(context.Background(), c.db, testRoom, noSeq, 100)
	if got := fmt.Sprint(ids(evs)); got != "[$b20 $b21 $b30 $b31 $b40]" {
		t.Errorf("after trim: %s", got)
	}
	if c.rooms[testRoom].PrevBatch != "tokB2" {
		t.Errorf("prev_batch %q, want tokB2", c.rooms[testRoom].PrevBatch)
	}
	// A limited batch means a gap: the stored timeline starts afresh.
	tl = []*event.Event{msgEvent(t, other, "$c0", 200, "c")}
	ups := apply(t, c, joinedSync("s9", testRoom, nil, tl, "tokC", true))
	reset := false
	for _, u := range ups {
		if ta, ok := u.(TimelineAppended); ok && ta.Reset {
			reset = true
		}
	}
	if !reset {
		t.Error("no Reset after a limited sync")
	}
	evs, _ = c.Timeline(testRoom, 100)
	if got := fmt.Sprint(ids(evs)); got != "[$c0]" || c.rooms[testRoom].PrevBatch != "tokC" {
		t.Errorf("after gap: %s prev %q", got, c.rooms[testRoom].PrevBatch)
	}
}

func TestApplySyncInviteJoinLeave(t *testing.T) {
	c, _ := openTemp(t, offlineSession(), Options{})
	me := id.UserID("@me:localhost")
	bob := id.UserID("@bob:localhost")
	inv := mkEvent(t, "m.room.member", sk(string(me)), bob, "", 0, map[string]any{"membership": "invite", "is_direct": true})
	resp := &mautrix.RespSync{NextBatch: "s1", Rooms: mautrix.RespSyncRooms{Invite: map[id.RoomID]*mautrix.SyncInvitedRoom{
		testRoom: {State: mautrix.SyncEventsList{Events: []*event.Event{memberEvent(t, bob, "join", "Bob", 1), inv}}},
	}}}
	apply(t, c, resp)
	r, ok := c.Room(testRoom)
	if !ok || r.Membership != event.MembershipInvite || r.Inviter != bob || !r.IsDM || r.Name != "Bob" {
		t.Fatalf("invite room %+v", r)
	}
	apply(t, c, joinedSync("s2", testRoom, []*event.Event{memberEvent(t, bob, "join", "Bob", 1)},
		[]*event.Event{memberEvent(t, me, "join", "Me", 5)}, "p", false))
	r, _ = c.Room(testRoom)
	if r.Membership != event.MembershipJoin || r.Inviter != "" {
		t.Errorf("joined room %+v", r)
	}
	evs, _ := c.Timeline(testRoom, 0)
	if len(evs) != 1 || evs[0].StateKey == nil {
		t.Errorf("membership not in the timeline: %v", ids(evs))
	}
	apply(t, c, &mautrix.RespSync{NextBatch: "s3", Rooms: mautrix.RespSyncRooms{Leave: map[id.RoomID]*mautrix.SyncLeftRoom{testRoom: {}}}})
	if _, ok := c.Room(testRoom); ok || len(c.Rooms()) != 0 {
		t.Error("left room still listed")
	}
	if evs, _ := c.Timeline(testRoom, 0); len(evs) != 0 {
		t.Error("left room's timeline kept")
	}
}

func TestApplySyncSignals(t *testing.T) {
	c, _ := openTemp(t, offlineSession(), Options{})
	me := id.UserID("@me:localhost")
	bob := id.UserID("@bob:localhost")
	apply(t, c, joinedSync("s1", testRoom, []*event.Event{memberEvent(t, me, "join", "Mia", 1)}, nil, "", false))
	call := mkEvent(t, "m.call.invite", nil, bob, "$call", 5, map[string]any{"call_id": "c1", "version": "1"})
	call.Unsigned.Age = 1500
	widget := mkEvent(t, "im.vector.modular.widgets", sk("w1"), bob, "$w", 6, map[string]any{"type": "jitsi"})
	resp := joinedSync("s2", testRoom, nil, []*event.Event{
		call, widget,
		msgEvent(t, bob, "$plain", 7, "hello all"),
		msgEvent(t, bob, "$hl", 8, "hey mia, look"),
		msgEvent(t, me, "$mine", 9, "mia here"),
	}, "p", false)
	resp.Rooms.Join[testRoom].Ephemeral.Events = []*event.Event{
		mkEvent(t, "m.typing", nil, "", "", 0, map[string]any{"user_ids": []string{string(bob), string(me)}}),
	}
	ups := apply(t, c, resp)
	var calls []CallSignal
	var notes []Notify
	var typing []TypingChanged
	widgetState := false
	for _, u := range ups {
		switch u := u.(type) {
		case CallSignal:
			calls = append(calls, u)
		case Notify:
			notes = append(notes, u)
		case TypingChanged:
			typing = append(typing, u)
		case StateChanged:
			widgetState = widgetState || u.Event.Type.Type == "im.vector.modular.widgets"
		}
	}
	if len(calls) != 1 || calls[0].Age.Milliseconds() != 1500 || calls[0].Event.ID != "$call" {
		t.Errorf("call signals %+v", calls)
	}
	if !widgetState || c.StateEvent(testRoom, event.Type{Type: "im.vector.modular.widgets"}, "w1") == nil {
		t.Error("widget state not applied")
	}
	if len(notes) != 1 || notes[0].Event.ID != "$hl" || !notes[0].Highlight {
		t.Errorf("notifications %+v", notes)
	}
	if len(typing) != 1 || len(typing[0].UserIDs) != 1 || typing[0].UserIDs[0] != bob {
		t.Errorf("typing %+v", typing)
	}
	// m.direct makes the room a DM: every message from others notifies.
	dm := mkEvent(t, "m.direct", nil, "", "", 0, map[string]any{string(bob): []string{string(testRoom)}})
	resp = joinedSync("s3", testRoom, nil, []*event.Event{msgEvent(t, bob, "$dm", 10, "psst")}, "p", false)
	resp.AccountData.Events = []*event.Event{dm}
	ups = apply(t, c, resp)
	found := false
	for _, u := range ups {
		if n, ok := u.(Notify); ok && n.DM && n.Event.ID == "$dm" {
			found = true
		}
	}
	if r, _ := c.Room(testRoom); !found || !r.IsDM {
		t.Errorf("DM notify %v, room %+v", found, r)
	}
}

func TestApplySyncFailureKeepsState(t *testing.T) {
	c, _ := openTemp(t, offlineSession(), Options{})
	apply(t, c, joinedSync("s1", testRoom, nil, []*event.Event{msgEvent(t, "@b:localhost", "$1", 1, "x")}, "p", false))
	// A sync applied against an outdated since token is refused whole.
	if _, err := c.applySync(context.Background(), joinedSync("s2", testRoom, nil, nil, "", false), "old"); err == nil {
		t.Error("stale sync applied")
	}
	// A cancelled context fails the transaction: nothing changes.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.applySync(ctx, joinedSync("s2", testRoom, nil, []*event.Event{msgEvent(t, "@b:localhost", "$2", 2, "y")}, "p", false), "s1")
	if err == nil {
		t.Fatal("applySync with a cancelled context succeeded")
	}
	if c.since != "s1" {
		t.Errorf("since moved to %q after a failed apply", c.since)
	}
	if v, _ := getSyncValue(context.Background(), c.db, "next_batch"); v != "s1" {
		t.Errorf("stored next_batch %q after a failed apply", v)
	}
	if evs, _ := c.Timeline(testRoom, 0); len(evs) != 1 {
		t.Errorf("failed apply stored events: %v", ids(evs))
	}
}

func TestOpenFromStoreWithoutNetwork(t *testing.T) {
	s := offlineSession()
	c, path := openTemp(t, s, Options{})
	apply(t, c, joinedSync("s1", testRoom, []*event.Event{mkEvent(t, "m.room.name", sk(""), "@b:localhost", "$n", 1, map[string]any{"name": "Stored"})},
		[]*event.Event{msgEvent(t, "@b:localhost", "$1", 5, "kept")}, "p", false))
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c2, err := Open(context.Background(), s, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	rooms := c2.Rooms()
	if len(rooms) != 1 || rooms[0].Name != "Stored" {
		t.Fatalf("rooms from store: %+v", rooms)
	}
	evs, err := c2.Timeline(testRoom, 10)
	if err != nil || len(evs) != 1 || evs[0].Content.AsMessage().Body != "kept" {
		t.Fatalf("timeline from store: %v %v", ids(evs), err)
	}
	if c2.since != "s1" {
		t.Errorf("since %q", c2.since)
	}
	if err := c2.Close(); err != nil {
		t.Fatal(err)
	}
	// Another device or another user gets an empty store, never this
	// one's rooms or sync token.
	otherDevice, otherUser := *s, *s
	otherDevice.DeviceID = "OTHERDEV"
	otherUser.UserID = "@else:localhost"
	for _, other := range []*Session{&otherDevice, &otherUser} {
		c3, err := Open(context.Background(), other, path, Options{})
		if err != nil {
			t.Fatalf("Open for %s: %v", other, err)
		}
		if len(c3.Rooms()) != 0 || c3.since != "" {
			t.Errorf("%s sees another session's store: %+v, since %q", other, c3.Rooms(), c3.since)
		}
		_ = c3.Close()
	}
}

func countType[T Update](ups []Update) int {
	n := 0
	for _, u := range ups {
		if _, ok := u.(T); ok {
			n++
		}
	}
	return n
}

func ids(evs []*event.Event) []id.EventID {
	out := make([]id.EventID, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}

func TestLoadHistoryServesStoredEventsFirst(t *testing.T) {
	c, _ := openTemp(t, offlineSession(), Options{})
	rec := record(t, c)
	var tl []*event.Event
	for i := range 10 {
		tl = append(tl, msgEvent(t, "@b:localhost", fmt.Sprintf("$%d", i), int64(i), "m"))
	}
	apply(t, c, joinedSync("s1", testRoom, nil, tl, "p", false))
	shown, err := c.Timeline(testRoom, 3)
	if err != nil || fmt.Sprint(ids(shown)) != "[$7 $8 $9]" {
		t.Fatalf("Timeline: %v %v", ids(shown), err)
	}
	ctx := context.Background()
	var got []string
	for range 2 {
		mark := len(rec.all())
		if err := c.LoadHistory(ctx, testRoom, 4); err != nil {
			t.Fatal(err)
		}
		hl := rec.waitAfter(t, mark, 5*time.Second, "history", func(u Update) bool { _, ok := u.(HistoryLoaded); return ok }).(HistoryLoaded)
		got = append(got, fmt.Sprint(ids(hl.Events)))
		if hl.ReachedStart {
			t.Error("ReachedStart with a pagination token left")
		}
	}
	if fmt.Sprint(got) != "[[$3 $4 $5 $6] [$0 $1 $2]]" {
		t.Errorf("history from the store: %v", got)
	}
	// Beyond the store it asks the (here unreachable) server.
	if err := c.LoadHistory(ctx, testRoom, 4); err == nil {
		t.Error("LoadHistory beyond the store succeeded offline")
	}
}

// TestApplyOwnReceiptOnNewestClearsUnread: a sync that carries our own
// read receipt on the newest event clears the room's counts, even when the
// server's count in that same sync is still stale.
func TestApplyOwnReceiptOnNewestClearsUnread(t *testing.T) {
	c, _ := openTemp(t, offlineSession(), Options{})
	other := id.UserID("@bob:localhost")
	me := offlineSession().UserID
	state := []*event.Event{
		mkEvent(t, "m.room.create", sk(""), other, "$c", 1, map[string]any{}),
		memberEvent(t, other, "join", "Bob", 2),
		memberEvent(t, me, "join", "Me", 3),
	}
	resp := joinedSync("s1", testRoom, state, []*event.Event{msgEvent(t, other, "$1", 10, "one"), msgEvent(t, other, "$2", 11, "two")}, "p0", false)
	resp.Rooms.Join[testRoom].UnreadNotifications = &mautrix.UnreadNotificationCounts{NotificationCount: 2, HighlightCount: 1}
	apply(t, c, resp)
	if r, _ := c.Room(testRoom); r.Unread != 2 || r.Highlights != 1 {
		t.Fatalf("counts before the receipt: %+v", r)
	}
	receipt := func(evID string) *event.Event {
		return mkEvent(t, "m.receipt", nil, "", "", 0, map[string]any{evID: map[string]any{"m.read": map[string]any{string(me): map[string]any{"ts": 12}}}})
	}
	// A receipt on an older event leaves the server's count alone.
	resp = joinedSync("s2", testRoom, nil, nil, "", false)
	resp.Rooms.Join[testRoom].Ephemeral.Events = []*event.Event{receipt("$1")}
	resp.Rooms.Join[testRoom].UnreadNotifications = &mautrix.UnreadNotificationCounts{NotificationCount: 1}
	apply(t, c, resp)
	if r, _ := c.Room(testRoom); r.Unread != 1 {
		t.Fatalf("a receipt on an older event cleared the count: %+v", r)
	}
	// On the newest, with a stale count: cleared.
	resp = joinedSync("s3", testRoom, nil, nil, "", false)
	resp.Rooms.Join[testRoom].Ephemeral.Events = []*event.Event{receipt("$2")}
	resp.Rooms.Join[testRoom].UnreadNotifications = &mautrix.UnreadNotificationCounts{NotificationCount: 1, HighlightCount: 1}
	apply(t, c, resp)
	if r, _ := c.Room(testRoom); r.Unread != 0 || r.Highlights != 0 {
		t.Fatalf("counts after our receipt on the newest event: %+v", r)
	}
	// A later sync with the count the server made before it saw the
	// receipt (Dendrite counts the event late): still nothing unread.
	resp = joinedSync("s4", testRoom, nil, nil, "", false)
	resp.Rooms.Join[testRoom].UnreadNotifications = &mautrix.UnreadNotificationCounts{NotificationCount: 1, HighlightCount: 1}
	apply(t, c, resp)
	if r, _ := c.Room(testRoom); r.Unread != 0 || r.Highlights != 0 {
		t.Fatalf("a late count after our receipt on the newest event: %+v", r)
	}
	// A new message after it counts again.
	resp = joinedSync("s5", testRoom, nil, []*event.Event{msgEvent(t, other, "$3", 13, "three")}, "", false)
	resp.Rooms.Join[testRoom].UnreadNotifications = &mautrix.UnreadNotificationCounts{NotificationCount: 1}
	apply(t, c, resp)
	if r, _ := c.Room(testRoom); r.Unread != 1 {
		t.Fatalf("a message after our receipt: %+v", r)
	}
}
