package ui

import (
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// The user's own messages on their way out (local echoes) go through
// these states, following the core's send queue (matrix: LocalEcho,
// EchoRetrying, EchoResolved, EchoDiscarded):
//
//   - pending: "(sending…)", or "(sending… retrying)" after an attempt
//     failed for a passing reason (offline, server down);
//   - held: pending behind a failed message of the room, which holds
//     the room's queue;
//   - failed: "(failed to send: reason)"; the oldest failed message, the
//     one the retry key acts on, alone carries the key hint;
//   - sent: the echo turns into the real event.

// AddEcho shows a message being sent, marked pending.
func (t *TimelineView) AddEcho(txnID string, ev *event.Event) {
	if ev == nil || t.byTxn[txnID] != nil {
		return
	}
	it := &tlItem{ev: ev, txnID: txnID, st: ItemState{Pending: true}}
	t.items = append(t.items, it)
	t.byTxn[txnID] = it
	t.index(it)
	t.refreshEchoes()
}

// AddFailedEcho shows a message that failed for good before it was
// loaded (one kept in the store's outbox across a restart).
func (t *TimelineView) AddFailedEcho(txnID string, ev *event.Event, reason string) {
	t.AddEcho(txnID, ev)
	t.FailEcho(txnID, reason)
}

// ResolveEcho marks a pending message as sent (eventID) or failed.
func (t *TimelineView) ResolveEcho(txnID string, eventID id.EventID, failed bool) {
	it := t.byTxn[txnID]
	if it == nil {
		return
	}
	defer t.refreshEchoes()
	it.st.Pending, it.st.Retrying = false, false
	it.st.Failed = failed
	if !failed && eventID != "" {
		if it.ev.ID != eventID {
			ev := *it.ev
			ev.ID = eventID
			it.ev = &ev
		}
		if other := t.byID[eventID]; other != nil && other != it {
			// The synced copy arrived first: keep it, hide the echo.
			t.remove(it)
			return
		}
		t.byID[eventID] = it
	}
	it.rendered, it.rows = false, nil
}

// FailEcho marks a message failed for good, with the reason shown.
func (t *TimelineView) FailEcho(txnID, reason string) {
	if it := t.byTxn[txnID]; it != nil {
		it.st.FailReason = reason
	}
	t.ResolveEcho(txnID, "", true)
}

// RetryingEcho marks a pending message whose attempt failed for a passing
// reason: it is tried again by itself.
func (t *TimelineView) RetryingEcho(txnID string) {
	if it := t.byTxn[txnID]; it != nil && it.st.Pending && !it.st.Retrying {
		it.st.Retrying = true
		it.rendered, it.rows = false, nil
	}
}

// RequeueEcho turns a failed message back into a pending one (retried).
func (t *TimelineView) RequeueEcho(txnID string) {
	it := t.byTxn[txnID]
	if it == nil || !it.st.Failed {
		return
	}
	it.st.Failed, it.st.Pending, it.st.FailReason = false, true, ""
	it.rendered, it.rows = false, nil
	t.refreshEchoes()
}

// DiscardEcho removes a failed message the user dropped.
func (t *TimelineView) DiscardEcho(txnID string) {
	if it := t.byTxn[txnID]; it != nil {
		t.remove(it)
		t.refreshEchoes()
	}
}

// MarkNotSent gives a failed message the reason it can never be sent as
// it is (shown instead of the retry hint), and keeps it out of
// FailedEcho.
func (t *TimelineView) MarkNotSent(txnID, reason string) {
	if it := t.byTxn[txnID]; it != nil && it.st.Failed {
		it.st.NotSent = reason
		it.rendered, it.rows = false, nil
		t.refreshEchoes()
	}
}

// FailedEcho returns the transaction ID of the oldest failed message (the
// one holding the room's queue, which the retry key acts on), or "".
func (t *TimelineView) FailedEcho() string {
	for _, it := range t.items {
		if it.txnID != "" && it.st.Failed && it.st.NotSent == "" {
			return it.txnID
		}
	}
	return ""
}

// refreshEchoes recomputes what depends on the other echoes: the retry
// hint stands on the oldest failed message only, and pending messages
// after a failed one are held by it.
func (t *TimelineView) refreshEchoes() {
	oldest := t.FailedEcho()
	failedSeen := false
	for _, it := range t.items {
		if it.txnID == "" {
			continue
		}
		key := ""
		if it.txnID == oldest {
			key = t.retryKey
		}
		held := it.st.Pending && failedSeen
		if it.st.RetryKey != key || it.st.Held != held {
			it.st.RetryKey, it.st.Held = key, held
			it.rendered, it.rows = false, nil
		}
		if it.st.Failed {
			failedSeen = true
		}
	}
}
