package matrix

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// A store belongs to exactly one session: one homeserver, user and device.
// Its rooms, timelines and above all its next_batch are only valid for
// that session (a sync token of another server or device would skip the
// initial state of every room), so a store of any other session is thrown
// away and started afresh.

// The tm_sync keys that record the store's session.
const (
	ownerHomeserver = "homeserver"
	ownerUser       = "user_id"
	ownerDevice     = "device_id"
)

// owner is the session a store belongs to, as recorded in tm_sync.
type owner struct{ homeserver, user, device string }

func sessionOwner(s *Session) owner {
	return owner{homeserver: normalizeHomeserver(s.Homeserver), user: string(s.UserID), device: string(s.DeviceID)}
}

// normalizeHomeserver makes equal homeserver URLs compare equal.
func normalizeHomeserver(hs string) string {
	return strings.ToLower(strings.TrimRight(strings.TrimSpace(hs), "/"))
}

// readOwner returns the recorded owner; empty reports a store that holds
// nothing yet (no owner and no sync token).
func readOwner(ctx context.Context, q queryer) (o owner, empty bool, err error) {
	for _, f := range []struct {
		key string
		dst *string
	}{{ownerHomeserver, &o.homeserver}, {ownerUser, &o.user}, {ownerDevice, &o.device}} {
		if *f.dst, err = getSyncValue(ctx, q, f.key); err != nil {
			return owner{}, false, err
		}
	}
	since, err := getSyncValue(ctx, q, "next_batch")
	if err != nil {
		return owner{}, false, err
	}
	return o, o == owner{} && since == "", nil
}

func writeOwner(ctx context.Context, q queryer, o owner) error {
	for key, v := range map[string]string{ownerHomeserver: o.homeserver, ownerUser: o.user, ownerDevice: o.device} {
		if err := setSyncValue(ctx, q, key, v); err != nil {
			return err
		}
	}
	return nil
}

// openSessionStore opens the store at path for session s. A store that
// belongs to another session (another homeserver, user or device, or one
// written before the device was recorded) is deleted and created anew, so
// that nothing of another account is shown and the first sync is an
// initial one.
func openSessionStore(ctx context.Context, path string, s *Session) (*sql.DB, error) {
	db, err := openStore(ctx, path)
	if err != nil {
		return nil, err
	}
	want := sessionOwner(s)
	got, empty, err := readOwner(ctx, db)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening store: %w", err)
	}
	if !empty && got != want {
		if err := db.Close(); err != nil {
			return nil, fmt.Errorf("opening store: closing the previous session's store: %w", err)
		}
		if err := RemoveStore(path); err != nil {
			return nil, fmt.Errorf("opening store: %w", err)
		}
		if db, err = openStore(ctx, path); err != nil {
			return nil, err
		}
	}
	if got != want || empty {
		if err := writeOwner(ctx, db, want); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("opening store: %w", err)
		}
	}
	return db, nil
}

// RemoveStore deletes the SQLite store at dbPath with its -wal, -shm and
// -journal files, and so every message and room kept locally (for
// /logout). Missing files are not an error. No Client may have it open.
func RemoveStore(dbPath string) error {
	var errs []error
	for _, f := range []string{dbPath, dbPath + "-wal", dbPath + "-shm", dbPath + "-journal"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("removing store: %w", err)
	}
	return nil
}
