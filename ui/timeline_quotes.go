package ui

import (
	"context"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// A reply's quoted line comes only from the replied-to event itself,
// never from the fallback text the replier put in the body (anyone can
// write "> <@alice:hs> I owe you 100" there). An event that is not
// loaded is fetched once; meanwhile, and if it cannot be loaded, the
// quote says so.

// quotes holds events fetched for replies' quotes, not in the timeline.
type quotes struct {
	events    map[id.EventID]*event.Event
	failed    map[id.EventID]bool
	requested map[id.EventID]bool
	onMissing func(id.EventID)
}

// SetOnMissingQuote sets what is called (on the UI goroutine, once per
// event) when a reply quotes an event that is not loaded; the answer
// comes with AddQuoted or QuoteFailed.
func (t *TimelineView) SetOnMissingQuote(f func(id.EventID)) { t.quotes.onMissing = f }

// AddQuoted gives the timeline a replied-to event fetched apart.
func (t *TimelineView) AddQuoted(ev *event.Event) {
	if t.quotes.events == nil {
		t.quotes.events = make(map[id.EventID]*event.Event)
	}
	ev, _ = compactEvent(ev, keepFolded) // a quote shows one line
	t.quotes.events[ev.ID] = ev
	t.Invalidate()
}

// QuoteFailed says a replied-to event could not be loaded.
func (t *TimelineView) QuoteFailed(e id.EventID) {
	if t.quotes.failed == nil {
		t.quotes.failed = make(map[id.EventID]bool)
	}
	t.quotes.failed[e] = true
	t.Invalidate()
}

// quoted finds a replied-to event: loaded, fetched, or asked for.
func (t *TimelineView) quoted(e id.EventID) (ev *event.Event, failed bool) {
	if it := t.byID[e]; it != nil {
		return it.ev, false
	}
	if ev := t.quotes.events[e]; ev != nil {
		return ev, false
	}
	if t.quotes.failed[e] {
		return nil, true
	}
	if t.quotes.onMissing != nil && !t.quotes.requested[e] {
		if t.quotes.requested == nil {
			t.quotes.requested = make(map[id.EventID]bool)
		}
		t.quotes.requested[e] = true
		t.quotes.onMissing(e)
	}
	return nil, false
}

// storedEvent reads an event of a room again from the store, for a view
// that holds it compact (timeline_compact.go); nil when it cannot.
func (u *UI) storedEvent(roomID id.RoomID) func(id.EventID) *event.Event {
	return func(e id.EventID) *event.Event {
		c := u.s.client
		if c == nil {
			return nil
		}
		ev, err := c.StoredEvent(u.s.sessionCtx, roomID, e)
		if err != nil {
			return nil
		}
		return ev
	}
}

// quoteFetchTimeout bounds fetching one replied-to event.
const quoteFetchTimeout = 20 * time.Second

// fetchQuoted loads a replied-to event of a room for its quote.
func (u *UI) fetchQuoted(roomID id.RoomID, tv *TimelineView, e id.EventID) {
	c, ctx := u.s.client, u.s.sessionCtx
	if c == nil {
		return
	}
	go func() {
		fctx, cancel := context.WithTimeout(ctx, quoteFetchTimeout)
		defer cancel()
		ev, err := c.Event(fctx, roomID, e)
		u.queue(func() {
			if u.s.client != c || u.s.timelines[roomID] != tv {
				return
			}
			if err != nil || ev == nil {
				tv.QuoteFailed(e)
				return
			}
			tv.AddQuoted(ev)
		})
	}()
}
