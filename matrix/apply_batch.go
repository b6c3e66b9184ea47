package matrix

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Storing a sync response: in chunks, each one transaction, the next chunk
// decoded while one is stored (see syncdecode.go for the decoding). What
// one joined or invited room stores is in apply.go.

// syncChunkBytes is about how much of a sync's raw room JSON one
// transaction stores: a big sync (the initial one of a large account) is
// stored and published in several transactions, so its rooms show while
// the rest is stored and only one part of it is decoded at a time.
const syncChunkBytes = 2 << 20

// applyState is what the chunks of one sync share.
type applyState struct {
	before  map[id.RoomID]*roomRow // the rooms before this sync
	changed map[id.RoomID]*roomRow // rows this sync stored so far
	direct  map[id.RoomID]bool
	initial bool
}

// applySync stores a /sync response decoded whole and returns the updates
// to publish (see applyBatchLocked).
func (c *Client) applySync(ctx context.Context, resp *mautrix.RespSync, since string) ([]Update, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	var all []Update
	err := c.applyBatchLocked(ctx, batchOf(resp), since, func(ups []Update) { all = append(all, ups...) })
	return all, err
}

// applyAndPublish applies a sync response and publishes its updates before
// any other store write (history above all) can publish: a HistoryLoaded
// is then always either before the TimelineAppended.Reset of a gap (and
// about the old view, which the Reset replaces) or after it (and about the
// new one), never older events about a view already replaced.
func (c *Client) applyAndPublish(ctx context.Context, b *syncBatch, since string, toDevice []Update) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	err := c.applyBatchLocked(ctx, b, since, func(ups []Update) { c.publishApplied(ctx, ups, since) })
	if err != nil {
		return err
	}
	// The app's to-device events after the state of the same sync (a
	// call member's key after its membership).
	c.hub.Publish(toDevice...)
	c.dispatchVerification(ctx, b.resp.ToDevice.Events, nil, since == "")
	// Events stored earlier whose keys came in this sync.
	if err := c.retryUndecryptableLocked(ctx); err != nil {
		c.log.Warn().Err(err).Msg("decrypting events whose keys arrived")
	}
	return nil
}

// publishApplied publishes the updates of a chunk of a sync just committed
// (writeMu held) and hands them to verification and key requests.
func (c *Client) publishApplied(ctx context.Context, ups []Update, since string) {
	c.hub.Publish(ups...)
	c.dispatchVerification(ctx, nil, ups, since == "")
	c.requestMissingKeys(ups)
}

// newApplyState starts the apply of a sync from since (writeMu held):
// it fails once the Client is closed or another sync was applied since.
func (c *Client) newApplyState(since string) (*applyState, error) {
	if err := c.checkSince(since); err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return &applyState{before: c.rooms, direct: c.direct, initial: since == "", changed: make(map[id.RoomID]*roomRow)}, nil
}

// checkSince fails once the Client is closed or a sync other than the one
// from since was applied (writeMu held).
func (c *Client) checkSince(since string) error {
	if c.closed.Load() {
		return ErrClosed
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.since != since {
		return errors.New("applying sync: another sync was applied meanwhile")
	}
	return nil
}

// applyBatchLocked stores a sync response with writeMu held, in chunks of
// about syncChunkBytes of room JSON (a response decoded whole is one
// chunk). Each chunk is one transaction; the in-memory room list follows
// each commit and emit gets the chunk's updates, never before its commit.
// next_batch is stored with the last chunk only: a sync that fails (or a
// process that dies) part-way is fetched again from the same since token,
// and the chunks already stored take it again without doubling anything
// (events are stored once by ID, state is replaced, receipts only move
// forward). A failed chunk leaves store and memory as the chunks before it
// left them. The rooms of an initial sync stored while it downloaded
// (sync_early.go) are such chunks too: b.early carries on their state.
func (c *Client) applyBatchLocked(ctx context.Context, b *syncBatch, since string, emit func([]Update)) error {
	st := b.early
	if st == nil {
		var err error
		if st, err = c.newApplyState(since); err != nil {
			return err
		}
	} else if err := c.checkSince(since); err != nil {
		return err
	}
	chunks := b.chunks(c.chunkBytes)
	if len(chunks) == 1 {
		// A live sync: one chunk, decoded here (a goroutine and its
		// hand-over would only add scheduler wake-ups to every message).
		chunk := chunks[0]
		defer release(chunk)
		if err := decodeChunk(chunk); err != nil {
			return fmt.Errorf("applying sync: %w", err)
		}
		ups, err := c.applyChunk(ctx, b, st, chunk, true, true)
		if err != nil {
			return err
		}
		emit(ups)
		return nil
	}
	i := 0
	next := func(<-chan struct{}) ([]syncRoom, bool) {
		if i == len(chunks) {
			return nil, false
		}
		i++
		return chunks[i-1], true
	}
	n := 0
	return pipeChunks(next, func(chunk []syncRoom) error {
		n++
		ups, err := c.applyChunk(ctx, b, st, chunk, n == 1, n == len(chunks))
		if err != nil {
			return err
		}
		emit(ups)
		return nil
	})
}

// pipeChunks decodes the chunks next gives, in order, on a goroutine of
// its own, and hands each to store (on the caller's goroutine), releasing
// it after: the decoding is pure CPU and the store waits on SQLite, so
// on two cores the two overlap. Unbuffered: at most two chunks are decoded
// at a time. next is given a channel closed when pipeChunks returns (it
// must not block past that); pipeChunks returns the first error, after the
// decoding goroutine ended.
func pipeChunks(next func(stop <-chan struct{}) ([]syncRoom, bool), store func([]syncRoom) error) error {
	type decodedChunk struct {
		rooms []syncRoom
		err   error
	}
	decoded := make(chan decodedChunk)
	stop := make(chan struct{})
	done := make(chan struct{})
	defer func() {
		close(stop)
		<-done
	}()
	go func() {
		defer close(done)
		defer close(decoded)
		for {
			chunk, ok := next(stop)
			if !ok {
				return
			}
			err := decodeChunk(chunk)
			select {
			case decoded <- decodedChunk{chunk, err}:
			case <-stop:
				release(chunk)
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for d := range decoded {
		if d.err != nil {
			release(d.rooms)
			return fmt.Errorf("applying sync: %w", d.err)
		}
		err := store(d.rooms)
		release(d.rooms)
		if err != nil {
			return err
		}
	}
	return nil
}

// release forgets a chunk's content once it is stored (or given up).
func release(chunk []syncRoom) {
	for j := range chunk {
		chunk[j].release()
	}
}

// decodeChunk decodes a chunk's rooms and parses their events' content.
func decodeChunk(chunk []syncRoom) error {
	for i := range chunk {
		if err := chunk[i].decode(); err != nil {
			return err
		}
		chunk[i].prepare()
	}
	return nil
}

// applyChunk stores one decoded chunk of a sync in one transaction (the account
// data with the first, next_batch with the last), updates the in-memory
// room list and returns the chunk's updates.
func (c *Client) applyChunk(ctx context.Context, b *syncBatch, st *applyState, chunk []syncRoom, first, last bool) ([]Update, error) {
	direct := st.direct
	directChanged := false
	changed := make(map[id.RoomID]*roomRow)
	var removed []id.RoomID
	var left []Update
	perRoom := make(map[id.RoomID]*roomUpdates)
	err := c.writeTxn(ctx, func(ctx context.Context, sqlTx *sql.Tx) error {
		tx := newStmtCache(sqlTx, c.stmts)
		defer tx.close()
		var err error
		if first {
			direct, directChanged, err = c.applyAccountData(ctx, tx, b.resp, direct)
			if err != nil {
				return err
			}
		}
		left, removed, err = c.applyRooms(ctx, tx, b, chunk, st, direct, changed, perRoom)
		if err != nil {
			return err
		}
		if last {
			if err := setSyncValue(ctx, tx, "next_batch", b.resp.NextBatch); err != nil {
				return fmt.Errorf("applying sync: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, dbutil.ErrTxnCommit) {
			return nil, fmt.Errorf("applying sync: committing: %w", err)
		}
		return nil, err
	}
	st.direct = direct
	for k, v := range changed {
		st.changed[k] = v
	}
	for _, k := range removed {
		delete(st.changed, k)
	}

	c.mu.Lock()
	c.setRoomsLocked(changed, removed...)
	for _, k := range removed {
		delete(c.shownFrom, k)
	}
	for k, ru := range perRoom {
		if ru.reset {
			delete(c.shownFrom, k)
		}
	}
	if directChanged {
		c.direct = direct
		c.forgetSortedLocked()
	}
	if last {
		c.since = b.resp.NextBatch
		// The sync loop makes one request at a time: the latest is the
		// one applied here.
		c.appliedReq = c.syncReqs.Load()
		close(c.applied)
		c.applied = make(chan struct{})
	}
	c.mu.Unlock()

	ups := left
	if len(changed) > 0 || len(removed) > 0 || directChanged {
		ups = append(ups, RoomsChanged{Rooms: c.RoomList()})
	}
	for _, roomID := range sortedKeys(perRoom) {
		ru := perRoom[roomID]
		for _, ev := range ru.state {
			ups = append(ups, StateChanged{RoomID: roomID, Event: ev})
		}
		if len(ru.timeline) > 0 || ru.reset {
			ups = append(ups, TimelineAppended{RoomID: roomID, Events: ru.timeline, Reset: ru.reset})
		}
		for _, cs := range ru.calls {
			ups = append(ups, cs)
		}
		for _, n := range ru.notify {
			ups = append(ups, n)
		}
		if ru.typing != nil {
			ups = append(ups, *ru.typing)
		}
		if ru.receipts != nil {
			ups = append(ups, *ru.receipts)
		}
	}
	return ups, nil
}

// applyAccountData stores the sync's m.direct, returning the DM set and
// whether it changed.
func (c *Client) applyAccountData(ctx context.Context, tx queryer, resp *mautrix.RespSync,
	direct map[id.RoomID]bool) (_ map[id.RoomID]bool, changed bool, _ error) {
	for _, ev := range resp.AccountData.Events {
		if ev == nil || ev.Type.Type != event.AccountDataDirectChats.Type {
			continue
		}
		raw := []byte(ev.Content.VeryRaw)
		if len(raw) == 0 {
			raw = []byte("{}")
		}
		if err := putAccountData(ctx, tx, ev.Type.Type, raw); err != nil {
			return nil, false, fmt.Errorf("applying sync: %w", err)
		}
		direct, changed = parseDirect(raw), true
	}

	return direct, changed, nil
}

// applyRooms stores a chunk's joined, invited and left rooms, filling
// changed and perRoom, and returns the RoomLeft updates and the rooms
// removed.
func (c *Client) applyRooms(ctx context.Context, tx queryer, b *syncBatch, chunk []syncRoom, st *applyState,
	direct map[id.RoomID]bool, changed map[id.RoomID]*roomRow,
	perRoom map[id.RoomID]*roomUpdates) (left []Update, removed []id.RoomID, _ error) {

	for i := range chunk {
		r := &chunk[i]
		roomID := r.id
		switch r.section {
		case sectionJoin:
			if r.join == nil {
				continue
			}
			ru := &roomUpdates{}
			row, err := c.applyJoined(ctx, tx, roomID, r.join, r.encoded, st.before[roomID], st.initial, direct, ru)
			if err != nil {
				return nil, nil, fmt.Errorf("applying sync of %s: %w", roomID, err)
			}
			changed[roomID] = row
			perRoom[roomID] = ru
		case sectionInvite:
			if r.invite == nil {
				continue
			}
			if old := st.before[roomID]; old != nil && old.Membership == event.MembershipJoin {
				continue // a stale invite for a room we are in
			}
			ru := &roomUpdates{}
			row, err := c.applyInvited(ctx, tx, roomID, r.invite, st.before[roomID], ru)
			if err != nil {
				return nil, nil, fmt.Errorf("applying invite to %s: %w", roomID, err)
			}
			changed[roomID] = row
			perRoom[roomID] = ru
		case sectionLeave:
			if b.joined[roomID] {
				continue
			}
			was := changed[roomID]
			if was == nil {
				was = st.changed[roomID]
			}
			if was == nil {
				was = st.before[roomID]
			}
			if was == nil {
				continue
			}
			rl := roomLeft(was, r.leave, c.sess.UserID)
			if rl.By != "" {
				// Read before the room's state is forgotten.
				name, _, err := stateString(ctx, tx, roomID, event.StateMember.Type, string(rl.By), "displayname")
				if err != nil {
					return nil, nil, fmt.Errorf("applying sync: %w", err)
				}
				rl.ByName = memberName(memberInfo{DisplayName: name}, rl.By)
			}
			left = append(left, rl)
			if err := deleteRoom(ctx, tx, roomID); err != nil {
				return nil, nil, fmt.Errorf("applying sync: %w", err)
			}
			if err := c.forgetRoomSession(ctx, roomID); err != nil {
				return nil, nil, fmt.Errorf("applying sync: %w", err)
			}
			delete(changed, roomID)
			delete(perRoom, roomID)
			removed = append(removed, roomID)
		}
	}
	return left, removed, nil
}
