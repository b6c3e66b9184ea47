package matrix

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"maunium.net/go/mautrix"

	"github.com/termatrix/termatrix/internal/synthhs"
)

// benchShape is a tenth of the bench scale account: 100 rooms × 100
// events (about 3.5 MB of /sync).
var benchShape = synthhs.Shape{Rooms: 100, EventsPerRoom: 100, MembersPerRoom: 8, DMEvery: 5, Seed: 1}

// BenchmarkDecodeSync compares decoding an initial /sync: "mautrix" is
// the floor of the bench (json.Unmarshal into mautrix.RespSync), "rooms"
// is decodeSync then every room decoded and its events prepared, as the
// apply does them.
func BenchmarkDecodeSync(b *testing.B) {
	body := syntheticSync(b, benchShape)
	b.Run("mautrix", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var rs mautrix.RespSync
			if err := json.Unmarshal(body, &rs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rooms", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			sb, err := decodeSync(bytes.NewReader(body), "", 0)
			if err != nil {
				b.Fatal(err)
			}
			if err := decodeChunk(sb.rooms); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkApplyInitialSync measures the cold start's work on the client
// side of the network: decoding an initial /sync of 100 rooms × 100
// events and storing it in a fresh store, in chunks as Run does.
func BenchmarkApplyInitialSync(b *testing.B) {
	body := syntheticSync(b, benchShape)
	b.SetBytes(int64(len(body)))
	n := 0
	for b.Loop() {
		b.StopTimer()
		n++
		c, err := Open(context.Background(), offlineSession(), filepath.Join(b.TempDir(), "store.db"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sb, err := decodeSync(bytes.NewReader(body), c.spillDir, syncKeepBytes)
		if err != nil {
			b.Fatal(err)
		}
		// A context that can be cancelled, as Run's is: the SQLite
		// driver works differently with one.
		ctx, cancel := context.WithCancel(context.Background())
		c.writeMu.Lock()
		err = c.applyBatchLocked(ctx, sb, "", func([]Update) {})
		cancel()
		c.writeMu.Unlock()
		sb.close()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = c.Close()
		b.StartTimer()
	}
}

func BenchmarkDecodeSyncParts(b *testing.B) {
	body := syntheticSync(b, benchShape)
	b.Run("split", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := decodeSync(bytes.NewReader(body), "", 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("split+decode", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			sb, _ := decodeSync(bytes.NewReader(body), "", 0)
			for i := range sb.rooms {
				_ = sb.rooms[i].decode()
			}
		}
	})
}

// BenchmarkStoreInitialSync is BenchmarkApplyInitialSync without the
// decoding: the rooms are decoded before the timer runs, so it measures
// the store's side of the pipeline.
func BenchmarkStoreInitialSync(b *testing.B) {
	body := syntheticSync(b, benchShape)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		b.StopTimer()
		c, err := Open(context.Background(), offlineSession(), filepath.Join(b.TempDir(), "store.db"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		sb, err := decodeSync(bytes.NewReader(body), "", 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := decodeChunk(sb.rooms); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		// A context that can be cancelled, as Run's is: the SQLite
		// driver works differently with one.
		ctx, cancel := context.WithCancel(context.Background())
		c.writeMu.Lock()
		err = c.applyBatchLocked(ctx, sb, "", func([]Update) {})
		cancel()
		c.writeMu.Unlock()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = c.Close()
		b.StartTimer()
	}
}
