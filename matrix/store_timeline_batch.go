package matrix

import (
	"context"
	"fmt"
	"strings"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// timelineAppender stores the events of one room's sync batch in
// tm_timeline. A room with stored events appends each with its own
// INSERT OR IGNORE, whose result says whether the event was new (a sync
// fetched again after a failure brings events a second time). A room with
// none stored (new to the store, or cleared for a gap) can only refuse an
// event that came twice in the batch itself: the appender tells those
// apart in memory and writes the rest with multi-row INSERTs at flush.
// That is the cold start's case, a thousand rooms of a hundred events:
// one statement per event cost as much in database/sql and cgo as
// SQLite's own work.
type timelineAppender struct {
	q      queryer
	fresh  bool                // no event of the room is stored
	seen   map[id.EventID]bool // fresh: the IDs taken so far
	rows   []any               // fresh: the pending rows' arguments, timelineCols each
	nRows  int
	roomID id.RoomID
}

// timelineCols is how many arguments one row of the insert takes.
const timelineCols = 8

// timelineMaxRows is the most rows one multi-row insert writes. Pending
// rows go out in statements of power-of-two sizes up to it, so at most
// seven statements are ever prepared (SQLite compiles each text once per
// connection, and the statement cache keeps them).
const timelineMaxRows = 64

// timelineInsertSQL holds the insert of 1, 2, 4, …, timelineMaxRows rows,
// by the size's bit length less one. Built once; never changed.
var timelineInsertSQL = func() []string {
	var out []string
	for n := 1; n <= timelineMaxRows; n *= 2 {
		var b strings.Builder
		b.WriteString(`INSERT OR IGNORE INTO tm_timeline (room_id, seq, event_id, ts, token, event, e2ee, utd_session) VALUES `)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`(?, ?, ?, ?, ?, ?, ?, ?)`)
		}
		out = append(out, b.String())
	}
	return out
}()

// newTimelineAppender returns an appender for a room; fresh says no event
// of the room is stored (seqBounds found none), n how many events the
// batch brings at most.
func newTimelineAppender(q queryer, roomID id.RoomID, fresh bool, n int) *timelineAppender {
	a := &timelineAppender{q: q, roomID: roomID, fresh: fresh}
	if fresh && n > 0 {
		a.seen = make(map[id.EventID]bool, n)
		a.rows = make([]any, 0, n*timelineCols)
	}
	return a
}

// add stores ev at seq (or, for a fresh room, queues it) unless the room
// has it already, and reports whether it was new, as insertTimeline does.
// data is the event's encodeEvent if it was encoded already (nil: encoded
// here, now, so later changes to ev do not reach the store).
func (a *timelineAppender) add(ctx context.Context, ev *event.Event, seq int64, token string, data []byte) (bool, error) {
	if !a.fresh {
		return insertTimeline(ctx, a.q, ev, seq, token, data)
	}
	if a.seen[ev.ID] {
		return false, nil // twice in the batch: INSERT OR IGNORE kept the first
	}
	data, tok, meta, utd, err := timelineValues(ev, token, data)
	if err != nil {
		return false, err
	}
	if a.seen == nil {
		a.seen = make(map[id.EventID]bool)
	}
	a.seen[ev.ID] = true
	a.rows = append(a.rows, ev.RoomID, seq, ev.ID, ev.Timestamp, tok, data, meta, utd)
	a.nRows++
	return true, nil
}

// flush writes the queued rows; nothing reads the room's timeline in the
// transaction before it.
func (a *timelineAppender) flush(ctx context.Context) error {
	args := a.rows
	for n := a.nRows; n > 0; {
		size := timelineMaxRows
		k := len(timelineInsertSQL) - 1
		for size > n {
			size /= 2
			k--
		}
		res, err := a.q.ExecContext(ctx, timelineInsertSQL[k], args[:size*timelineCols]...)
		if err != nil {
			return fmt.Errorf("storing %d events of %s: %w", size, a.roomID, err)
		}
		if got, _ := res.RowsAffected(); got != int64(size) {
			return fmt.Errorf("storing %d events of %s: %d refused", size, a.roomID, int64(size)-got)
		}
		args = args[size*timelineCols:]
		n -= size
	}
	a.rows, a.nRows = a.rows[:0], 0
	return nil
}
