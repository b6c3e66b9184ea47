package ui

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
	"maunium.net/go/mautrix/id"
)

// echoUpdate applies the send queue's news about the user's messages.
func (u *UI) echoUpdate(up matrix.Update) {
	switch up := up.(type) {
	case matrix.EchoRetrying:
		if tv := u.s.timelines[up.RoomID]; tv != nil {
			tv.RetryingEcho(up.TxnID)
		}
	case matrix.EchoDiscarded:
		if tv := u.s.timelines[up.RoomID]; tv != nil {
			tv.DiscardEcho(up.TxnID)
		}
	case matrix.EchoResolved:
		tv := u.s.timelines[up.RoomID]
		switch {
		case up.Err != nil:
			if tv != nil {
				tv.FailEcho(up.TxnID, sendFailure(up.Err))
			}
			if errors.Is(up.Err, matrix.ErrEncryptedRoom) {
				u.say(true, "Not sent: it could not be encrypted%s — press %s to retry", encryptFailure(up.Err), u.keys.Name(ActRetry))
			} else {
				u.say(true, "Sending failed: %s — press %s to retry", sanitize.Line(up.Err.Error()), u.keys.Name(ActRetry))
			}
		default:
			if tv != nil {
				tv.ResolveEcho(up.TxnID, up.EventID, false)
			}
			if u.s.messageErr && strings.HasPrefix(u.s.message, "Sending failed") {
				u.say(false, "") // a message went through: the old failure is stale
			}
			if up.RoomID == u.s.current {
				u.markRead()
			}
		}
	}
}

// addOutbox shows the room's queued messages (kept across a restart) in
// a newly loaded timeline.
func (u *UI) addOutbox(tv *TimelineView, roomID id.RoomID) {
	for _, q := range u.s.client.Outbox(roomID) {
		if q.Err != nil {
			tv.AddFailedEcho(q.TxnID, q.Event, sendFailure(q.Err))
		} else {
			tv.AddEcho(q.TxnID, q.Event)
		}
	}
}

// maxFailureLen caps the reason shown on a failed message.
const maxFailureLen = 80

// sendFailure is the short reason shown on a message that failed for good.
func sendFailure(err error) string {
	if errors.Is(err, matrix.ErrEncryptedRoom) {
		return "it could not be encrypted"
	}
	msg := sanitize.Line(strings.TrimPrefix(err.Error(), "sending message: "))
	if utf8.RuneCountInString(msg) > maxFailureLen {
		msg = string([]rune(msg)[:maxFailureLen-1]) + "…"
	}
	return msg
}

// retryFailed resends the oldest failed message of the open room.
func (u *UI) retryFailed(room id.RoomID) {
	tv := u.s.timelines[room]
	txn := ""
	if tv != nil {
		txn = tv.FailedEcho()
	}
	if txn == "" || u.s.client == nil {
		u.say(false, "No failed message to retry in this room.")
		return
	}
	if err := u.s.client.Retry(room, txn); err != nil {
		u.say(true, "Retry failed: %s", sanitize.Line(err.Error()))
		return
	}
	tv.RequeueEcho(txn)
	u.say(false, "Sending again…")
}

// discardFailed drops the oldest failed message of the open room
// (/discard); the messages it held go on.
func (u *UI) discardFailed(room id.RoomID) bool {
	tv := u.s.timelines[room]
	txn := ""
	if tv != nil {
		txn = tv.FailedEcho()
	}
	if txn == "" || u.s.client == nil {
		u.say(false, "No failed message to discard in this room.")
		return true
	}
	if err := u.s.client.Discard(room, txn); err != nil {
		u.say(true, "Discarding failed: %s", sanitize.Line(err.Error()))
		return true
	}
	tv.DiscardEcho(txn)
	u.say(false, "Discarded the failed message.")
	return true
}
