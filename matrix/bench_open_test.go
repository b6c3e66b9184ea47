package matrix

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkOpen1000Rooms measures Open alone on a store of 1,000 rooms
// (what a warm start does before the UI can draw the room list).
func BenchmarkOpen1000Rooms(b *testing.B) {
	path := filepath.Join(b.TempDir(), "store.db")
	fillStore(b, path, 1000, 2)
	for b.Loop() {
		c, err := Open(context.Background(), offlineSession(), path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if n := len(c.Rooms()); n != 1000 {
			b.Fatalf("%d rooms", n)
		}
		_ = c.Close()
	}
}
