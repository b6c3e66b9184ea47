package matrix

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// outboxWriteTimeout bounds one write of the outbox to the store.
const outboxWriteTimeout = 15 * time.Second

// The outbox's rows in tm_outbox follow its queues: a row is written
// when a message is queued (before SendText returns), updated when its
// wire form is made or it fails for good, and deleted when it is sent or
// discarded. Single statements, outside writeMu: SQLite's busy timeout
// orders them with the sync's transactions.

// storeQueued writes a newly queued message.
func (c *Client) storeQueued(m *outMsg) error {
	ctx, cancel := context.WithTimeout(c.life, outboxWriteTimeout)
	defer cancel()
	_, err := c.db.ExecContext(ctx, `INSERT INTO tm_outbox (txn_id, room_id, type, content, ts) VALUES (?, ?, ?, ?, ?)`,
		m.txnID, m.roomID, m.evType.Type, string(m.content), m.ts)
	if err != nil {
		return fmt.Errorf("storing a queued message: %w", err)
	}
	return nil
}

// saveWire records the wire form of a queued message.
func (c *Client) saveWire(m *outMsg) {
	c.outboxExec(m, `UPDATE tm_outbox SET wire_type = ?, wire = ? WHERE txn_id = ?`, m.wireType.Type, string(m.wire), m.txnID)
}

// saveFailure records why a message failed for good (nil: it is pending
// again).
func (c *Client) saveFailure(m *outMsg, err error) {
	var reason any
	if err != nil {
		reason = err.Error()
	}
	c.outboxExec(m, `UPDATE tm_outbox SET failed = ? WHERE txn_id = ?`, reason, m.txnID)
}

// forgetQueued deletes a sent or discarded message.
func (c *Client) forgetQueued(m *outMsg) {
	c.outboxExec(m, `DELETE FROM tm_outbox WHERE txn_id = ?`, m.txnID)
}

// outboxExec runs one outbox statement; a failure is logged (the queue in
// memory stays right, only a restart would see the old row).
func (c *Client) outboxExec(m *outMsg, query string, args ...any) {
	ctx, cancel := context.WithTimeout(context.Background(), outboxWriteTimeout)
	defer cancel()
	if _, err := c.db.ExecContext(ctx, query, args...); err != nil {
		c.log.Warn().Err(err).Str("txn_id", m.txnID).Msg("updating the outbox in the store")
	}
}

// loadOutbox fills the outbox from the store, in the order typed.
func (c *Client) loadOutbox(ctx context.Context) error {
	rows, err := c.db.QueryContext(ctx,
		`SELECT txn_id, room_id, type, content, ts, wire_type, wire, failed FROM tm_outbox ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("reading the outbox: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			m                      outMsg
			roomID, evType, body   string
			wireType, wire, failed sql.NullString
		)
		if err := rows.Scan(&m.txnID, &roomID, &evType, &body, &m.ts, &wireType, &wire, &failed); err != nil {
			return fmt.Errorf("reading the outbox: %w", err)
		}
		m.roomID = id.RoomID(roomID)
		m.evType = event.Type{Type: evType, Class: event.MessageEventType}
		m.content = []byte(body)
		if wire.Valid && wireType.Valid {
			m.wireType = event.Type{Type: wireType.String, Class: event.MessageEventType}
			m.wire = []byte(wire.String)
		}
		if failed.Valid {
			m.state, m.err = outFailed, errQueuedFailure{reason: failed.String}
		}
		c.out.add(&m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the outbox: %w", err)
	}
	return nil
}
