package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// TestTransientSendError: what is retried and what fails for good.
func TestTransientSendError(t *testing.T) {
	status := func(code int, errcode string) error {
		he := mautrix.HTTPError{Response: &http.Response{StatusCode: code, Header: http.Header{}}}
		if errcode != "" {
			he.RespError = &mautrix.RespError{ErrCode: errcode, StatusCode: code}
		}
		return fmt.Errorf("sending message: %w", he)
	}
	cases := []struct {
		name      string
		err       error
		transient bool
		unsure    bool
	}{
		{"no answer", mautrix.HTTPError{WrappedError: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}, true, true},
		{"timeout", fmt.Errorf("x: %w", context.DeadlineExceeded), true, true},
		{"bad gateway", status(http.StatusBadGateway, "M_UNKNOWN"), true, true},
		{"server error", status(http.StatusInternalServerError, ""), true, true},
		{"rate limited", status(http.StatusTooManyRequests, "M_LIMIT_EXCEEDED"), true, false},
		{"forbidden", status(http.StatusForbidden, "M_FORBIDDEN"), false, true},
		{"too large", status(http.StatusRequestEntityTooLarge, "M_TOO_LARGE"), false, true},
		{"cannot encrypt", fmt.Errorf("%w (%w)", ErrEncryptedRoom, errors.New("no session")), false, true},
		{"cannot encrypt: offline", fmt.Errorf("%w (%w)", ErrEncryptedRoom, mautrix.HTTPError{WrappedError: errors.New("dial")}), true, true},
	}
	for _, c := range cases {
		if got := transientSendError(c.err); got != c.transient {
			t.Errorf("%s: transient %v, want %v", c.name, got, c.transient)
		}
		if c.transient {
			if got := unsure(c.err); got != c.unsure {
				t.Errorf("%s: unsure %v, want %v", c.name, got, c.unsure)
			}
		}
	}
}

// TestSendRetryWait: back-off doubles to its cap, and a 429's
// retry_after_ms is kept.
func TestSendRetryWait(t *testing.T) {
	plain := errors.New("x")
	if w := sendRetryWait(plain, 1); w != sendRetryMin {
		t.Errorf("first wait %v", w)
	}
	if w := sendRetryWait(plain, 3); w != 4*sendRetryMin {
		t.Errorf("third wait %v", w)
	}
	if w := sendRetryWait(plain, 50); w != sendRetryMax {
		t.Errorf("cap %v", w)
	}
	limited := mautrix.HTTPError{Response: &http.Response{StatusCode: 429, Header: http.Header{}},
		RespError: &mautrix.RespError{ErrCode: "M_LIMIT_EXCEEDED", ExtraData: map[string]any{"retry_after_ms": float64(7000)}}}
	if w := sendRetryWait(limited, 1); w != 7*time.Second {
		t.Errorf("429 wait %v", w)
	}
}

// TestOutboxOrder: a room's queue serves its messages in order, one at a
// time; a failed head stops it (later messages wait) until reopened or
// removed; other rooms are not held.
func TestOutboxOrder(t *testing.T) {
	o := newOutbox()
	r1, r2 := id.RoomID("!a:hs"), id.RoomID("!b:hs")
	msgs := []*outMsg{{txnID: "1", roomID: r1}, {txnID: "2", roomID: r1}, {txnID: "3", roomID: r2}, {txnID: "4", roomID: r1}}
	for _, m := range msgs {
		o.add(m)
	}
	if !o.claim(r1) || o.claim(r1) {
		t.Fatal("claim: one worker per room")
	}
	if m := o.next(r1); m != msgs[0] {
		t.Fatalf("head %v", m.txnID)
	}
	// The head fails for good: the worker stops, nothing else is served.
	o.setState(msgs[0], outFailed, errors.New("M_FORBIDDEN"))
	if m := o.next(r1); m != nil {
		t.Fatalf("served %s past a failed message", m.txnID)
	}
	if o.claim(r1) {
		t.Fatal("a worker claimed a room held by a failed message")
	}
	if !o.claim(r2) || o.next(r2) != msgs[2] {
		t.Fatal("another room is held")
	}
	// Retried: it goes first again, under the same transaction ID.
	if !o.reopen(msgs[0]) || o.reopen(msgs[0]) {
		t.Fatal("reopen")
	}
	if !o.claim(r1) || o.next(r1) != msgs[0] {
		t.Fatal("the retried message is not first")
	}
	o.remove(msgs[0])
	if m := o.next(r1); m != msgs[1] {
		t.Fatalf("after the first: %v", m)
	}
	o.remove(msgs[1])
	if m := o.next(r1); m != msgs[3] {
		t.Fatalf("after the second: %v", m)
	}
	// Seen in sync: resolves the message whatever its attempt says.
	o.sawSent("4", "$ev")
	select {
	case <-msgs[3].seen:
	default:
		t.Fatal("seen not closed")
	}
	if o.sent(msgs[3]) != "$ev" {
		t.Fatal("sent as")
	}
}

// TestOutboxSurvivesRestart: a message queued while the homeserver cannot
// be reached is kept in the store with its transaction ID, and a message
// failed for good keeps its reason.
func TestOutboxSurvivesRestart(t *testing.T) {
	c, path := openTemp(t, offlineSession(), Options{})
	room := id.RoomID("!r:localhost")
	txn := c.SendText(room, "typed offline", false)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c2, err := Open(context.Background(), offlineSession(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	q := c2.Outbox(room)
	if len(q) != 1 || q[0].TxnID != txn || body(q[0].Event) != "typed offline" || q[0].Err != nil {
		t.Fatalf("outbox after restart: %+v", q)
	}
	m := c2.out.find(room, txn)
	c2.out.setState(m, outFailed, errors.New("M_FORBIDDEN: no"))
	c2.saveFailure(m, m.err)
	_ = c2.Close()
	c3, err := Open(context.Background(), offlineSession(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if q := c3.Outbox(room); len(q) != 1 || q[0].Err == nil || q[0].Err.Error() != "M_FORBIDDEN: no" {
		t.Fatalf("failed message after restart: %+v", q)
	}
	if err := c3.Discard(room, txn); err != nil {
		t.Fatal(err)
	}
	if q := c3.Outbox(room); len(q) != 0 {
		t.Fatalf("discarded message still queued: %+v", q)
	}
}

// Our own event coming back without its transaction ID (after a homeserver
// restart, or through a gap) marks the failed message with the same
// content as sent, so it is not sent twice; a message that never failed,
// or other content, is left alone.
func TestSawContentWithoutTransactionID(t *testing.T) {
	o := newOutbox()
	room := id.RoomID("!r:hs")
	mk := func(txn, body string) *outMsg {
		m := &outMsg{txnID: txn, roomID: room, evType: event.EventMessage, content: json.RawMessage(`{"msgtype":"m.text","body":"` + body + `"}`), ts: 1000, seen: make(chan struct{})}
		o.add(m)
		return m
	}
	a, b := mk("t1", "first"), mk("t2", "second")
	o.setState(b, outQueued, errors.New("connection reset"))
	ev := func(evID, body string) *event.Event {
		return &event.Event{ID: id.EventID(evID), Type: event.EventMessage, Timestamp: 2000,
			Content: event.Content{VeryRaw: json.RawMessage(`{"body":"` + body + `","msgtype":"m.text"}`)}}
	}
	o.sawContent(room, ev("$x", "first"))
	if a.sentAs != "" {
		t.Fatal("a message that never failed was matched by content")
	}
	o.sawContent(room, ev("$y", "other"))
	if b.sentAs != "" {
		t.Fatal("other content matched")
	}
	o.sawContent(room, ev("$z", "second"))
	if b.sentAs != "$z" {
		t.Fatalf("the failed message with the same content: sentAs %q", b.sentAs)
	}
}

// TestUnsureRetrySettlesAfterALaterSync: a message whose PUT may have
// been stored is not sent again on the strength of a sync that was
// already on its way when the PUT failed (it may have been answered before
// a restarted homeserver got to the event: the fault suite doubled a
// message so); the settle time counts from a sync requested after the
// failure.
func TestUnsureRetrySettlesAfterALaterSync(t *testing.T) {
	c, _ := openTemp(t, offlineSession(), Options{})
	c.timing.settle = 200 * time.Millisecond
	ctx := context.Background()
	room := id.RoomID("!r:localhost")
	m := &outMsg{txnID: "t1", roomID: room, seen: make(chan struct{})}
	ups, cancel := c.SubscribeOnly(func(u Update) bool { _, ok := u.(EchoRetrying); return ok })
	defer cancel()

	c.syncReqs.Add(1) // a long-poll in flight when the PUT fails
	done := make(chan time.Time, 1)
	go func() {
		c.waitRetry(ctx, m, io.EOF, 1, true, nil)
		done <- time.Now()
	}()
	<-ups // waitRetry has noted the failure

	// The long-poll is answered and applied after the failure.
	if _, err := c.applySync(ctx, joinedSync("s1", room, nil, nil, "", false), ""); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
		t.Fatal("resent after the settle time of a sync requested before the failure")
	case <-time.After(3 * c.timing.settle):
	}

	// A sync requested after the failure: the settle time runs from it.
	c.syncReqs.Add(1)
	applied := time.Now()
	if _, err := c.applySync(ctx, joinedSync("s2", room, nil, nil, "", false), "s1"); err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-done:
		if waited := at.Sub(applied); waited < c.timing.settle {
			t.Fatalf("resent %v after the later sync, before the settle time %v", waited, c.timing.settle)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not resent after a later sync and the settle time")
	}
}
