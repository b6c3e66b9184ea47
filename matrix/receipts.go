package matrix

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Read receipts. Every m.receipt ephemeral event a sync brings is parsed
// once (eachReceipt, used by the unread count too); the newest main
// timeline receipt of each user is kept per room in tm_receipt: others'
// public m.read, and for ourselves m.read.private as well. The changes of
// a sync are published as ReceiptsChanged after it commits;
// Client.Receipts reads a room's receipts when a view is built.

// maxReceiptID bounds the user and event IDs kept from a receipt: the spec
// caps both at 255 bytes, and a longer one is hostile and dropped.
const maxReceiptID = 255

// Receipt is where a user has read up to in a room's main timeline.
type Receipt struct {
	EventID id.EventID
	// TS is when the user read it, as their server says (zero if unsaid).
	TS time.Time
}

// receiptEntry is one user's receipt of one type on one event.
type receiptEntry struct {
	EventID  id.EventID
	Type     string // m.read or m.read.private
	User     id.UserID
	TS       int64
	ThreadID string
}

// mainThread says whether a receipt is about the room's main timeline
// (unthreaded, or "main").
func (r receiptEntry) mainThread() bool { return r.ThreadID == "" || r.ThreadID == "main" }

// eachReceipt calls fn for every read receipt (m.read, m.read.private)
// in a sync's ephemeral events. A malformed m.receipt event is skipped
// whole.
func eachReceipt(ephemeral []*event.Event, fn func(receiptEntry)) {
	for _, ev := range ephemeral {
		if ev == nil || ev.Type.Type != event.EphemeralEventReceipt.Type {
			continue
		}
		for _, r := range parseReceipts(ev.Content.VeryRaw) {
			fn(r)
		}
	}
}

// parseReceipts reads the read receipts of an m.receipt content, in no
// particular order; nil if it is not a receipt content.
func parseReceipts(raw []byte) []receiptEntry {
	var receipts map[id.EventID]map[string]map[id.UserID]struct {
		ThreadID string          `json:"thread_id"`
		TS       json.RawMessage `json:"ts"`
	}
	if json.Unmarshal(raw, &receipts) != nil {
		return nil
	}
	var out []receiptEntry
	for evID, byType := range receipts {
		for _, t := range []string{"m.read", "m.read.private"} {
			for user, r := range byType[t] {
				var ts int64
				_ = json.Unmarshal(r.TS, &ts) // a ts that is no integer is no ts
				out = append(out, receiptEntry{EventID: evID, Type: t, User: user, TS: ts, ThreadID: r.ThreadID})
			}
		}
	}
	return out
}

// latestReceipts picks from a sync's receipts the newest main timeline
// receipt of each user: public ones of everyone, private ones of me only.
// Hostile IDs (empty or longer than the spec allows) are dropped.
func latestReceipts(ephemeral []*event.Event, me id.UserID) map[id.UserID]receiptEntry {
	var latest map[id.UserID]receiptEntry
	eachReceipt(ephemeral, func(r receiptEntry) {
		if !r.mainThread() || (r.Type == "m.read.private" && r.User != me) {
			return
		}
		if r.User == "" || r.EventID == "" || len(r.User) > maxReceiptID || len(r.EventID) > maxReceiptID {
			return
		}
		if latest == nil {
			latest = map[id.UserID]receiptEntry{}
		}
		if old, ok := latest[r.User]; !ok || r.TS >= old.TS {
			latest[r.User] = r
		}
	})
	return latest
}

// storeReceipts keeps a joined room's newest read receipts from a sync's
// ephemeral events, inside the sync transaction, and returns the update
// to publish after it commits (nil when nothing moved). A stored receipt
// only gives way to one at least as new.
func storeReceipts(ctx context.Context, q queryer, roomID id.RoomID, ephemeral []*event.Event, me id.UserID) (*ReceiptsChanged, error) {
	latest := latestReceipts(ephemeral, me)
	if len(latest) == 0 {
		return nil, nil
	}
	changed := map[id.UserID]Receipt{}
	for user, r := range latest {
		res, err := q.ExecContext(ctx, `INSERT INTO tm_receipt (room_id, user_id, event_id, ts) VALUES (?, ?, ?, ?)
			ON CONFLICT (room_id, user_id) DO UPDATE SET event_id = excluded.event_id, ts = excluded.ts
			WHERE excluded.ts >= tm_receipt.ts AND excluded.event_id != tm_receipt.event_id`,
			roomID, user, r.EventID, r.TS)
		if err != nil {
			return nil, fmt.Errorf("storing the read receipts of %s: %w", roomID, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			changed[user] = Receipt{EventID: r.EventID, TS: receiptTime(r.TS)}
		}
	}
	if len(changed) == 0 {
		return nil, nil
	}
	return &ReceiptsChanged{RoomID: roomID, Receipts: changed}, nil
}

// receiptTime is a receipt's ts as a time (zero for none).
func receiptTime(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// Receipts returns the newest read receipt of each user in a room (ours
// included), as stored.
func (c *Client) Receipts(roomID id.RoomID) (map[id.UserID]Receipt, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	rows, err := c.db.QueryContext(context.Background(), `SELECT user_id, event_id, ts FROM tm_receipt WHERE room_id = ?`, roomID)
	if err != nil {
		return nil, fmt.Errorf("reading the read receipts of %s: %w", roomID, err)
	}
	defer rows.Close()
	out := map[id.UserID]Receipt{}
	for rows.Next() {
		var user, evID string
		var ts int64
		if err := rows.Scan(&user, &evID, &ts); err != nil {
			return nil, fmt.Errorf("reading the read receipts of %s: %w", roomID, err)
		}
		out[id.UserID(user)] = Receipt{EventID: id.EventID(evID), TS: receiptTime(ts)}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the read receipts of %s: %w", roomID, err)
	}
	return out, nil
}

// HasRead says whether our own stored read receipt in a room (public or
// private, as the server echoed it) is on eventID or on an event stored
// after it: then sending a receipt for eventID again changes nothing, as
// opening the room at every start did. It decides from our receipt, not
// from the room's counts, which the server may update later than the
// events they count.
func (c *Client) HasRead(ctx context.Context, roomID id.RoomID, eventID id.EventID) (bool, error) {
	if c.closed.Load() {
		return false, ErrClosed
	}
	var read bool
	err := c.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM tm_receipt r WHERE r.room_id = ?1 AND r.user_id = ?2 AND (
			r.event_id = ?3 OR
			(SELECT seq FROM tm_timeline WHERE room_id = ?1 AND event_id = r.event_id) >=
			(SELECT seq FROM tm_timeline WHERE room_id = ?1 AND event_id = ?3)))`,
		roomID, c.UserID(), eventID).Scan(&read)
	if err != nil {
		return false, fmt.Errorf("reading our read receipt in %s: %w", roomID, err)
	}
	return read, nil
}
