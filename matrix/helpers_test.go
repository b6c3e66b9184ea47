package matrix

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// recorder collects a subscription's updates for assertions.
type recorder struct {
	mu      sync.Mutex
	updates []Update
	changed chan struct{}
	cancel  func()
}

func record(t testing.TB, c *Client) *recorder {
	t.Helper()
	ch, cancel := c.Subscribe()
	r := &recorder{changed: make(chan struct{}, 1), cancel: cancel}
	go func() {
		for u := range ch {
			r.mu.Lock()
			r.updates = append(r.updates, u)
			r.mu.Unlock()
			select {
			case r.changed <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(cancel)
	return r
}

// all returns a copy of the updates so far.
func (r *recorder) all() []Update {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Update(nil), r.updates...)
}

// waitFor waits until some update satisfies ok and returns it.
func (r *recorder) waitFor(t testing.TB, timeout time.Duration, what string, ok func(Update) bool) Update {
	t.Helper()
	return r.waitAfter(t, 0, timeout, what, ok)
}

// waitAfter is waitFor looking only at updates from index start on.
func (r *recorder) waitAfter(t testing.TB, start int, timeout time.Duration, what string, ok func(Update) bool) Update {
	t.Helper()
	deadline := time.After(timeout)
	seen := start
	for {
		r.mu.Lock()
		us := r.updates[seen:]
		r.mu.Unlock()
		for _, u := range us {
			if ok(u) {
				return u
			}
		}
		seen += len(us)
		select {
		case <-r.changed:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
			return nil
		}
	}
}

// offlineSession is a session whose homeserver nothing listens on.
func offlineSession() *Session {
	return &Session{Homeserver: "http://127.0.0.1:9", UserID: "@me:localhost", DeviceID: "DEV", AccessToken: "secret-token-xyz", PickleKey: "cGlja2xlLWtleS1mb3ItdGVzdHM"}
}

// openTemp opens a client on a fresh store in a temp dir.
func openTemp(t testing.TB, s *Session, opts Options) (*Client, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store.db")
	c, err := Open(context.Background(), s, path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, path
}

// fake event builders for unit tests of the store and sync logic.

func mkEvent(t testing.TB, evType string, stateKey *string, sender id.UserID, evID string, ts int64, content any) *event.Event {
	t.Helper()
	raw, err := json.Marshal(content)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{
		"type":             evType,
		"sender":           sender,
		"event_id":         evID,
		"origin_server_ts": ts,
		"content":          json.RawMessage(raw),
	}
	if stateKey != nil {
		m["state_key"] = *stateKey
	}
	data, _ := json.Marshal(m)
	var ev event.Event
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	return &ev
}

func sk(s string) *string { return &s }

func msgEvent(t testing.TB, sender id.UserID, evID string, ts int64, body string) *event.Event {
	return mkEvent(t, "m.room.message", nil, sender, evID, ts, map[string]any{"msgtype": "m.text", "body": body})
}

func memberEvent(t testing.TB, user id.UserID, membership, name string, ts int64) *event.Event {
	c := map[string]any{"membership": membership}
	if name != "" {
		c["displayname"] = name
	}
	return mkEvent(t, "m.room.member", sk(string(user)), user, fmt.Sprintf("$m-%s-%s-%d", user, membership, ts), ts, c)
}

// joinedSync builds a sync response with one joined room.
func joinedSync(next string, roomID id.RoomID, state, timeline []*event.Event, prevBatch string, limited bool) *mautrix.RespSync {
	return &mautrix.RespSync{
		NextBatch: next,
		Rooms: mautrix.RespSyncRooms{Join: map[id.RoomID]*mautrix.SyncJoinedRoom{
			roomID: {
				State:    mautrix.SyncEventsList{Events: state},
				Timeline: mautrix.SyncTimeline{SyncEventsList: mautrix.SyncEventsList{Events: timeline}, PrevBatch: prevBatch, Limited: limited},
			},
		}},
	}
}

// apply applies a sync response as Run would and returns its updates.
func apply(t testing.TB, c *Client, resp *mautrix.RespSync) []Update {
	t.Helper()
	c.mu.RLock()
	since := c.since
	c.mu.RUnlock()
	ups, err := c.applySync(context.Background(), resp, since)
	if err != nil {
		t.Fatalf("applySync: %v", err)
	}
	return ups
}
