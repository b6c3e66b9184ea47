package matrix

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix/e2ee"
)

// TestSessionRotatesOnMembershipChange checks that a real membership
// change in an encrypted room discards the room's outbound Megolm
// session (the next message gets a key only current members have), and
// that a display-name change does not.
func TestSessionRotatesOnMembershipChange(t *testing.T) {
	c, roomID, share, has := encryptedRoomWithSession(t)
	ctx := context.Background()
	rename := memberEvent(t, "@bob:localhost", "join", "Bobby", 2)
	if _, err := c.applySync(ctx, joinedSync("s2", roomID, nil, []*event.Event{rename}, "", false), "s1"); err != nil {
		t.Fatal(err)
	}
	if !has() {
		t.Fatal("a display-name change discarded the room's session")
	}
	join := memberEvent(t, "@carol:localhost", "join", "Carol", 3)
	if _, err := c.applySync(ctx, joinedSync("s3", roomID, nil, []*event.Event{join}, "", false), "s2"); err != nil {
		t.Fatal(err)
	}
	if has() {
		t.Fatal("carol joined and the old session was kept")
	}
	share(false)
	leave := memberEvent(t, "@carol:localhost", "leave", "", 4)
	if _, err := c.applySync(ctx, joinedSync("s4", roomID, []*event.Event{leave}, nil, "", false), "s3"); err != nil {
		t.Fatal(err)
	}
	if has() {
		t.Fatal("carol left (state section) and the old session was kept")
	}
}

// encryptedRoomWithSession stores (as sync s1) an encrypted room of Bob
// and the user, and an outbound session shared there, as outboundSession
// gives (share makes a new one).
func encryptedRoomWithSession(t *testing.T) (c *Client, roomID id.RoomID, share func(sharedHistory bool), has func() bool) {
	t.Helper()
	c, _ = openTemp(t, offlineSession(), Options{})
	roomID = id.RoomID("!enc:localhost")
	enc := mkEvent(t, "m.room.encryption", sk(""), "@bob:localhost", "$enc", 1, map[string]any{"algorithm": "m.megolm.v1.aes-sha2"})
	state := []*event.Event{enc, memberEvent(t, "@bob:localhost", "join", "Bob", 1), memberEvent(t, "@me:localhost", "join", "Me", 1)}
	if _, err := c.applySync(context.Background(), joinedSync("s1", roomID, state, nil, "p", false), ""); err != nil {
		t.Fatal(err)
	}
	share, has = outboundSession(t, c, roomID)
	share(false)
	return c, roomID, share, has
}

// outboundSession gives share, which stores a new outbound Megolm session
// for the room as if a message had been sent, and has, which says whether
// the room still has one.
func outboundSession(t *testing.T, c *Client, roomID id.RoomID) (share func(sharedHistory bool), has func() bool) {
	ctx := context.Background()
	share = func(sharedHistory bool) {
		t.Helper()
		s, err := crypto.NewOutboundGroupSession(roomID, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.Shared = true
		s.SharedHistory = &sharedHistory
		if err := c.crypto.store.AddOutboundGroupSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	has = func() bool {
		t.Helper()
		s, err := c.crypto.store.GetOutboundGroupSession(ctx, roomID)
		if err != nil {
			t.Fatal(err)
		}
		return s != nil
	}
	return share, has
}

// TestSessionRotatesOnHistoryVisibility: in an encrypted room a new
// history visibility discards the outbound session (the next message's
// key follows the new setting); an unencrypted room's is not looked at.
func TestSessionRotatesOnHistoryVisibility(t *testing.T) {
	c, _ := openTemp(t, offlineSession(), Options{})
	ctx := context.Background()
	roomID, plain := id.RoomID("!enc:localhost"), id.RoomID("!plain:localhost")
	enc := mkEvent(t, "m.room.encryption", sk(""), "@bob:localhost", "$enc", 1, map[string]any{"algorithm": "m.megolm.v1.aes-sha2"})
	vis := func(evID, v string, ts int64) *event.Event {
		return mkEvent(t, "m.room.history_visibility", sk(""), "@bob:localhost", evID, ts, map[string]any{"history_visibility": v})
	}
	state := []*event.Event{enc, memberEvent(t, "@me:localhost", "join", "Me", 1), vis("$v1", "shared", 1)}
	if _, err := c.applySync(ctx, joinedSync("s1", roomID, state, nil, "p", false), ""); err != nil {
		t.Fatal(err)
	}
	share, has := outboundSession(t, c, roomID)
	share(true)
	if _, err := c.applySync(ctx, joinedSync("s2", roomID, nil, []*event.Event{vis("$v2", "joined", 2)}, "", false), "s1"); err != nil {
		t.Fatal(err)
	}
	if has() {
		t.Fatal("history visibility went from shared to joined and the old session was kept")
	}
	// An unencrypted room: the lookup stops at the room (a session left
	// there by hand, as no client makes one, stays).
	if _, err := c.applySync(ctx, joinedSync("s3", plain, []*event.Event{memberEvent(t, "@me:localhost", "join", "Me", 3)}, nil, "p", false), "s2"); err != nil {
		t.Fatal(err)
	}
	sharePlain, hasPlain := outboundSession(t, c, plain)
	sharePlain(true)
	if _, err := c.applySync(ctx, joinedSync("s4", plain, nil, []*event.Event{vis("$v3", "joined", 4)}, "", false), "s3"); err != nil {
		t.Fatal(err)
	}
	if !hasPlain() {
		t.Fatal("an unencrypted room's history visibility reached the crypto machine")
	}
}

// TestLeavingDiscardsTheRoomSession: leaving an encrypted room discards
// its outbound session, so that after joining again (the room then new to
// the store, and taken for unencrypted until its state is committed) the
// first message does not go out under a key the members of before hold.
func TestLeavingDiscardsTheRoomSession(t *testing.T) {
	c, roomID, _, has := encryptedRoomWithSession(t)
	ctx := context.Background()
	left := &mautrix.RespSync{NextBatch: "s2", Rooms: mautrix.RespSyncRooms{Leave: map[id.RoomID]*mautrix.SyncLeftRoom{roomID: {}}}}
	if _, err := c.applySync(ctx, left, "s1"); err != nil {
		t.Fatal(err)
	}
	if has() {
		t.Fatal("the room was left and its outbound session kept")
	}
}

// TestLateCallSignalAge checks the age given to a call event decrypted
// after its key came late: counted from when it was sent, so an invite
// whose lifetime is over does not ring.
func TestLateCallSignalAge(t *testing.T) {
	sent := time.Now().Add(-2 * time.Minute)
	ev := &event.Event{Type: event.CallInvite, Timestamp: sent.UnixMilli(), ID: "$c"}
	cs, ok := lateCallSignal("!r:localhost", ev)
	if !ok || cs.Age < 2*time.Minute || cs.Age > 2*time.Minute+5*time.Second {
		t.Fatalf("lateCallSignal age %v (%v), want about 2 min", cs.Age, ok)
	}
	if _, ok := lateCallSignal("!r:localhost", &event.Event{Type: event.EventMessage}); ok {
		t.Error("a message became a call signal")
	}
	future := &event.Event{Type: event.CallHangup, Timestamp: time.Now().Add(time.Hour).UnixMilli()}
	if cs, _ := lateCallSignal("!r:localhost", future); cs.Age != 0 {
		t.Errorf("a clock ahead of ours gives age %v", cs.Age)
	}
}

// TestUndecryptableKeptAndReloaded checks that an event that cannot be
// decrypted is stored with its reason, read back with it from the store,
// and listed as waiting for its session.
func TestUndecryptableKeptAndReloaded(t *testing.T) {
	c, _ := openTemp(t, offlineSession(), Options{})
	ctx := context.Background()
	roomID := id.RoomID("!utd:localhost")
	enc := mkEvent(t, "m.room.encryption", sk(""), "@bob:localhost", "$enc", 1, map[string]any{"algorithm": "m.megolm.v1.aes-sha2"})
	cipher := mkEvent(t, "m.room.encrypted", nil, "@bob:localhost", "$x", 2, map[string]any{
		"algorithm": "m.megolm.v1.aes-sha2", "sender_key": "c2VuZGVy", "device_id": "BOBDEV",
		"session_id": strings.Repeat("A", 43), "ciphertext": strings.Repeat("B", 100),
	})
	broken := mkEvent(t, "m.room.encrypted", nil, "@bob:localhost", "$y", 3, map[string]any{"algorithm": "m.olm.v1", "ciphertext": "x"})
	ups, err := c.applySync(ctx, joinedSync("s1", roomID, []*event.Event{enc}, []*event.Event{cipher, broken}, "p", false), "")
	if err != nil {
		t.Fatal(err)
	}
	var live []*event.Event
	for _, u := range ups {
		if ta, ok := u.(TimelineAppended); ok {
			live = ta.Events
		}
	}
	tl, err := c.Timeline(roomID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for name, evs := range map[string][]*event.Event{"published": live, "stored": tl} {
		if len(evs) != 2 {
			t.Fatalf("%s: %d events", name, len(evs))
		}
		u, ok := evs[0].Content.Parsed.(*Undecryptable)
		if !ok || u.Failure.Kind != e2ee.Waiting || u.Failure.Device != "BOBDEV" {
			t.Errorf("%s: %T %+v, want waiting for BOBDEV", name, evs[0].Content.Parsed, u)
		}
		b, ok := evs[1].Content.Parsed.(*Undecryptable)
		if !ok || b.Failure.Kind != e2ee.Broken {
			t.Errorf("%s: broken event %T %+v", name, evs[1].Content.Parsed, b)
		}
	}
	var n int
	if err := c.db.QueryRow(`SELECT COUNT(*) FROM tm_timeline WHERE utd_session IS NOT NULL`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d events wait for a session (%v), want 1: the broken one never can", n, err)
	}
}

// TestPickleKeyStaysSecret checks that the pickle key is in the 0600
// session file only: not in the session's printed forms, and Open refuses
// a session without one rather than keeping keys unprotected.
func TestPickleKeyStaysSecret(t *testing.T) {
	s := offlineSession()
	s.PickleKey = ""
	if !s.EnsurePickleKey() || s.PickleKey == "" || s.EnsurePickleKey() {
		t.Fatal("EnsurePickleKey does not make exactly one key")
	}
	for _, str := range []string{s.String(), fmt.Sprintf("%v %+v %#v", s, s, s)} {
		if strings.Contains(str, s.PickleKey) {
			t.Errorf("the pickle key shows in %q", str)
		}
	}
	path := filepath.Join(t.TempDir(), "session.json")
	if err := SaveSession(path, s); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("session file mode %v, %v", st.Mode().Perm(), err)
	}
	data, _ := os.ReadFile(path)
	var saved Session
	if json.Unmarshal(data, &saved) != nil || saved.PickleKey != s.PickleKey {
		t.Error("the pickle key is not saved with the session")
	}
	noKey := offlineSession()
	noKey.PickleKey = ""
	if _, err := Open(context.Background(), noKey, filepath.Join(t.TempDir(), "s.db"), Options{}); err == nil {
		t.Error("Open took a session without a pickle key")
	}
}

// TestMayRedactOthers reads the redact level from the room's power levels.
func TestMayRedactOthers(t *testing.T) {
	c, _ := openTemp(t, offlineSession(), Options{})
	roomID := id.RoomID("!pl:localhost")
	create := mkEvent(t, "m.room.create", sk(""), "@owner:localhost", "$create", 1, map[string]any{})
	pl := mkEvent(t, "m.room.power_levels", sk(""), "@owner:localhost", "$pl", 2, map[string]any{
		"redact": 60, "users": map[string]any{"@owner:localhost": 100, "@mod:localhost": 60, "@helper:localhost": 50},
	})
	if _, err := c.applySync(context.Background(), joinedSync("s1", roomID, []*event.Event{create, pl}, nil, "p", false), ""); err != nil {
		t.Fatal(err)
	}
	for user, want := range map[id.UserID]bool{"@owner:localhost": true, "@mod:localhost": true, "@helper:localhost": false, "@mallory:localhost": false} {
		if got := c.MayRedactOthers(roomID, user); got != want {
			t.Errorf("MayRedactOthers(%s) = %v, want %v", user, got, want)
		}
	}
}
