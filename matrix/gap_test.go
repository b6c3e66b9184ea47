package matrix

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// TestGapResetThenBackfill is the every-morning case (F24): more than a
// sync's worth of messages arrive while the client is closed. The first
// sync is limited, so the room's TimelineAppended has Reset set; a view
// that follows the contract (replace what it shows with the Reset's
// events, then LoadHistory above them until ReachedStart) ends with every
// message exactly once and in order, with no hole.
func TestGapResetThenBackfill(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "galice")
	bob := st.MustRegister(t, "gbob")
	ctx := ctxT(t)
	rid, err := bob.CreateRoom(ctx, map[string]any{"invite": []string{alice.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Join(ctx, rid); err != nil {
		t.Fatal(err)
	}
	roomID := id.RoomID(rid)
	before, err := bob.SendMessage(ctx, rid, "before the gap")
	if err != nil {
		t.Fatal(err)
	}
	a := loginLive(t, st, alice)
	a.waitRoom(t, roomID, "joined", func(r Room) bool { return r.Membership == event.MembershipJoin })
	a.waitEvent(t, roomID, "the last message before closing", func(ev *event.Event) bool { return ev.ID == id.EventID(before) })
	a.stop()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	// Closed: bob sends more than a sync's timeline limit.
	const n = syncTimelineLimit + 25
	want := []string{"before the gap"}
	var last string
	for i := range n {
		want = append(want, fmt.Sprintf("gap %03d", i))
		if last, err = bob.SendMessage(ctx, rid, want[len(want)-1]); err != nil {
			t.Fatal(err)
		}
	}
	// Dendrite serves an event a moment after /send returns: wait until
	// it serves the last one, so that the first sync has the whole gap.
	if _, err := bob.WaitForEvent(ctx, rid, last); err != nil {
		t.Fatal(err)
	}

	// Start as the UI does: the view is what the store holds...
	c, err := Open(ctx, a.sess, a.dbPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	view, err := c.Timeline(roomID, 0)
	if err != nil {
		t.Fatal(err)
	}
	rec := record(t, c)
	runCtx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	go func() { _ = c.Run(runCtx) }()

	// ...then the first sync's batch comes with Reset, and replaces it.
	isBatch := func(u Update) bool {
		ta, ok := u.(TimelineAppended)
		return ok && ta.RoomID == roomID && len(ta.Events) > 0
	}
	ta := rec.waitFor(t, waitTimeout, "the gap's batch", isBatch).(TimelineAppended)
	resetAt := 0 // index of the update after the batch
	for i, u := range rec.all() {
		if isBatch(u) {
			resetAt = i + 1
			break
		}
	}
	if !ta.Reset {
		t.Fatalf("a limited sync after a gap came without Reset (%d events)", len(ta.Events))
	}
	if b := body(ta.Events[len(ta.Events)-1]); !strings.HasPrefix(b, "gap ") {
		t.Errorf("the batch ends with %q, want the newest messages", b)
	}
	view = append(view[:0:0], ta.Events...)

	// Backfill above the new chunk until the room's start.
	for range 20 {
		start := len(rec.all())
		if err := c.LoadHistory(ctx, roomID, 30); err != nil {
			t.Fatal(err)
		}
		hl := rec.waitAfter(t, start, waitTimeout, "history", func(u Update) bool {
			h, ok := u.(HistoryLoaded)
			return ok && h.RoomID == roomID
		}).(HistoryLoaded)
		view = append(append([]*event.Event(nil), hl.Events...), view...)
		if hl.ReachedStart {
			break
		}
	}
	// Below the batch, the view appends what later syncs bring (on a
	// loaded machine the last message may come a sync after the batch).
	for _, u := range rec.all()[resetAt:] {
		if ta, ok := u.(TimelineAppended); ok && ta.RoomID == roomID {
			if ta.Reset {
				t.Fatalf("a second Reset after the gap (%d events)", len(ta.Events))
			}
			view = append(view, ta.Events...)
		}
	}
	var got []string
	seen := map[id.EventID]bool{}
	for _, ev := range view {
		if seen[ev.ID] {
			t.Errorf("event %s shown twice", ev.ID)
		}
		seen[ev.ID] = true
		if b := body(ev); b != "" {
			got = append(got, b)
		}
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("after the gap the view reads\n%v\nwant\n%v", got, want)
	}
	if len(view) == 0 || view[0].Type != event.StateCreate {
		t.Error("the backfilled view does not start at m.room.create")
	}
}
