package ui

import "maunium.net/go/mautrix/event"

// ReplaceDecrypted puts the new form of loaded events in their place
// (matrix.EventsDecrypted): an event shown as undecryptable that could now
// be decrypted, or whose reason changed. It keeps each event where it is
// and never adds one: an event not loaded is skipped, as the store already
// holds its new form for when it is. A decrypted edit, reaction or call
// event then applies to its target as if it had come readable. It returns
// how many events were replaced.
func (t *TimelineView) ReplaceDecrypted(evs []*event.Event) int {
	if t.building {
		// The events being read may predate the new form: apply it after.
		t.whenBuilt(func() { t.ReplaceDecrypted(evs) })
		return 0
	}
	n := 0
	for _, ev := range evs {
		if ev == nil || ev.ID == "" {
			continue
		}
		it := t.byID[ev.ID]
		if it == nil || it.txnID != "" && it.st.Pending {
			continue
		}
		it.ev, it.cut = compactEvent(ev, it.keep())
		t.index(it)
		n++
	}
	if n > 0 {
		// Replies quote the decrypted text now, and a line that appears
		// or goes moves the day separators below it: render afresh (only
		// what is drawn is rendered again).
		t.Invalidate()
	}
	return n
}
