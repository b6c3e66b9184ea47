package matrix

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// roomUpdates collects what one room publishes after a sync commits.
type roomUpdates struct {
	state    []*event.Event
	timeline []*event.Event
	reset    bool
	calls    []CallSignal
	notify   []Notify
	typing   *TypingChanged
	receipts *ReceiptsChanged
}

// applyJoined stores one joined room's part of a sync response.
func (c *Client) applyJoined(ctx context.Context, tx queryer, roomID id.RoomID, jr *mautrix.SyncJoinedRoom, pre encodedRoom,
	old *roomRow, initial bool, direct map[id.RoomID]bool, ru *roomUpdates) (*roomRow, error) {
	var row *roomRow
	if old != nil {
		row = old.clone()
	} else {
		row = newRoomRow(roomID)
	}
	if old != nil && old.Membership != event.MembershipJoin {
		// The invite's stripped state gives way to the real state.
		if err := clearState(ctx, tx, roomID); err != nil {
			return nil, err
		}
	}
	row.Membership = event.MembershipJoin
	row.Inviter = ""
	stateChanged := old == nil || old.Membership != event.MembershipJoin
	if jr.Summary.Heroes != nil {
		row.Heroes = slices.Clone(jr.Summary.Heroes)
		stateChanged = true
	}
	if jr.Summary.JoinedMemberCount != nil {
		row.JoinedCount = *jr.Summary.JoinedMemberCount
		stateChanged = true
	}
	if jr.Summary.InvitedMemberCount != nil {
		row.InvitedCount = *jr.Summary.InvitedMemberCount
		stateChanged = true
	}
	var enc roomEncrypted
	// A room new to the store in the initial sync has as its state just
	// the events put here (ru.state, fresh for this call): its summary is
	// read from them (summaryOfBatch).
	fresh := old == nil && initial
	for i, ev := range jr.State.Events {
		if ev == nil || ev.StateKey == nil {
			continue
		}
		prepareEvent(ev, roomID)
		if err := c.rotateOnStateChange(ctx, tx, ev, &enc); err != nil {
			return nil, err
		}
		if err := putStateEncoded(ctx, tx, ev, encodedAt(pre.state, i)); err != nil {
			return nil, err
		}
		ru.state = append(ru.state, ev)
		stateChanged = true
	}

	tl := jr.Timeline
	lo, hi, has, err := seqBounds(ctx, tx, roomID)
	if err != nil {
		return nil, err
	}
	// Events of this batch stored before a gap cleared them: counted and
	// notified then, not again (a sync fetched again after it failed
	// part-way brings them a second time; see applyBatchLocked).
	var known map[id.EventID]bool
	if tl.Limited && has {
		if known, err = storedAmong(ctx, tx, roomID, tl.Events); err != nil {
			return nil, err
		}
		// A gap between what is stored and this batch: start afresh so
		// the stored timeline stays contiguous and prev_batch exact.
		if err := clearTimeline(ctx, tx, roomID); err != nil {
			return nil, err
		}
		lo, hi, has = 0, 0, false
		ru.reset = true
	}
	if !has && (len(tl.Events) > 0 || tl.PrevBatch != "") {
		row.PrevBatch = tl.PrevBatch
		row.HistoryDone = false
	}
	me := c.sess.UserID
	highlightUp := false
	if n := jr.UnreadNotifications; n != nil {
		highlightUp = n.HighlightCount > row.Highlights
		row.Unread, row.Highlights = n.NotificationCount, n.HighlightCount
	}
	var ownName string
	var lastFromOthers *Notify
	timeline := newTimelineAppender(tx, roomID, !has, len(tl.Events))
	for i, ev := range tl.Events {
		if ev == nil || ev.ID == "" {
			continue
		}
		prepareEvent(ev, roomID)
		if err := fillPrevContent(ctx, tx, roomID, ev); err != nil {
			return nil, err
		}
		if ev.StateKey != nil {
			if err := c.rotateOnStateChange(ctx, tx, ev, &enc); err != nil {
				return nil, err
			}
		} else if ev.Type.Type == event.EventEncrypted.Type {
			// Decrypted before anything reads it: the store, the
			// timeline, notifications and the calls code see the
			// event it carries.
			ev = c.decrypt(ctx, ev)
		}
		token := ""
		if i == 0 {
			token = tl.PrevBatch
		}
		var data []byte
		if ev == tl.Events[i] { // not replaced by its decryption
			data = encodedAt(pre.timeline, i)
		}
		inserted, err := timeline.add(ctx, ev, hi+1, token, data)
		if err != nil {
			return nil, err
		}
		if !inserted {
			continue // already stored: never twice
		}
		hi++
		ru.timeline = append(ru.timeline, ev)
		if known[ev.ID] {
			if ev.StateKey != nil {
				if err := putState(ctx, tx, ev); err != nil {
					return nil, err
				}
				ru.state = append(ru.state, ev)
				stateChanged = true
			}
			continue
		}
		row.OwnUnread = nextOwnUnread(row.OwnUnread, ev, me)
		if ev.Timestamp > row.LastActivity {
			row.LastActivity = ev.Timestamp
		}
		if ev.StateKey != nil {
			if err := putState(ctx, tx, ev); err != nil {
				return nil, err
			}
			ru.state = append(ru.state, ev)
			stateChanged = true
		}
		if strings.HasPrefix(ev.Type.Type, "m.call.") {
			ru.calls = append(ru.calls, CallSignal{RoomID: roomID, Event: ev, Age: time.Duration(ev.Unsigned.Age) * time.Millisecond})
		}
		if !initial && ev.Sender != me && ev.StateKey == nil && ev.Type.Type == event.EventMessage.Type {
			if ownName == "" {
				ownName, _, _ = stateString(ctx, tx, roomID, event.StateMember.Type, string(me), "displayname")
			}
			n := Notify{RoomID: roomID, Event: ev, DM: direct[roomID] || row.InviteDirect,
				Highlight: mentions(ev, me, ownName)}
			ru.notify = append(ru.notify, n)
			lastFromOthers = &ru.notify[len(ru.notify)-1]
		}
	}
	if err := timeline.flush(ctx); err != nil {
		return nil, err
	}
	if highlightUp && lastFromOthers != nil {
		lastFromOthers.Highlight = true
	}
	// Only highlights and DMs notify.
	ru.notify = slices.DeleteFunc(ru.notify, func(n Notify) bool { return !n.Highlight && !n.DM })

	if n, ok, err := unreadAfter(ctx, tx, roomID, ownReadReceipts(jr.Ephemeral.Events, me), me); err != nil {
		return nil, err
	} else if ok {
		row.OwnUnread = n
	}
	if row.Unread > 0 || row.Highlights > 0 {
		if ok, err := readsLatest(ctx, tx, roomID, hi, jr.Ephemeral.Events, me); err != nil {
			return nil, err
		} else if ok {
			// Our own receipt is on the newest event: nothing is unread,
			// whatever count the server computed before it saw the
			// receipt, in this sync or a later one.
			row.Unread, row.Highlights = 0, 0
		}
	}
	if ru.receipts, err = storeReceipts(ctx, tx, roomID, jr.Ephemeral.Events, me); err != nil {
		return nil, err
	}
	for _, ev := range jr.Ephemeral.Events {
		if ev == nil || ev.Type.Type != event.EphemeralEventTyping.Type {
			continue
		}
		var tc struct {
			UserIDs []id.UserID `json:"user_ids"`
		}
		if err := json.Unmarshal(ev.Content.VeryRaw, &tc); err != nil {
			continue
		}
		users := slices.DeleteFunc(tc.UserIDs, func(u id.UserID) bool { return u == me })
		ru.typing = &TypingChanged{RoomID: roomID, UserIDs: users}
	}

	if stateChanged {
		var in *summaryInput
		if fresh {
			if b, ok := summaryOfBatch(ru.state); ok {
				in = &b
			}
		}
		if err := refreshSummaryFrom(ctx, tx, row, me, in); err != nil {
			return nil, err
		}
	}
	floor := noSeq
	c.mu.RLock()
	if f, ok := c.shownFrom[roomID]; ok && !ru.reset {
		floor = f
	}
	c.mu.RUnlock()
	// Appending keeps lo: the seqs stored run from lo (1 when the room
	// had none: the first appended is hi+1 = 1) to hi.
	if !has {
		lo = 1
	}
	span := hi - lo + 1
	if token, cut, err := trimTimeline(ctx, tx, roomID, c.opts.TimelineLimit, floor, span); err != nil {
		return nil, err
	} else if cut {
		row.PrevBatch, row.HistoryDone = token, false
	}
	if err := saveRoom(ctx, tx, row); err != nil {
		return nil, err
	}
	return row, nil
}

// roomLeft describes how the user left a room, from their last membership
// event in the sync's leave section (state first, then timeline).
func roomLeft(was *roomRow, lr *mautrix.SyncLeftRoom, me id.UserID) RoomLeft {
	rl := RoomLeft{RoomID: was.ID, Name: was.Name, WasInvite: was.Membership == event.MembershipInvite}
	if lr == nil {
		return rl
	}
	var last *event.Event
	for _, evs := range [][]*event.Event{lr.State.Events, lr.Timeline.Events} {
		for _, ev := range evs {
			if ev != nil && ev.Type.Type == event.StateMember.Type && ev.StateKey != nil && id.UserID(*ev.StateKey) == me {
				last = ev
			}
		}
	}
	if last == nil {
		return rl
	}
	var mc struct {
		Membership event.Membership `json:"membership"`
		Reason     string           `json:"reason"`
	}
	_ = json.Unmarshal(last.Content.VeryRaw, &mc)
	rl.By, rl.Reason = last.Sender, mc.Reason
	rl.Banned = mc.Membership == event.MembershipBan
	rl.Kicked = last.Sender != me && !rl.Banned
	return rl
}

// applyInvited stores an invite's stripped state.
func (c *Client) applyInvited(ctx context.Context, tx queryer, roomID id.RoomID, ir *mautrix.SyncInvitedRoom,
	old *roomRow, ru *roomUpdates) (*roomRow, error) {
	var row *roomRow
	if old != nil {
		row = old.clone()
	} else {
		row = newRoomRow(roomID)
	}
	row.Membership = event.MembershipInvite
	me := c.sess.UserID
	for _, ev := range ir.State.Events {
		if ev == nil || ev.StateKey == nil {
			continue
		}
		prepareEvent(ev, roomID)
		if err := putState(ctx, tx, ev); err != nil {
			return nil, err
		}
		ru.state = append(ru.state, ev)
		if ev.Type.Type == event.StateMember.Type && id.UserID(*ev.StateKey) == me {
			row.Inviter = ev.Sender
			var mc struct {
				IsDirect bool `json:"is_direct"`
			}
			_ = json.Unmarshal(ev.Content.VeryRaw, &mc)
			row.InviteDirect = mc.IsDirect
			if ev.Timestamp > row.LastActivity {
				row.LastActivity = ev.Timestamp
			}
		}
	}
	if row.LastActivity == 0 {
		row.LastActivity = time.Now().UnixMilli()
	}
	if err := refreshSummary(ctx, tx, row, me); err != nil {
		return nil, err
	}
	if err := saveRoom(ctx, tx, row); err != nil {
		return nil, err
	}
	return row, nil
}

// fillPrevContent gives a timeline state event the previous state's
// content as unsigned.prev_content when the server left it out (Dendrite
// 0.13 does for widget events), so "Video conference ended" and other
// changes can be told from the event alone.
func fillPrevContent(ctx context.Context, tx queryer, roomID id.RoomID, ev *event.Event) error {
	if ev.StateKey == nil || ev.Unsigned.PrevContent != nil {
		return nil
	}
	prev, err := getState(ctx, tx, roomID, ev.Type.Type, *ev.StateKey)
	if err != nil || prev == nil || prev.ID == ev.ID {
		return err
	}
	content := prev.Content
	ev.Unsigned.PrevContent = &content
	if ev.Unsigned.PrevSender == "" {
		ev.Unsigned.PrevSender = prev.Sender
	}
	return nil
}

func newRoomRow(roomID id.RoomID) *roomRow {
	return &roomRow{ID: roomID, JoinedCount: -1, InvitedCount: -1}
}

// mentions says whether a message mentions the user: an m.mentions entry,
// or the body containing their display name or localpart.
func mentions(ev *event.Event, me id.UserID, displayName string) bool {
	var mc struct {
		Body     string `json:"body"`
		Mentions *struct {
			UserIDs []id.UserID `json:"user_ids"`
		} `json:"m.mentions"`
	}
	if err := json.Unmarshal(ev.Content.VeryRaw, &mc); err != nil {
		return false
	}
	if mc.Mentions != nil && slices.Contains(mc.Mentions.UserIDs, me) {
		return true
	}
	body := strings.ToLower(mc.Body)
	if displayName = strings.ToLower(strings.TrimSpace(displayName)); len(displayName) >= 2 && strings.Contains(body, displayName) {
		return true
	}
	localpart, _, _ := me.Parse()
	localpart = strings.ToLower(localpart)
	return len(localpart) >= 2 && strings.Contains(body, localpart)
}

// parseDirect reads m.direct content into the set of DM room IDs.
func parseDirect(raw []byte) map[id.RoomID]bool {
	out := make(map[id.RoomID]bool)
	if len(raw) == 0 {
		return out
	}
	var m map[id.UserID][]id.RoomID
	if err := json.Unmarshal(raw, &m); err != nil {
		return out
	}
	for _, rooms := range m {
		for _, r := range rooms {
			out[r] = true
		}
	}
	return out
}

func sortedKeys[V any](m map[id.RoomID]V) []id.RoomID {
	keys := make([]id.RoomID, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// readsLatest says whether a read receipt of me's, in the ephemeral events
// or stored from an earlier sync, is on the room's newest stored event
// (sequence hi). Homeservers count notifications apart from receipts
// (Dendrite does so asynchronously), so the count in the very sync that
// brings the receipt can still be stale, and so can the one a later sync
// brings once the server has counted the event the receipt covers.
func readsLatest(ctx context.Context, q queryer, roomID id.RoomID, hi int64, ephemeral []*event.Event, me id.UserID) (bool, error) {
	read := ownReadReceipts(ephemeral, me)
	var stored id.EventID
	err := q.QueryRowContext(ctx, `SELECT event_id FROM tm_receipt WHERE room_id = ? AND user_id = ?`, roomID, me).Scan(&stored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("reading our read receipt in %s: %w", roomID, err)
	}
	if stored != "" {
		read = append(read, stored)
	}
	if len(read) == 0 {
		return false, nil
	}
	var latest id.EventID
	err = q.QueryRowContext(ctx, `SELECT event_id FROM tm_timeline WHERE room_id = ? AND seq = ?`, roomID, hi).Scan(&latest)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("reading the newest event of %s: %w", roomID, err)
	}
	return slices.Contains(read, latest), nil
}
