package ui

import (
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/sanitize"
)

// A room's timeline is built in two steps, so the first frame of a start
// (room list, header, composer, status) is drawn before the open room's
// events are read and laid out: timeline makes an empty view marked
// building ("loading…"), buildTimeline reads the room's events from the
// store off the UI goroutine and hands them to finishBuild on it.
//
// Updates may reach the view while it builds. Live events are newer than
// (or the same as) the events read, so the events read go above them,
// those already shown skipped (Prepend); a Reset makes the view whole
// again and the events read are dropped.

// SetBuilding marks the view as waiting for its events from the store.
func (t *TimelineView) SetBuilding(on bool) { t.building = on }

// Building says whether the view still waits for its events from the store.
func (t *TimelineView) Building() bool { return t.building }

// whenBuilt runs f (on the UI goroutine) once the view holds its events
// from the store: now, or when the building ends.
func (t *TimelineView) whenBuilt(f func()) {
	if !t.building {
		f()
		return
	}
	t.built = append(t.built, f)
}

// finishBuild adds the events read from the store (oldest first) to a
// building view. It reports whether they were used.
func (t *TimelineView) finishBuild(evs []*event.Event) bool {
	if !t.building {
		return false // reset meanwhile: the view is whole without them
	}
	t.building = false
	defer t.runBuilt()
	if len(t.items) == 0 {
		t.Append(evs...)
	} else {
		t.Prepend(evs, false)
	}
	return true
}

// buildTimeline reads roomID's newest events off the UI goroutine and
// adds them to tv on it, with the room's read receipts and its messages
// still in the outbox.
func (u *UI) buildTimeline(roomID id.RoomID, tv *TimelineView) {
	c := u.s.client
	limit := u.cfg.UI.TimelineLimit
	if limit <= 0 {
		limit = 500
	}
	tv.SetBuilding(true)
	go func() {
		evs, err := c.Timeline(roomID, limit)
		u.queue(func() {
			if u.s.client != c {
				return // another session
			}
			if err != nil {
				u.say(true, "Reading the timeline failed: %s", sanitize.Line(err.Error()))
			}
			if !tv.finishBuild(evs) {
				tv.runBuilt()
				return
			}
			// Read here, on the UI goroutine: every change published
			// after this read reaches the view after it.
			u.loadReceipts(tv, roomID)
			u.addOutbox(tv, roomID)
			if u.s.current == roomID && u.w.slot.tv == tv {
				u.markRead()
				u.refreshFooter()
			}
		})
	}()
}

// runBuilt runs what waited for the view to be built.
func (t *TimelineView) runBuilt() {
	fs := t.built
	t.built = nil
	for _, f := range fs {
		f()
	}
}
