package matrix

import (
	"context"
	"os"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// storeState opens the store at path for s without syncing and returns
// its rooms and sync token.
func storeState(t *testing.T, s *Session, path string) (map[id.RoomID]*roomRow, string) {
	t.Helper()
	c, err := Open(context.Background(), s, path, Options{})
	if err != nil {
		t.Fatalf("Open(%s): %v", s, err)
	}
	defer c.Close()
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.rooms, c.since
}

// TestStoreBelongsToOneSession checks that a store is only reused by the
// session that wrote it: a new login (new device), another user or another
// homeserver start from an empty store with an initial sync instead of
// showing the old rooms or resuming another device's sync token (F16,
// F22), and that RemoveStore deletes every file.
func TestStoreBelongsToOneSession(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "oalice")
	bob := st.MustRegister(t, "obob")
	ctx := ctxT(t)
	rid, err := bob.CreateRoom(ctx, map[string]any{"name": "Owned", "invite": []string{alice.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Join(ctx, rid); err != nil {
		t.Fatal(err)
	}
	roomID := id.RoomID(rid)

	a := loginLive(t, st, alice)
	a.waitRoom(t, roomID, "joined", func(r Room) bool { return r.Membership == event.MembershipJoin && r.Name == "Owned" })
	path, first := a.dbPath, a.sess
	a.stop()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// The same session resumes its store.
	if rooms, since := storeState(t, first, path); rooms[roomID] == nil || since == "" {
		t.Fatalf("same session: rooms %v, since %q; want the stored room and token", rooms, since)
	}

	// A new login of the same user (a new device) starts afresh, then
	// syncs the room back with its state.
	second, err := Login(ctx, LoginParams{Homeserver: st.BaseURL, User: alice.UserID, Password: alice.Password})
	if err != nil {
		t.Fatal(err)
	}
	if rooms, since := storeState(t, second, path); len(rooms) != 0 || since != "" {
		t.Fatalf("new device: rooms %v, since %q; want an empty store", rooms, since)
	}
	l := startLive(t, second, path, Options{})
	l.waitRoom(t, roomID, "room back after the initial sync", func(r Room) bool { return r.Name == "Owned" })
	l.stop()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	// Another homeserver URL for the same user and device: afresh too.
	moved := *second
	moved.Homeserver = "http://127.0.0.1:9"
	if rooms, since := storeState(t, &moved, path); len(rooms) != 0 || since != "" {
		t.Fatalf("other homeserver: rooms %v, since %q; want an empty store", rooms, since)
	}
	// Another user opens the profile's store: no error, nothing of alice.
	bobSess, err := Login(ctx, LoginParams{Homeserver: st.BaseURL, User: bob.UserID, Password: bob.Password})
	if err != nil {
		t.Fatal(err)
	}
	if rooms, since := storeState(t, bobSess, path); len(rooms) != 0 || since != "" {
		t.Fatalf("other user: rooms %v, since %q; want an empty store", rooms, since)
	}

	// RemoveStore deletes the database and its WAL files.
	l = startLive(t, bobSess, path, Options{})
	l.stop()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Logf("no WAL file to remove: %v", err)
	}
	if err := RemoveStore(path); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s still exists: %v", f, err)
		}
	}
	if err := RemoveStore(path); err != nil {
		t.Errorf("removing a missing store: %v", err)
	}
}
