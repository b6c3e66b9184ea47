package matrix

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// Storing an initial sync while it downloads. The initial /sync of a big
// account is tens of megabytes, and storing it (SQLite) is slower than
// reading it; without this, the store would start only once the whole
// body is read. So the joined rooms that need nothing from later in the
// body are stored as they arrive, in chunks (applyChunk, as the rest of
// the sync is), by a goroutine of its own (the body's reader keeps
// draining the network), the decoding of a chunk beside the store of the
// one before (pipeChunks).
//
// A room may go early when:
//   - the sync is an initial one (since == ""), the only one big enough;
//   - the response's account_data came before its rooms: m.direct decides
//     which rooms are DMs. Dendrite and the synthetic homeserver write it
//     first; a server writing rooms first (conduit's serde order) gets
//     no early rooms and today's path;
//   - it is in rooms.join, its raw JSON cannot hold an encrypted event
//     (mayHoldEncrypted: that event waits for the keys the to-device
//     events bring), and the response did not name it before.
//
// Everything else (encrypted rooms, invites, leaves, a room named again
// after it went early) is stored as before, after the whole body is read
// and its to-device events processed, once the early rooms are all
// stored: a room named twice is thus stored as if the two values came in
// two syncs one after the other, and a leave of a room that went early
// is ignored as a leave of any joined room of the same sync is.
//
// The guarantees of applyBatchLocked hold: each early chunk is one
// transaction, taken with writeMu held and after checking that no other
// sync was applied; its updates are published after its commit; next_batch
// comes only with the last chunk of the whole sync, so a body cut off or
// failing to decode leaves the early chunks stored, and the sync fetched
// again from the same since token stores them again, nothing twice. The
// sync fails if an early chunk fails; nothing is stored after syncOnce
// returns (it ends the early store first: finish or abort).

// earlyStore stores the early rooms of one initial sync. The body's
// reader hands it chunks (push); finish or abort end it.
type earlyStore struct {
	c          *Client
	ctx        context.Context // of the sync: publishing, key requests
	storeCtx   context.Context // of the store: abort cancels it
	cancel     context.CancelFunc
	since      string
	chunkBytes int

	mu     sync.Mutex
	batch  *syncBatch // the account data read before the rooms
	queue  [][]syncRoom
	queued int           // the raw size of the rooms in queue
	ended  bool          // no chunk comes any more
	wake   chan struct{} // a chunk came, or the end
	taken  chan struct{} // the store took a chunk from the queue
	// progress, if set, is called after each chunk stored (the sync's
	// watchdog then knows the response is still being read).
	progress func()

	done   chan struct{} // closed when run ends
	err    error         // run's error, once done
	st     *applyState   // the state of the chunks stored (nil: none)
	stored int           // how many chunks were stored
}

// startEarlyStore starts storing the early rooms of the sync from since;
// nil (no room goes early) unless it is an initial sync. progress, if not
// nil, is called after each chunk stored. The caller ends it with finish
// or abort.
func (c *Client) startEarlyStore(ctx context.Context, since string, progress func()) *earlyStore {
	if since != "" {
		return nil
	}
	storeCtx, cancel := context.WithCancel(ctx)
	e := &earlyStore{
		c: c, ctx: ctx, storeCtx: storeCtx, cancel: cancel, since: since, chunkBytes: c.chunkBytes,
		wake: make(chan struct{}, 1), taken: make(chan struct{}, 1), done: make(chan struct{}),
		progress: progress,
	}
	go e.run()
	return e
}

func (e *earlyStore) run() {
	defer close(e.done)
	e.err = pipeChunks(e.next, e.store)
}

// earlyQueueBytes bounds the raw rooms queued for the early store. Storing
// is slower than reading, and the reader used to write what ran ahead to
// the spill file (a system call per room each way, some 0.1 s of a cold
// start of 1,000 rooms): it now waits for the store instead, the rest of
// the response waiting in the network's buffers.
const earlyQueueBytes = syncKeepBytes

// push hands a chunk of early rooms over (the reader's side), of n bytes
// of raw JSON, and waits while more than earlyQueueBytes are queued,
// unless the store has ended.
func (e *earlyStore) push(chunk []syncRoom, n int) {
	e.mu.Lock()
	e.queue = append(e.queue, chunk)
	e.queued += n
	e.mu.Unlock()
	e.signal()
	for {
		e.mu.Lock()
		full := e.queued > earlyQueueBytes
		e.mu.Unlock()
		if !full {
			return
		}
		select {
		case <-e.taken:
		case <-e.done:
			return
		}
	}
}

func (e *earlyStore) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// next waits for the next chunk; false once the chunks ended (or stop).
func (e *earlyStore) next(stop <-chan struct{}) ([]syncRoom, bool) {
	for {
		e.mu.Lock()
		if len(e.queue) > 0 {
			chunk := e.queue[0]
			e.queue[0] = nil
			e.queue = e.queue[1:]
			for _, r := range chunk {
				e.queued -= len(r.raw) + r.n
			}
			e.mu.Unlock()
			select {
			case e.taken <- struct{}{}:
			default:
			}
			return chunk, true
		}
		ended := e.ended
		e.mu.Unlock()
		if ended {
			return nil, false
		}
		select {
		case <-e.wake:
		case <-stop:
			return nil, false
		}
	}
}

// store stores one decoded chunk in one transaction (the account data
// with the first) and publishes its updates.
func (e *earlyStore) store(chunk []syncRoom) error {
	if err := e.storeCtx.Err(); err != nil {
		return err
	}
	c := e.c
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if e.st == nil {
		st, err := c.newApplyState(e.since)
		if err != nil {
			return err
		}
		e.st = st
	} else if err := c.checkSince(e.since); err != nil {
		return err
	}
	e.mu.Lock()
	b := e.batch
	e.mu.Unlock()
	ups, err := c.applyChunk(e.storeCtx, b, e.st, chunk, e.stored == 0, false)
	if err != nil {
		return err
	}
	e.stored++
	c.publishApplied(e.ctx, ups, e.since)
	if e.progress != nil {
		e.progress()
	}
	return nil
}

// end says no chunk comes any more.
func (e *earlyStore) end() {
	e.mu.Lock()
	e.ended = true
	e.mu.Unlock()
	e.signal()
}

// finish waits until the early rooms are all stored (the body was read
// whole) and lets b's apply carry on from them; the error of an early
// chunk fails the sync. No-op on nil.
func (e *earlyStore) finish(b *syncBatch) error {
	if e == nil {
		return nil
	}
	e.end()
	<-e.done
	e.cancel()
	if e.err != nil {
		return fmt.Errorf("storing the first rooms: %w", e.err)
	}
	b.early = e.st
	return nil
}

// abort stops the early store (the sync failed) and waits for it: the
// chunks stored stay, the others are dropped. No-op on nil; may be called
// again.
func (e *earlyStore) abort() {
	if e == nil {
		return
	}
	e.cancel()
	e.end()
	<-e.done
}

// startEarly lets the joined rooms read from now on go early, with the
// account data v that came before them (a value of key account_data).
// No room goes early if e is nil or v does not decode (the decoding of
// the whole response reports why).
func (s *roomSink) startEarly(e *earlyStore, v []byte) {
	if e == nil {
		return
	}
	resp := &mautrix.RespSync{}
	wrapped := append(append([]byte(`{"account_data":`), v...), '}')
	if err := json.Unmarshal(wrapped, resp); err != nil {
		s.early = nil
		return
	}
	e.mu.Lock()
	e.batch = &syncBatch{resp: resp, joined: map[id.RoomID]bool{}}
	e.mu.Unlock()
	s.early = e
	if s.earlyIDs == nil {
		s.earlyIDs = make(map[id.RoomID]bool)
	}
}

// takesEarly says whether a room just read goes early.
func (s *roomSink) takesEarly(sec roomSection, roomID id.RoomID, encrypted bool) bool {
	if s.early == nil || sec != sectionJoin || encrypted || s.earlyIDs[roomID] {
		return false
	}
	_, named := s.sections[sectionJoin][roomID]
	return !named
}

// addEarly adds a room to the early chunk being filled, handing the chunk
// over once it holds about chunkBytes.
func (s *roomSink) addEarly(roomID id.RoomID, r syncRoom) {
	r.id, r.section = roomID, sectionJoin
	s.earlyIDs[roomID] = true
	s.pending = append(s.pending, r)
	s.pendingN += len(r.raw) + r.n
	if s.pendingN >= s.early.chunkBytes {
		s.flushEarly()
	}
}

// flushEarly hands the early rooms not handed over yet to be stored.
func (s *roomSink) flushEarly() {
	if len(s.pending) == 0 {
		return
	}
	s.early.push(s.pending, s.pendingN)
	s.pending, s.pendingN = nil, 0
}
