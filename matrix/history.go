package matrix

import (
	"context"
	"fmt"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// historyTimeout bounds one /messages request.
const historyTimeout = 60 * time.Second

// LoadHistory fetches up to limit events older than what the UI was given
// (by Timeline or earlier LoadHistory calls) and publishes them as one
// HistoryLoaded, oldest first. For a room sync has not brought yet (just
// joined) it first waits for it, bounded by ctx and 30 s. Older events
// already in the store are served from there; beyond them /messages is
// asked from the stored pagination token, and what it returns is stored
// too. ReachedStart is
// true once the room's first event was delivered. Calls for one room are
// serialised; it returns when the HistoryLoaded is published.
func (c *Client) LoadHistory(ctx context.Context, roomID id.RoomID, limit int) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if limit <= 0 {
		limit = syncTimelineLimit
	}
	mu := c.historyLocks.get(roomID)
	mu.Lock()
	defer mu.Unlock()

	c.mu.RLock()
	known := c.rooms[roomID] != nil
	c.mu.RUnlock()
	if !known {
		c.waitJoined(ctx, roomID, joinSyncWait)
	}
	// Stored events older than those shown come first.
	token, done, err := c.historyFromStore(ctx, roomID, limit)
	if err != nil || done {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, historyTimeout)
	filter := &mautrix.FilterPart{LazyLoadMembers: true}
	resp, err := c.cli.Messages(rctx, roomID, token, "", mautrix.DirectionBackward, filter, limit)
	cancel()
	if err != nil {
		return fmt.Errorf("loading history of %s: %w", roomID, c.scrub(err))
	}
	return c.storeHistory(ctx, roomID, token, resp)
}

// historyFromStore publishes, as one HistoryLoaded, up to limit stored
// events older than those shown (when no Timeline or history call has
// shown any since the last reset, the view is the reset's events, i.e. all
// stored ones, so nothing stored is older), or, when
// there are none and the room's start is stored, an empty one with
// ReachedStart; done says it published. Otherwise it returns the token
// /messages must continue from. It runs under writeMu, so a sync's reset of
// the room (and its TimelineAppended.Reset) is either wholly before or
// wholly after it.
func (c *Client) historyFromStore(ctx context.Context, roomID id.RoomID, limit int) (token string, done bool, err error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.closed.Load() {
		return "", false, ErrClosed
	}
	c.mu.RLock()
	row := c.rooms[roomID]
	from, shown := c.shownFrom[roomID]
	c.mu.RUnlock()
	if row == nil {
		return "", false, fmt.Errorf("loading history of %s: %w", roomID, errNotJoined)
	}
	if !shown {
		from = noSeq
		lo, _, has, err := seqBounds(ctx, c.db, roomID)
		if err != nil {
			return "", false, fmt.Errorf("loading history: %w", err)
		}
		if has {
			from = lo
		}
	}
	evs, lowest, err := loadTimeline(ctx, c.db, roomID, from, limit)
	if err != nil {
		return "", false, fmt.Errorf("loading history: %w", err)
	}
	if len(evs) > 0 {
		more, _, err := loadTimeline(ctx, c.db, roomID, lowest, 1)
		if err != nil {
			return "", false, fmt.Errorf("loading history: %w", err)
		}
		c.mu.Lock()
		c.shownFrom[roomID] = lowest
		c.mu.Unlock()
		c.hub.Publish(HistoryLoaded{RoomID: roomID, Events: evs, ReachedStart: row.HistoryDone && len(more) == 0})
		return "", true, nil
	}
	if row.HistoryDone || row.PrevBatch == "" {
		c.hub.Publish(HistoryLoaded{RoomID: roomID, ReachedStart: true})
		return "", true, nil
	}
	return row.PrevBatch, false, nil
}

// storeHistory stores one /messages answer below the room's oldest stored
// event and publishes it.
func (c *Client) storeHistory(ctx context.Context, roomID id.RoomID, token string, resp *mautrix.RespMessages) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.closed.Load() {
		return ErrClosed
	}
	c.mu.RLock()
	old := c.rooms[roomID]
	c.mu.RUnlock()
	if old == nil || old.PrevBatch != token {
		// The timeline was reset or trimmed meanwhile: deliver nothing,
		// the caller may ask again.
		c.hub.Publish(HistoryLoaded{RoomID: roomID})
		return nil
	}
	// Decrypt first: the crypto store writes on its own (nothing else
	// writes meanwhile, writeMu is held).
	for i, ev := range resp.Chunk {
		if ev != nil && ev.Type.Type == event.EventEncrypted.Type {
			prepareEvent(ev, roomID)
			resp.Chunk[i] = c.decrypt(ctx, ev)
		}
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storing history of %s: %w", roomID, err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, ev := range resp.State {
		if ev == nil || ev.StateKey == nil || ev.Type.Type != event.StateMember.Type {
			continue
		}
		prepareEvent(ev, roomID)
		if _, err := putStateIfAbsent(ctx, tx, ev); err != nil {
			return err
		}
	}
	lo, _, has, err := seqBounds(ctx, tx, roomID)
	if err != nil {
		return err
	}
	if !has {
		lo = 0
	}
	var evs []*event.Event // newest first, as /messages gives them
	for _, ev := range resp.Chunk {
		if ev == nil || ev.ID == "" {
			continue
		}
		prepareEvent(ev, roomID)
		inserted, err := insertTimeline(ctx, tx, ev, lo-1, "", nil)
		if err != nil {
			return err
		}
		if inserted {
			lo--
			evs = append(evs, ev)
		}
	}
	row := old.clone()
	reached := resp.End == "" || len(resp.Chunk) == 0
	if reached {
		row.PrevBatch, row.HistoryDone = "", true
	} else {
		row.PrevBatch = resp.End
		if len(evs) > 0 {
			if err := setToken(ctx, tx, roomID, lo, resp.End); err != nil {
				return err
			}
		}
	}
	if row.LastActivity == 0 && len(evs) > 0 {
		row.LastActivity = evs[0].Timestamp
	}
	if err := saveRoom(ctx, tx, row); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storing history of %s: %w", roomID, err)
	}
	c.ckpt.wrote()
	c.mu.Lock()
	c.setRoomsLocked(map[id.RoomID]*roomRow{roomID: row})
	if has || len(evs) > 0 {
		c.shownFrom[roomID] = lo
	}
	c.mu.Unlock()
	// Oldest first for the subscriber.
	for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
		evs[i], evs[j] = evs[j], evs[i]
	}
	c.hub.Publish(HistoryLoaded{RoomID: roomID, Events: evs, ReachedStart: reached})
	return nil
}
