package matrix

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// The timeline table keeps each room's recent events in order (seq grows
// with newer events; history fetched with /messages gets seqs below the
// oldest). token, where set, is the /messages token that paginates
// backwards from just before that event: the sync batch's prev_batch for a
// batch's first event, the /messages end token for a history chunk's
// oldest. Trimming only cuts at an event with a token, so the room's
// prev_batch always continues exactly where the stored timeline begins.
//
// tm_timeline stays a rowid table, though WITHOUT ROWID would keep two
// B-trees per event instead of three: such a table keeps at most about a
// quarter of a page of a row in its B-tree and gives each longer row an
// overflow page of its own. BenchmarkLoadTimelineBySize measured the store
// of 4,000 events with 1,500-byte bodies at 4,658 pages that way against
// 2,125 (3% smaller with 100-byte bodies), and neither storing the
// initial sync nor reading a room's newest events measurably faster.

// seqBounds returns the lowest and highest seq stored for a room; has is
// false (and both 0) when none is stored. MIN and MAX are asked in
// subqueries of their own: SQLite answers a lone MIN or MAX with one seek
// in the (room_id, seq) index, but both in one SELECT with a scan of all the
// room's entries (a cost paid by every message that arrives).
func seqBounds(ctx context.Context, q queryer, roomID id.RoomID) (lo, hi int64, has bool, err error) {
	var l, h sql.NullInt64
	err = q.QueryRowContext(ctx, `SELECT (SELECT MIN(seq) FROM tm_timeline WHERE room_id = ?1),
		(SELECT MAX(seq) FROM tm_timeline WHERE room_id = ?1)`, roomID).Scan(&l, &h)
	if err != nil {
		return 0, 0, false, fmt.Errorf("reading timeline bounds of %s: %w", roomID, err)
	}
	return l.Int64, h.Int64, l.Valid, nil
}

// setToken sets the pagination token of a stored event.
func setToken(ctx context.Context, q queryer, roomID id.RoomID, seq int64, token string) error {
	if _, err := q.ExecContext(ctx, `UPDATE tm_timeline SET token = ? WHERE room_id = ? AND seq = ?`, token, roomID, seq); err != nil {
		return fmt.Errorf("saving history token of %s: %w", roomID, err)
	}
	return nil
}

// insertTimeline stores an event at seq unless the room has it already
// (dedupe by event ID). It reports whether the event was new. data is
// the event's encodeEvent if it was encoded already (nil: encoded here).
func insertTimeline(ctx context.Context, q queryer, ev *event.Event, seq int64, token string, data []byte) (bool, error) {
	data, tok, meta, utd, err := timelineValues(ev, token, data)
	if err != nil {
		return false, err
	}
	res, err := q.ExecContext(ctx, `INSERT OR IGNORE INTO tm_timeline (room_id, seq, event_id, ts, token, event, e2ee, utd_session)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, ev.RoomID, seq, ev.ID, ev.Timestamp, tok, data, meta, utd)
	if err != nil {
		return false, fmt.Errorf("storing event %s: %w", ev.ID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// timelineValues is what a tm_timeline row holds of ev beside its room,
// seq and ID: the event as stored (data, encoded here if nil), the token
// (nil for none), what decrypting it found and the session it waits for.
func timelineValues(ev *event.Event, token string, data []byte) (_ []byte, tok, meta, utd any, err error) {
	if data == nil {
		if data, err = encodeEvent(ev); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	if token != "" {
		tok = token
	}
	meta, utd = metaOf(ev)
	return data, tok, meta, utd, nil
}

// updateTimelineEvent replaces a stored event by a new form of it (the
// decrypted event, or a new reason it cannot be decrypted).
func updateTimelineEvent(ctx context.Context, q queryer, roomID id.RoomID, seq int64, ev *event.Event) error {
	data, err := encodeEvent(ev)
	if err != nil {
		return err
	}
	meta, utd := metaOf(ev)
	if _, err := q.ExecContext(ctx, `UPDATE tm_timeline SET event = ?, e2ee = ?, utd_session = ? WHERE room_id = ? AND seq = ?`,
		data, meta, utd, roomID, seq); err != nil {
		return fmt.Errorf("updating event %s: %w", ev.ID, err)
	}
	return nil
}

// hasTimelineEvent says whether a room's stored timeline holds an event.
func hasTimelineEvent(ctx context.Context, q queryer, roomID id.RoomID, eventID id.EventID) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM tm_timeline WHERE room_id = ? AND event_id = ?`, roomID, eventID).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("looking up event %s: %w", eventID, err)
	}
	return true, nil
}

// storedAmong returns which of evs a room's stored timeline holds.
func storedAmong(ctx context.Context, q queryer, roomID id.RoomID, evs []*event.Event) (map[id.EventID]bool, error) {
	var out map[id.EventID]bool
	for _, ev := range evs {
		if ev == nil || ev.ID == "" {
			continue
		}
		ok, err := hasTimelineEvent(ctx, q, roomID, ev.ID)
		if err != nil {
			return nil, err
		}
		if ok {
			if out == nil {
				out = make(map[id.EventID]bool)
			}
			out[ev.ID] = true
		}
	}
	return out, nil
}

// clearTimeline forgets a room's stored timeline (after a gap).
func clearTimeline(ctx context.Context, q queryer, roomID id.RoomID) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM tm_timeline WHERE room_id = ?`, roomID); err != nil {
		return fmt.Errorf("clearing timeline of %s: %w", roomID, err)
	}
	return nil
}

// trimTimeline keeps at least keep of a room's newest events, cutting at
// the newest event with a token at or before the keep-th newest one and at
// or before floor (the oldest event the UI was given, which must stay). It
// returns the token the room's prev_batch must become, and whether it cut.
// span, when above 0, is at least how many events the room holds (seqs
// are unique: the highest less the lowest plus one); when it is no more
// than keep there is nothing to cut and nothing is read.
func trimTimeline(ctx context.Context, q queryer, roomID id.RoomID, keep int, floor, span int64) (string, bool, error) {
	if span > 0 && span <= int64(keep) {
		return "", false, nil
	}
	var count int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM tm_timeline WHERE room_id = ?`, roomID).Scan(&count); err != nil {
		return "", false, fmt.Errorf("counting timeline of %s: %w", roomID, err)
	}
	if count <= keep {
		return "", false, nil
	}
	// The seq of the keep-th newest event.
	var boundary int64
	if err := q.QueryRowContext(ctx, `SELECT seq FROM tm_timeline WHERE room_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?`,
		roomID, keep-1).Scan(&boundary); err != nil {
		return "", false, fmt.Errorf("trimming timeline of %s: %w", roomID, err)
	}
	boundary = min(boundary, floor)
	var cut int64
	var token string
	err := q.QueryRowContext(ctx, `SELECT seq, token FROM tm_timeline WHERE room_id = ? AND seq <= ? AND token IS NOT NULL
		ORDER BY seq DESC LIMIT 1`, roomID, boundary).Scan(&cut, &token)
	if err == sql.ErrNoRows {
		return "", false, nil
	} else if err != nil {
		return "", false, fmt.Errorf("trimming timeline of %s: %w", roomID, err)
	}
	res, err := q.ExecContext(ctx, `DELETE FROM tm_timeline WHERE room_id = ? AND seq < ?`, roomID, cut)
	if err != nil {
		return "", false, fmt.Errorf("trimming timeline of %s: %w", roomID, err)
	}
	n, _ := res.RowsAffected()
	return token, n > 0, nil
}

// noSeq is a seq above every stored one.
const noSeq = int64(1) << 62

// loadTimeline returns up to limit of a room's newest stored events with a
// seq below before, oldest first, and the lowest seq returned (before when
// none).
func loadTimeline(ctx context.Context, q queryer, roomID id.RoomID, before int64, limit int) ([]*event.Event, int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT seq, event, e2ee FROM (
		SELECT seq, event, e2ee FROM tm_timeline WHERE room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?
	) ORDER BY seq ASC`, roomID, before, limit)
	if err != nil {
		return nil, before, fmt.Errorf("loading timeline of %s: %w", roomID, err)
	}
	defer rows.Close()
	out := make([]*event.Event, 0, min(limit, 1024))
	lowest := before
	for rows.Next() {
		var seq int64
		var data, meta []byte
		if err := rows.Scan(&seq, &data, &meta); err != nil {
			return nil, before, fmt.Errorf("loading timeline of %s: %w", roomID, err)
		}
		lowest = min(lowest, seq)
		ev, err := decodeEvent(data, roomID)
		if err != nil {
			continue
		}
		applyMeta(ev, meta)
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, before, fmt.Errorf("loading timeline of %s: %w", roomID, err)
	}
	return out, lowest, nil
}

// storedEvent reads one stored timeline event by ID.
func storedEvent(ctx context.Context, q queryer, roomID id.RoomID, eventID id.EventID) (*event.Event, error) {
	var data, meta []byte
	err := q.QueryRowContext(ctx, `SELECT event, e2ee FROM tm_timeline WHERE room_id = ? AND event_id = ?`, roomID, eventID).Scan(&data, &meta)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("reading event %s of %s: %w", eventID, roomID, ErrNotStored)
	}
	if err != nil {
		return nil, fmt.Errorf("reading event %s of %s: %w", eventID, roomID, err)
	}
	ev, err := decodeEvent(data, roomID)
	if err != nil {
		return nil, fmt.Errorf("reading event %s of %s: %w", eventID, roomID, err)
	}
	applyMeta(ev, meta)
	return ev, nil
}

// countTimelineEvent counts how often an event ID is stored in a room (for tests).
func countTimelineEvent(ctx context.Context, q queryer, roomID id.RoomID, eventID id.EventID) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM tm_timeline WHERE room_id = ? AND event_id = ?`, roomID, eventID).Scan(&n)
	return n, err
}
