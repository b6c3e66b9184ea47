package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// QueuedMessage is one of the user's messages not yet sent: pending, or
// failed for good (Err set) until Retry or Discard.
type QueuedMessage struct {
	TxnID string
	// Event is its local echo, as LocalEcho carried it.
	Event *event.Event
	Err   error
}

// SendText queues a message (Markdown becomes formatted_body; emote for
// /me) for the room and returns its transaction ID. A LocalEcho is
// published at once. Messages of one room go out one at a time in the
// order they were queued (see the outbox in the package documentation):
// an attempt that fails for a passing reason is retried, under the same
// transaction ID, and each such failure is published as EchoRetrying; the
// end comes as one EchoResolved, sent (EventID set) or failed for good
// (Err set). In an end-to-end encrypted room the message is encrypted
// once; if it cannot be, nothing is sent and the EchoResolved's Err
// matches ErrEncryptedRoom. The echo is not stored in the timeline: the
// real event arrives through sync (with unsigned.transaction_id set to
// the returned ID) and is stored once.
func (c *Client) SendText(roomID id.RoomID, markdown string, emote bool) string {
	return c.queueEvent(roomID, event.EventMessage, renderText(markdown, emote, c.sess.UserID))
}

// queueMessage puts an m.room.message in the room's queue, as SendText
// describes, and returns its transaction ID.
func (c *Client) queueMessage(roomID id.RoomID, mc *event.MessageEventContent) string {
	return c.queueEvent(roomID, event.EventMessage, mc)
}

// echoEvent is the local echo of a queued message.
func (c *Client) echoEvent(m *outMsg) *event.Event {
	ev := &event.Event{
		Type:      m.evType,
		Sender:    c.sess.UserID,
		RoomID:    m.roomID,
		Timestamp: m.ts,
		Content:   event.Content{VeryRaw: m.content},
		Unsigned:  event.Unsigned{TransactionID: m.txnID},
	}
	ev.Type.Class = event.MessageEventType
	_ = json.Unmarshal(m.content, &ev.Content.Raw)
	if err := ev.Content.ParseRaw(ev.Type); err != nil {
		c.log.Warn().Err(err).Str("txn_id", m.txnID).Msg("parsing a queued message")
	}
	return ev
}

// Outbox lists the room's queued messages, oldest first: those typed
// while offline, also from before a restart, and those failed for good.
func (c *Client) Outbox(roomID id.RoomID) []QueuedMessage {
	var out []QueuedMessage
	for _, m := range c.out.snapshot(roomID) {
		qm := QueuedMessage{TxnID: m.txnID, Event: c.echoEvent(&m)}
		if m.state == outFailed {
			qm.Err = m.err
		}
		out = append(out, qm)
	}
	return out
}

// Retry puts a message that failed for good back at the head of its
// room's queue (same transaction ID, so the server never stores it twice)
// and the messages held behind it follow. Its outcome comes as
// EchoResolved.
func (c *Client) Retry(roomID id.RoomID, txnID string) error {
	if c.closed.Load() {
		return ErrClosed
	}
	m := c.out.find(roomID, txnID)
	if m == nil {
		return fmt.Errorf("retrying %s: no such pending message", txnID)
	}
	if !c.out.reopen(m) {
		return fmt.Errorf("retrying %s: it is still being sent", txnID)
	}
	c.saveFailure(m, nil)
	c.kickQueue(roomID)
	return nil
}

// Discard drops a message that failed for good, publishing EchoDiscarded;
// the messages held behind it go on.
func (c *Client) Discard(roomID id.RoomID, txnID string) error {
	if c.closed.Load() {
		return ErrClosed
	}
	m := c.out.find(roomID, txnID)
	if m == nil {
		return fmt.Errorf("discarding %s: no such pending message", txnID)
	}
	if m.state != outFailed {
		return fmt.Errorf("discarding %s: it is still being sent", txnID)
	}
	c.out.remove(m)
	c.forgetQueued(m)
	c.hub.Publish(EchoDiscarded{RoomID: roomID, TxnID: txnID})
	c.kickQueue(roomID)
	return nil
}

// kickQueue starts the room's worker if it has work and none runs.
func (c *Client) kickQueue(roomID id.RoomID) {
	if !c.out.claim(roomID) {
		return
	}
	if !c.goBackground(func(ctx context.Context) { c.runQueue(ctx, roomID) }) {
		c.out.release(roomID)
	}
}

// runQueue sends the room's messages one at a time until the queue is
// empty, stops at a failed message, or the client closes.
func (c *Client) runQueue(ctx context.Context, roomID id.RoomID) {
	for {
		m := c.out.next(roomID)
		if m == nil {
			return
		}
		if !c.deliver(ctx, m) {
			c.out.setState(m, outQueued, nil)
			c.out.release(roomID)
			return
		}
	}
}

// deliver sends m, retrying passing failures, until it is sent or failed
// for good (true) or the client closes (false: it stays queued).
func (c *Client) deliver(ctx context.Context, m *outMsg) bool {
	failures := 0
	for {
		if evID := c.out.sent(m); evID != "" {
			c.finishSent(m, evID)
			return true
		}
		back := c.out.backChan()
		evID, put, err := c.attempt(ctx, m)
		if ctx.Err() != nil {
			return false
		}
		if err == nil {
			c.finishSent(m, evID)
			return true
		}
		err = fmt.Errorf("sending message: %w", err)
		if !transientSendError(err) {
			c.out.setState(m, outFailed, err)
			c.saveFailure(m, err)
			c.log.Warn().Err(err).Str("txn_id", m.txnID).Stringer("room_id", m.roomID).Msg("message not sent")
			c.hub.Publish(EchoResolved{RoomID: m.roomID, TxnID: m.txnID, Err: err})
			return true
		}
		failures++
		c.out.setState(m, outQueued, err)
		if !c.waitRetry(ctx, m, err, failures, put && unsure(err), back) {
			return false
		}
		c.out.setState(m, outSending, nil)
	}
}

// waitRetry waits before m is tried again after its failures-th failed
// attempt in a row; false means the client is closing.
//
// When the server may have stored the event although the attempt failed
// (unsure: the PUT went out and no refusal came back, e.g. the connection
// dropped or the server died while answering), resending at once could
// store it twice: Dendrite remembers transaction IDs only for requests it
// finished answering, and only in memory. So m then waits until a sync
// requested after the failure has been applied and the settle time more
// has passed without its event coming through sync (the event resolves m
// when it does), or sendRetryMax in all. A sync already on its way when
// the attempt failed does not count: it may have been answered before a
// restarted server got to the event. Otherwise m waits the back-off, or
// less when the sync loop reports the connection back.
func (c *Client) waitRetry(ctx context.Context, m *outMsg, err error, failures int, unsure bool, back <-chan struct{}) bool {
	wait := sendRetryWait(err, failures)
	var applied <-chan struct{}
	var failedAt uint64 // the last sync request made before the failure
	if unsure {
		wait = max(sendRetryMax, wait)
		c.mu.RLock()
		applied = c.applied
		c.mu.RUnlock()
		failedAt = c.syncReqs.Load()
		back = nil
	}
	c.log.Debug().Err(err).Str("txn_id", m.txnID).Dur("retry_in", wait).Bool("unsure", unsure).Msg("message not sent yet")
	c.hub.Publish(EchoRetrying{RoomID: m.roomID, TxnID: m.txnID, Attempts: failures, RetryIn: wait, Err: err})
	t := time.NewTimer(wait)
	defer t.Stop()
	var settle <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		case <-back:
			return true
		case <-m.seen:
			return true
		case <-applied:
			c.mu.RLock()
			applied = c.applied
			req := c.appliedReq
			c.mu.RUnlock()
			if req > failedAt {
				applied = nil
				settle = time.After(c.timing.settle)
			}
		case <-settle:
			return true
		}
	}
}

// unsure says whether a failed PUT may still have stored the event: any
// passing failure but a rate limit, which the server answers before
// doing anything.
func unsure(err error) bool {
	var he mautrix.HTTPError
	return !(errors.As(err, &he) && he.IsStatus(http.StatusTooManyRequests))
}

// attempt makes one attempt at sending m: sealing it (encrypting) on the
// first attempt that gets so far, then the PUT under its transaction ID.
// put says whether the PUT was made (it may then have stored the event).
func (c *Client) attempt(ctx context.Context, m *outMsg) (_ id.EventID, put bool, _ error) {
	ctx, cancel := context.WithTimeout(ctx, sendAttemptTimeout)
	defer cancel()
	if m.wire == nil {
		var content any = m.content
		if m.evType == event.EventMessage {
			parsed := &event.MessageEventContent{}
			if err := json.Unmarshal(m.content, parsed); err != nil {
				return "", false, fmt.Errorf("reading the queued message: %w", err)
			}
			content = parsed
		}
		t, sealed, err := c.seal(ctx, m.roomID, m.evType, content)
		if err != nil {
			return "", false, err
		}
		wire, err := json.Marshal(sealed)
		if err != nil {
			return "", false, fmt.Errorf("encoding the message: %w", err)
		}
		c.out.setWire(m, t, wire)
		c.saveWire(m)
	}
	evID, err := c.putMessage(ctx, m.roomID, m.wireType, m.wire, m.txnID)
	return evID, true, err
}

// finishSent takes a sent message out of the queue and says so.
func (c *Client) finishSent(m *outMsg, eventID id.EventID) {
	c.out.remove(m)
	c.forgetQueued(m)
	c.hub.Publish(EchoResolved{RoomID: m.roomID, TxnID: m.txnID, EventID: eventID})
}

// watchOutbox follows the client's own updates for the outbox: a message
// whose event comes through sync is sent, and when the sync loop reports
// the connection back (synced) the waiting retries go at once and the
// queues kept in the store start.
func (c *Client) watchOutbox(ups <-chan Update, cancel func()) func(context.Context) {
	return func(ctx context.Context) {
		defer cancel()
		c.followOutbox(ctx, ups)
	}
}

// outboxWants is the filter of followOutbox's subscription: the types of
// its switch (outbox_filter_test.go checks they agree), and of the
// timeline only batches with an event of ours, so a message from someone
// else does not wake the loop. It runs in Publish: it reads the update
// and the session's user ID only.
func (c *Client) outboxWants(u Update) bool {
	switch u := u.(type) {
	case TimelineAppended:
		for _, ev := range u.Events {
			if ev != nil && ev.Sender == c.sess.UserID {
				return true
			}
		}
		return false
	case StatusChanged:
		return u.State == StateSynced
	}
	return false
}

// followOutbox is watchOutbox's loop.
func (c *Client) followOutbox(ctx context.Context, ups <-chan Update) {
	for {
		var u Update
		var ok bool
		select {
		case <-ctx.Done():
			return
		case u, ok = <-ups:
			if !ok {
				return
			}
		}
		switch u := u.(type) {
		case TimelineAppended:
			for _, ev := range u.Events {
				switch {
				case ev == nil || ev.Sender != c.sess.UserID:
				case ev.Unsigned.TransactionID != "":
					c.out.sawSent(ev.Unsigned.TransactionID, ev.ID)
				default:
					c.out.sawContent(u.RoomID, ev)
				}
			}
		case StatusChanged:
			if u.State == StateSynced {
				c.out.connectionBack()
				for _, r := range c.out.roomIDs() {
					c.kickQueue(r)
				}
			}
		}
	}
}

// errQueuedFailure is the error of a message that failed for good before
// a restart; its text is the reason kept in the store.
type errQueuedFailure struct{ reason string }

func (e errQueuedFailure) Error() string { return e.reason }
