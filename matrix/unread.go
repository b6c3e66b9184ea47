package matrix

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Our own unread count. The server's notification count can lag (Dendrite
// computes it after it has served the event, so it arrives a sync later)
// and follows push rules; ours is known in the very sync that brings an
// event: the countable events from others after our last read receipt or
// our own last event, as Element counts them. It is computed inside the
// sync transaction and stored with the room (tm_room.own_unread).

// countsAsUnread says whether a timeline event makes its room unread for
// me: a message, sticker, encrypted event (undecryptable ones too), call
// invite or poll from someone else, or a change of the room's name,
// topic, avatar or its replacement; not edits, reactions, redactions,
// redacted events, membership or other state.
func countsAsUnread(ev *event.Event, me id.UserID) bool {
	if ev == nil || ev.Sender == me || ev.Unsigned.RedactedBecause != nil {
		return false
	}
	if ev.StateKey != nil {
		switch ev.Type.Type {
		case event.StateRoomName.Type, event.StateTopic.Type, event.StateRoomAvatar.Type, event.StateTombstone.Type:
			return true
		}
		return false
	}
	switch ev.Type.Type {
	case event.EventMessage.Type, event.EventSticker.Type, event.EventEncrypted.Type, event.CallInvite.Type,
		"m.poll.start", "org.matrix.msc3381.poll.start":
	default:
		return false
	}
	var c struct {
		RelatesTo struct {
			RelType string `json:"rel_type"`
		} `json:"m.relates_to"`
	}
	// Only content that names m.replace (or has escapes, which could
	// spell it) is decoded.
	raw := ev.Content.VeryRaw
	if !bytes.Contains(raw, []byte("m.replace")) && !bytes.Contains(raw, []byte(`\u`)) {
		return true
	}
	if len(raw) > 0 && json.Unmarshal(raw, &c) == nil && c.RelatesTo.RelType == "m.replace" {
		return false // an edit changes a message already counted
	}
	return true
}

// nextOwnUnread is the count after one new timeline event: our own event
// means we have read the room up to it.
func nextOwnUnread(n int, ev *event.Event, me id.UserID) int {
	switch {
	case ev.Sender == me:
		return 0
	case countsAsUnread(ev, me):
		return n + 1
	}
	return n
}

// ownReadReceipts returns the events that me's read receipts (public or
// private) in a sync's ephemeral events point at. Receipts of a thread
// other than the main timeline are left out: they say nothing of it.
func ownReadReceipts(ephemeral []*event.Event, me id.UserID) []id.EventID {
	var read []id.EventID
	eachReceipt(ephemeral, func(r receiptEntry) {
		if r.User == me && r.mainThread() {
			read = append(read, r.EventID)
		}
	})
	return read
}

// unreadAfter counts the countable stored events after the newest stored
// one of read (our own events reset the count); ok is false when none of
// read is stored, and the position of the receipt is unknown.
func unreadAfter(ctx context.Context, q queryer, roomID id.RoomID, read []id.EventID, me id.UserID) (n int, ok bool, _ error) {
	if len(read) == 0 {
		return 0, false, nil
	}
	args := []any{roomID}
	for _, e := range read {
		args = append(args, e)
	}
	var seq *int64
	err := q.QueryRowContext(ctx, `SELECT MAX(seq) FROM tm_timeline WHERE room_id = ? AND event_id IN (?`+
		strings.Repeat(", ?", len(read)-1)+`)`, args...).Scan(&seq)
	if err != nil {
		return 0, false, fmt.Errorf("finding the read receipt in %s: %w", roomID, err)
	}
	if seq == nil {
		return 0, false, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT event FROM tm_timeline WHERE room_id = ? AND seq > ? ORDER BY seq`, roomID, *seq)
	if err != nil {
		return 0, false, fmt.Errorf("counting unread events in %s: %w", roomID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return 0, false, fmt.Errorf("counting unread events in %s: %w", roomID, err)
		}
		if ev, err := decodeEvent(data, roomID); err == nil {
			n = nextOwnUnread(n, ev, me)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, false, fmt.Errorf("counting unread events in %s: %w", roomID, err)
	}
	return n, true, nil
}
