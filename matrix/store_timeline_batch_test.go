package matrix

import (
	"fmt"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// TestFreshRoomBatchStoredOnce checks the multi-row path of a room new to
// the store (timelineAppender): a batch longer than one insert's rows,
// with an event that comes twice, stores each event once, in order, and
// counts and publishes each once, as one insert per event did.
func TestFreshRoomBatchStoredOnce(t *testing.T) {
	c, _ := openTemp(t, offlineSession(), Options{TimelineLimit: 500})
	other := id.UserID("@bob:localhost")
	var tl []*event.Event
	var want []id.EventID
	for i := range 2*timelineMaxRows + 7 {
		evID := fmt.Sprintf("$e%d", i)
		tl = append(tl, msgEvent(t, other, evID, int64(10+i), "m"))
		want = append(want, id.EventID(evID))
		if i == 70 {
			// The same event again, as a hostile or broken server may send.
			tl = append(tl, msgEvent(t, other, "$e3", 13, "m"))
		}
	}
	ups := apply(t, c, joinedSync("s1", testRoom, nil, tl, "p0", false))
	var appended []*event.Event
	for _, u := range ups {
		if ta, ok := u.(TimelineAppended); ok {
			appended = append(appended, ta.Events...)
		}
	}
	if got, w := fmt.Sprint(ids(appended)), fmt.Sprint(want); got != w {
		t.Errorf("appended %s\nwant %s", got, w)
	}
	evs, err := c.Timeline(testRoom, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if got, w := fmt.Sprint(ids(evs)), fmt.Sprint(want); got != w {
		t.Errorf("stored %s\nwant %s", got, w)
	}
	r, _ := c.Room(testRoom)
	if r.OwnUnread != len(want) || r.LastActivity.UnixMilli() != int64(10+len(want)-1) {
		t.Errorf("room %+v: own unread %d, want %d", r, r.OwnUnread, len(want))
	}
	// The seqs run without a hole from 1, and the batch's token sits on
	// its first event.
	lo, hi, has, err := seqBounds(t.Context(), c.db, testRoom)
	if err != nil || !has || lo != 1 || hi != int64(len(want)) {
		t.Errorf("seqs %d..%d (has %v, %v), want 1..%d", lo, hi, has, err, len(want))
	}
	var tok string
	if err := c.db.QueryRow(`SELECT token FROM tm_timeline WHERE room_id = ? AND seq = 1`, testRoom).Scan(&tok); err != nil || tok != "p0" {
		t.Errorf("token of the first event %q (%v), want p0", tok, err)
	}
	// A batch again, partly stored: one insert per event tells the new.
	tl2 := []*event.Event{tl[len(tl)-1], msgEvent(t, other, "$new", 1000, "m")}
	ups = apply(t, c, joinedSync("s2", testRoom, nil, tl2, "p1", false))
	appended = nil
	for _, u := range ups {
		if ta, ok := u.(TimelineAppended); ok {
			appended = append(appended, ta.Events...)
		}
	}
	if len(appended) != 1 || appended[0].ID != "$new" {
		t.Errorf("second sync appended %v, want only $new", ids(appended))
	}
}
