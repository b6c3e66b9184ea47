package matrix

import (
	"encoding/json"
	"reflect"
	"sync"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// The outbox is the user's messages on their way out: one ordered queue
// per room, sent one message at a time in the order typed.
//
// A message stays at the head of its room's queue until the server has
// it: an attempt that fails for a reason that passes (no connection, a
// 5xx, a gateway error, 429, a timeout) is tried again with back-off, and
// at once when the sync loop reports the connection back, always under the
// same transaction ID and with the same bytes (in an encrypted room the
// ciphertext made at the first attempt), so the server stores it once. A
// message whose own event comes through sync (unsigned.transaction_id) is
// sent, whatever its attempt said.
//
// A message the server refuses for good (a 4xx other than 429:
// M_FORBIDDEN, M_TOO_LARGE, ...; or one that cannot be encrypted) is
// failed, and, as in Element, the room's queue stops there: the messages
// typed after it stay pending until the user retries (Client.Retry) or
// discards (Client.Discard) it. Sending them past it would reorder the
// conversation. Other rooms' queues go on.
//
// The queue lives in the store (tm_outbox), so messages typed offline
// survive a restart of termatrix: Client.Outbox lists them and they are
// sent once Run starts.

// outState is where a queued message is.
type outState int

const (
	outQueued  outState = iota // waiting its turn, or between attempts
	outSending                 // an attempt is in flight
	outFailed                  // refused for good: waits for Retry or Discard
)

// outMsg is one queued message.
type outMsg struct {
	txnID   string
	roomID  id.RoomID
	evType  event.Type
	content json.RawMessage // the message as typed (plaintext)
	ts      int64           // when it was typed, Unix ms
	// wireType and wire are what goes to the server, fixed by the first
	// attempt that got that far: the ciphertext in an encrypted room, so
	// every retry resends the same bytes.
	wireType event.Type
	wire     json.RawMessage

	state outState
	err   error // the last failure
	// failedOnce: an attempt failed (its event may still have been stored).
	failedOnce bool
	// sentAs is the event ID sync brought for this transaction; seen is
	// closed then.
	sentAs id.EventID
	seen   chan struct{}
}

// roomQueue is one room's queue, oldest first.
type roomQueue struct {
	msgs    []*outMsg
	running bool // a worker goroutine serves it
}

// outbox holds every room's queue.
type outbox struct {
	mu    sync.Mutex
	rooms map[id.RoomID]*roomQueue
	byTxn map[string]*outMsg
	// back is closed (and replaced) when the sync loop reports the
	// connection back (StatusChanged synced).
	back chan struct{}
}

func newOutbox() *outbox {
	return &outbox{rooms: map[id.RoomID]*roomQueue{}, byTxn: map[string]*outMsg{}, back: make(chan struct{})}
}

// add appends m to its room's queue.
func (o *outbox) add(m *outMsg) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if m.seen == nil {
		m.seen = make(chan struct{})
	}
	q := o.rooms[m.roomID]
	if q == nil {
		q = &roomQueue{}
		o.rooms[m.roomID] = q
	}
	q.msgs = append(q.msgs, m)
	o.byTxn[m.txnID] = m
}

// claim says whether a worker should start for the room: it has a message
// to send and none serves it yet. The caller then runs the worker.
func (o *outbox) claim(roomID id.RoomID) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	q := o.rooms[roomID]
	if q == nil || q.running || len(q.msgs) == 0 || q.msgs[0].state == outFailed {
		return false
	}
	q.running = true
	return true
}

// next returns the head of the room's queue for the worker, marked
// sending, or nil (and the worker must end) when the queue is empty or
// stopped at a failed message.
func (o *outbox) next(roomID id.RoomID) *outMsg {
	o.mu.Lock()
	defer o.mu.Unlock()
	q := o.rooms[roomID]
	if q == nil {
		return nil
	}
	if len(q.msgs) == 0 || q.msgs[0].state == outFailed {
		q.running = false
		if len(q.msgs) == 0 {
			delete(o.rooms, roomID)
		}
		return nil
	}
	m := q.msgs[0]
	m.state = outSending
	return m
}

// release ends a worker that stops early (the client is closing).
func (o *outbox) release(roomID id.RoomID) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if q := o.rooms[roomID]; q != nil {
		q.running = false
	}
}

// remove takes m out of its queue (sent or discarded).
func (o *outbox) remove(m *outMsg) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.byTxn, m.txnID)
	q := o.rooms[m.roomID]
	if q == nil {
		return
	}
	for i, x := range q.msgs {
		if x == m {
			q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
			break
		}
	}
}

// setState records an attempt's outcome on m.
func (o *outbox) setState(m *outMsg, s outState, err error) {
	o.mu.Lock()
	m.state, m.err = s, err
	if err != nil {
		m.failedOnce = true
	}
	o.mu.Unlock()
}

// setWire records what goes on the wire for m (the worker alone reads it
// unlocked).
func (o *outbox) setWire(m *outMsg, t event.Type, wire json.RawMessage) {
	o.mu.Lock()
	m.wireType, m.wire = t, wire
	o.mu.Unlock()
}

// find returns the queued message of the room with that transaction ID.
func (o *outbox) find(roomID id.RoomID, txnID string) *outMsg {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := o.byTxn[txnID]
	if m == nil || m.roomID != roomID {
		return nil
	}
	return m
}

// reopen turns a failed message back into a queued one; false if it is
// not failed.
func (o *outbox) reopen(m *outMsg) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if m.state != outFailed {
		return false
	}
	m.state, m.err = outQueued, nil
	return true
}

// sawSent marks the message with txnID as sent as eventID (its event came
// through sync) and wakes its worker.
func (o *outbox) sawSent(txnID string, eventID id.EventID) {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := o.byTxn[txnID]
	if m == nil || m.sentAs != "" || eventID == "" {
		return
	}
	m.sentAs = eventID
	close(m.seen)
}

// sawContent marks as sent the oldest message of roomID that failed an
// attempt and whose content is ev's, when ev (our own, from sync) carries
// no transaction ID: after a restart of the homeserver, or behind a gap
// filled from /messages, our event can come back without it, and the
// message must not then be sent a second time. Only a message that has
// failed an attempt, typed before ev was sent, is matched.
func (o *outbox) sawContent(roomID id.RoomID, ev *event.Event) {
	if ev.ID == "" || len(ev.Content.VeryRaw) == 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	q := o.rooms[roomID]
	if q == nil {
		return
	}
	var got any
	for _, m := range q.msgs {
		if m.sentAs != "" || !m.failedOnce || m.evType.Type != ev.Type.Type || m.ts > ev.Timestamp+clockSkew {
			continue
		}
		if got == nil && json.Unmarshal(ev.Content.VeryRaw, &got) != nil {
			return
		}
		var want any
		if json.Unmarshal(m.content, &want) == nil && reflect.DeepEqual(got, want) {
			m.sentAs = ev.ID
			close(m.seen)
			return
		}
	}
}

// clockSkew is how far our clock may run ahead of the server's, in ms.
const clockSkew = 5000

// sent returns the event ID sync brought for m, or "".
func (o *outbox) sent(m *outMsg) id.EventID {
	o.mu.Lock()
	defer o.mu.Unlock()
	return m.sentAs
}

// connectionBack wakes every worker waiting to retry.
func (o *outbox) connectionBack() {
	o.mu.Lock()
	close(o.back)
	o.back = make(chan struct{})
	o.mu.Unlock()
}

// backChan returns the channel closed when the connection is next back.
func (o *outbox) backChan() <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.back
}

// snapshot copies the queued messages, room by room, oldest first.
func (o *outbox) snapshot(roomID id.RoomID) []outMsg {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []outMsg
	if q := o.rooms[roomID]; q != nil {
		for _, m := range q.msgs {
			out = append(out, *m)
		}
	}
	return out
}

// roomIDs lists the rooms with queued messages.
func (o *outbox) roomIDs() []id.RoomID {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]id.RoomID, 0, len(o.rooms))
	for r := range o.rooms {
		out = append(out, r)
	}
	return out
}
