package matrix

import (
	"context"
	"database/sql"
	"fmt"
)

// The store's tables all start with tm_ so that other schemas (mautrix's
// crypto store keeps crypto_* tables and its own crypto_version table) can
// live in the same database. tm_version holds this schema's version.
//
// Each entry of migrations upgrades from version i to i+1; add new ones at
// the end, never edit old ones.
var migrations = []string{
	// 0 → 1: the first schema.
	`
CREATE TABLE tm_sync (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE tm_room (
	room_id        TEXT PRIMARY KEY,
	membership     TEXT NOT NULL,
	inviter        TEXT NOT NULL DEFAULT '',
	invite_direct  INTEGER NOT NULL DEFAULT 0,
	name           TEXT NOT NULL DEFAULT '',
	topic          TEXT NOT NULL DEFAULT '',
	heroes         TEXT NOT NULL DEFAULT '[]',
	joined_count   INTEGER NOT NULL DEFAULT -1,
	invited_count  INTEGER NOT NULL DEFAULT -1,
	joined_shown   INTEGER NOT NULL DEFAULT 0,
	unread         INTEGER NOT NULL DEFAULT 0,
	highlights     INTEGER NOT NULL DEFAULT 0,
	last_activity  INTEGER NOT NULL DEFAULT 0,
	encrypted      INTEGER NOT NULL DEFAULT 0,
	prev_batch     TEXT NOT NULL DEFAULT '',
	history_done   INTEGER NOT NULL DEFAULT 0,
	members_loaded INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE tm_state (
	room_id   TEXT NOT NULL,
	type      TEXT NOT NULL,
	state_key TEXT NOT NULL,
	event     TEXT NOT NULL,
	PRIMARY KEY (room_id, type, state_key)
);
CREATE TABLE tm_timeline (
	room_id  TEXT NOT NULL,
	seq      INTEGER NOT NULL,
	event_id TEXT NOT NULL,
	ts       INTEGER NOT NULL,
	token    TEXT,
	event    TEXT NOT NULL,
	PRIMARY KEY (room_id, seq),
	UNIQUE (room_id, event_id)
);
CREATE TABLE tm_account_data (
	type    TEXT PRIMARY KEY,
	content TEXT NOT NULL
);
`,
	// 1 → 2: end-to-end encryption. e2ee holds what decrypting an event
	// found (trust, sending device, or why it failed: see e2eeMeta);
	// utd_session is the Megolm session an undecryptable event waits
	// for, so the event is decrypted in place when the key arrives.
	`
ALTER TABLE tm_timeline ADD COLUMN e2ee TEXT;
ALTER TABLE tm_timeline ADD COLUMN utd_session TEXT;
CREATE INDEX tm_timeline_utd ON tm_timeline (utd_session) WHERE utd_session IS NOT NULL;
`,
	// 2 → 3: the outbox, messages typed but not yet sent, in the order
	// typed (seq). wire is what goes to the server once made (in an
	// encrypted room the ciphertext, resent as is); failed is why the
	// server refused it for good, NULL while it is pending.
	`
CREATE TABLE tm_outbox (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	txn_id    TEXT NOT NULL UNIQUE,
	room_id   TEXT NOT NULL,
	type      TEXT NOT NULL,
	content   TEXT NOT NULL,
	ts        INTEGER NOT NULL,
	wire_type TEXT,
	wire      TEXT,
	failed    TEXT
);
`,
	// 3 → 4: our own unread count, kept apart from the server's
	// notification count (see unread.go).
	`
ALTER TABLE tm_room ADD COLUMN own_unread INTEGER NOT NULL DEFAULT 0;
`,
	// 4 → 5: the newest main timeline read receipt of each user per room
	// (receipts.go); ts is the receipt's, in milliseconds, 0 if unsaid.
	`
CREATE TABLE tm_receipt (
	room_id  TEXT NOT NULL,
	user_id  TEXT NOT NULL,
	event_id TEXT NOT NULL,
	ts       INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (room_id, user_id)
);
`,
}

// schemaVersion is the version this code writes.
var schemaVersion = len(migrations)

// migrate brings the schema to schemaVersion, each step in a transaction.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS tm_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("creating version table: %w", err)
	}
	var v int
	err := db.QueryRowContext(ctx, `SELECT version FROM tm_version`).Scan(&v)
	if err == sql.ErrNoRows {
		if _, err := db.ExecContext(ctx, `INSERT INTO tm_version (version) VALUES (0)`); err != nil {
			return fmt.Errorf("initialising version table: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	if v > schemaVersion {
		return fmt.Errorf("store schema version %d is newer than this termatrix knows (%d)", v, schemaVersion)
	}
	for ; v < schemaVersion; v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrating store to version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migrating store to version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tm_version SET version = ?`, v+1); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migrating store to version %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrating store to version %d: %w", v+1, err)
		}
	}
	return nil
}
