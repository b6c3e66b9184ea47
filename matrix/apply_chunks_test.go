package matrix

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/internal/synthhs"
)

// applyRaw decodes a /sync body and applies it as Run does, returning
// the updates of each chunk. keep > 0 puts all rooms past keep bytes in a
// spill file.
func applyRaw(ctx context.Context, t testing.TB, c *Client, body []byte, since string, keep int) ([][]Update, error) {
	t.Helper()
	dir := ""
	if keep > 0 {
		dir = t.TempDir()
	}
	b, err := decodeSync(bytes.NewReader(body), dir, keep)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	var chunks [][]Update
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	err = c.applyBatchLocked(ctx, b, since, func(ups []Update) { chunks = append(chunks, ups) })
	return chunks, err
}

// storeSnapshot is what a store shows: the room list and each room's
// stored timeline (as stored), and next_batch.
type storeSnapshot struct {
	rooms     []Room
	timelines map[id.RoomID][]string
	next      string
}

func snapshot(t testing.TB, c *Client) storeSnapshot {
	t.Helper()
	s := storeSnapshot{rooms: c.Rooms(), timelines: map[id.RoomID][]string{}}
	for _, r := range s.rooms {
		evs, err := c.Timeline(r.ID, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			data, _ := json.Marshal(ev)
			s.timelines[r.ID] = append(s.timelines[r.ID], string(data))
		}
	}
	var err error
	if s.next, err = getSyncValue(context.Background(), c.db, "next_batch"); err != nil {
		t.Fatal(err)
	}
	return s
}

func compareSnapshots(t testing.TB, got, want storeSnapshot) {
	t.Helper()
	if len(got.rooms) != len(want.rooms) {
		t.Fatalf("%d rooms, want %d", len(got.rooms), len(want.rooms))
	}
	if !reflect.DeepEqual(got.rooms, want.rooms) {
		t.Errorf("room lists differ:\n%+v\n%+v", got.rooms, want.rooms)
	}
	for roomID, evs := range want.timelines {
		if !reflect.DeepEqual(got.timelines[roomID], evs) {
			t.Errorf("timeline of %s differs: %d events, want %d", roomID, len(got.timelines[roomID]), len(evs))
		}
	}
	if got.next != want.next {
		t.Errorf("next_batch %q, want %q", got.next, want.next)
	}
}

// A big sync stored in chunks (most of its rooms waiting in a spill file)
// ends as the same store as one stored whole; each chunk publishes the
// room list as it then stands, growing.
func TestApplySyncInChunks(t *testing.T) {
	body := syntheticSync(t, synthhs.Shape{Rooms: 30, EventsPerRoom: 20, MembersPerRoom: 4, DMEvery: 4, Seed: 5})
	ctx := context.Background()
	whole, _ := openTemp(t, offlineSession(), Options{})
	wholeUps, err := applyRaw(ctx, t, whole, body, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(wholeUps) != 1 {
		t.Fatalf("applied whole in %d chunks", len(wholeUps))
	}
	chunked, _ := openTemp(t, offlineSession(), Options{})
	chunked.chunkBytes = len(body) / 7
	chunkUps, err := applyRaw(ctx, t, chunked, body, "", 8<<10)
	if err != nil {
		t.Fatal(err)
	}
	if len(chunkUps) < 5 {
		t.Fatalf("applied in %d chunks", len(chunkUps))
	}
	compareSnapshots(t, snapshot(t, chunked), snapshot(t, whole))

	shown, events := 0, 0
	for i, ups := range chunkUps {
		rooms := -1
		for _, u := range ups {
			switch u := u.(type) {
			case RoomsChanged:
				rooms = u.Rooms.Len()
			case TimelineAppended:
				events += len(u.Events)
			}
		}
		if rooms <= shown {
			t.Fatalf("chunk %d: room list of %d after %d", i, rooms, shown)
		}
		shown = rooms
	}
	wholeEvents := 0
	for _, u := range wholeUps[0] {
		if ta, ok := u.(TimelineAppended); ok {
			wholeEvents += len(ta.Events)
		}
	}
	if events != wholeEvents {
		t.Errorf("%d events published in chunks, %d whole", events, wholeEvents)
	}
}

// A sync that fails part-way (here: the context ends after the second
// chunk; a process killed there is the same) keeps the chunks stored but
// not next_batch, so it is fetched again from the same since token and
// stored again to the same store as a sync stored at once, no event
// twice.
func TestApplySyncInChunksFailsPartWay(t *testing.T) {
	body := syntheticSync(t, synthhs.Shape{Rooms: 30, EventsPerRoom: 20, MembersPerRoom: 4, DMEvery: 4, Seed: 6})
	bg := context.Background()
	whole, _ := openTemp(t, offlineSession(), Options{})
	if _, err := applyRaw(bg, t, whole, body, "", 0); err != nil {
		t.Fatal(err)
	}
	want := snapshot(t, whole)

	c, path := openTemp(t, offlineSession(), Options{})
	c.chunkBytes = len(body) / 7
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	n := 0
	b, err := decodeSync(bytes.NewReader(body), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	c.writeMu.Lock()
	err = c.applyBatchLocked(ctx, b, "", func([]Update) {
		if n++; n == 2 {
			cancel()
		}
	})
	c.writeMu.Unlock()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("apply ended with %v", err)
	}
	stored := len(c.Rooms())
	if stored == 0 || stored >= len(want.rooms) {
		t.Fatalf("%d of %d rooms stored before the failure", stored, len(want.rooms))
	}
	_ = c.Close()

	// What a restart finds: the two chunks, no next_batch.
	c, err = Open(bg, offlineSession(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := snapshot(t, c); got.next != "" || len(got.rooms) != stored {
		t.Fatalf("after the failure: next_batch %q, %d rooms (%d stored)", got.next, len(got.rooms), stored)
	}
	// The sync fetched again from the same (empty) since token.
	if _, err := applyRaw(bg, t, c, body, "", 8<<10); err != nil {
		t.Fatal(err)
	}
	compareSnapshots(t, snapshot(t, c), want)
}
