package matrix

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// walStore is a store with a table to fill, and its log's path.
func walStore(t *testing.T) (*sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store.db")
	db, err := openStore(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE fill (b BLOB)`); err != nil {
		t.Fatal(err)
	}
	return db, path
}

// fill writes n bytes in transactions of 256 KiB, telling k after each.
func fill(t *testing.T, db *sql.DB, k *checkpointer, n int) {
	t.Helper()
	blob := make([]byte, 256<<10)
	for ; n > 0; n -= len(blob) {
		if _, err := db.Exec(`INSERT INTO fill (b) VALUES (?)`, blob); err != nil {
			t.Fatal(err)
		}
		k.wrote()
	}
}

func walSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// No connection checkpoints when it commits: without the checkpointer
// the log keeps everything written.
func TestStoreCommitsDoNotCheckpoint(t *testing.T) {
	db, path := walStore(t)
	fill(t, db, nil, 12<<20)
	if got := walSize(t, path); got < 12<<20 {
		t.Fatalf("log of %d bytes after 12 MB written: a commit checkpointed", got)
	}
}

// waitWAL writes a little (as later syncs do) until the log is at most
// max bytes after a write: the write that lets SQLite start it over once
// a checkpoint copied it all.
func waitWAL(t *testing.T, db *sql.DB, k *checkpointer, path string, max int64) int64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := db.Exec(`INSERT INTO fill (b) VALUES (x'00')`); err != nil {
			t.Fatal(err)
		}
		k.wrote()
		size := walSize(t, path)
		if size <= max || time.Now().After(deadline) {
			return size
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The checkpointer keeps the log near walCheckpointBytes, checkpointing on
// a goroutine of its own.
func TestCheckpointerKeepsTheLogShort(t *testing.T) {
	db, path := walStore(t)
	k := newCheckpointer(db, path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go k.run(ctx)
	fill(t, db, k, 24<<20)
	if got := waitWAL(t, db, k, path, 2*walCheckpointBytes); got > 2*walCheckpointBytes {
		t.Fatalf("log of %d bytes after 24 MB written with the checkpointer running", got)
	}
}

// While an initial sync is stored (hold), the log is not checkpointed;
// once it is (release), it is.
func TestCheckpointerWaitsForTheInitialSync(t *testing.T) {
	db, path := walStore(t)
	k := newCheckpointer(db, path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go k.run(ctx)
	k.hold()
	fill(t, db, k, 12<<20)
	time.Sleep(100 * time.Millisecond) // a checkpoint, had one been asked for, would have run
	fill(t, db, k, 1)
	if got := walSize(t, path); got < 12<<20 {
		t.Fatalf("log of %d bytes after 12 MB written while held: checkpointed during the initial sync", got)
	}
	k.release()
	if got := waitWAL(t, db, k, path, 2*walCheckpointBytes); got > 2*walCheckpointBytes {
		t.Fatalf("log of %d bytes after the hold ended", got)
	}
}
