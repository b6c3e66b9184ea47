package matrix

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"sync"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Checkpointing the store's write-ahead log. SQLite's own checkpoints
// (every 1,000 pages of log) run inside the commit that crosses the
// mark, on the committing goroutine: during a cold start that is the
// goroutine storing the initial sync, which is the one everything waits
// for. A trace of the cold start of 1,000 rooms showed that goroutine busy
// nine tenths of the time, and a build with no checkpoints reached
// "synced" 0.3 s sooner (1.3 s instead of 1.6–1.9 s).
//
// So no connection checkpoints on commit (storeConnector), and the client
// checkpoints on a goroutine of its own (checkpointer): after a write
// transaction that left the log walCheckpointBytes longer than the last
// checkpoint did, and, while an initial sync is being stored, only once it
// is (unless the log outgrows walHeldMaxBytes). The checkpoints are
// PASSIVE: they never make a writer or a reader wait. With
// journal_size_limit 0 the log file shrinks back to what is in use when
// SQLite starts it over after a complete checkpoint, so its size says how
// much has been written since. Closing the last connection checkpoints
// what is left, as before.

// walCheckpointBytes is how much the log grows past the last checkpoint
// before the next: SQLite's default of 1,000 pages of 4 KiB.
const walCheckpointBytes = 4 << 20

// walHeldMaxBytes bounds the log while checkpoints wait for an initial
// sync to be stored (the account of 1,000 rooms writes about 60 MB).
const walHeldMaxBytes = 512 << 20

// storeConnector opens connections to the store that never checkpoint on
// commit and truncate the log when it starts over.
type storeConnector struct {
	dsn string
	drv *sqlite3.SQLiteDriver
}

func newStoreConnector(dsn string) *storeConnector {
	return &storeConnector{dsn: dsn, drv: &sqlite3.SQLiteDriver{ConnectHook: func(conn *sqlite3.SQLiteConn) error {
		if _, err := conn.Exec("PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 0", nil); err != nil {
			return fmt.Errorf("setting up a store connection: %w", err)
		}
		return nil
	}}}
}

// Connect opens one connection.
func (s *storeConnector) Connect(context.Context) (driver.Conn, error) { return s.drv.Open(s.dsn) }

// Driver is SQLite's driver.
func (s *storeConnector) Driver() driver.Driver { return s.drv }

// checkpointer checkpoints the store's log off the writers' goroutines.
type checkpointer struct {
	db   *sql.DB
	wal  string        // the log file's path
	kick chan struct{} // a checkpoint is due
	mu   sync.Mutex
	held int   // initial syncs being stored
	last int64 // the log's size at the last checkpoint
}

func newCheckpointer(db *sql.DB, dbPath string) *checkpointer {
	return &checkpointer{db: db, wal: dbPath + "-wal", kick: make(chan struct{}, 1)}
}

// wrote is told after a write transaction commits. It costs a stat of the
// log: the checkpoint itself runs on run's goroutine.
func (k *checkpointer) wrote() {
	if k == nil {
		return
	}
	fi, err := os.Stat(k.wal)
	if err != nil {
		return // no log: nothing to checkpoint
	}
	size := fi.Size()
	k.mu.Lock()
	if size < k.last {
		k.last = 0 // started over
	}
	due := size-k.last >= walCheckpointBytes && (k.held == 0 || size >= walHeldMaxBytes)
	k.mu.Unlock()
	if due {
		select {
		case k.kick <- struct{}{}:
		default:
		}
	}
}

// A nil checkpointer (a Client made by a test without Open) does nothing.

// hold defers checkpoints while an initial sync is stored; release ends
// that (and checkpoints if one is due).
func (k *checkpointer) hold() {
	if k == nil {
		return
	}
	k.mu.Lock()
	k.held++
	k.mu.Unlock()
}

func (k *checkpointer) release() {
	if k == nil {
		return
	}
	k.mu.Lock()
	k.held--
	k.mu.Unlock()
	k.wrote()
}

// run checkpoints when one is due, until ctx ends.
func (k *checkpointer) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-k.kick:
			_ = k.checkpoint(ctx) // a failed checkpoint is tried again after the next write
		}
	}
}

// checkpoint copies what the log holds into the database, as far as no
// reader still needs the log.
func (k *checkpointer) checkpoint(ctx context.Context) error {
	fi, err := os.Stat(k.wal)
	if err != nil {
		return nil
	}
	var busy, logged, copied int
	if err := k.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logged, &copied); err != nil {
		return fmt.Errorf("checkpointing the store: %w", err)
	}
	after, err := os.Stat(k.wal)
	k.mu.Lock()
	if copied < logged || err != nil || after.Size() > fi.Size() {
		// Written to while it ran, or a reader still needs the log:
		// what came after is not copied and the log cannot start
		// over, so the next write asks again.
		k.last = 0
	} else {
		k.last = fi.Size()
	}
	k.mu.Unlock()
	return nil
}
