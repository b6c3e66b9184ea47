package matrix

import (
	"context"
	"path/filepath"
	"testing"
)

// Each connection to the store keeps a page cache of storeCacheKiB, not
// SQLite's default 2 MB.
func TestStoreConnectionsKeepASmallPageCache(t *testing.T) {
	ctx := context.Background()
	db, err := openStore(ctx, filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxIdleConns(3)
	conns := make([]interface{ Close() error }, 0, 3)
	for i := 0; i < 3; i++ {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
		var n int
		if err := conn.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != -storeCacheKiB {
			t.Errorf("connection %d: cache_size %d, want %d", i, n, -storeCacheKiB)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}
