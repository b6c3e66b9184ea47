package ui

// A timeline keeps every loaded event but keeps laid out (rendered into
// lines, wrapped into rows) only the events near the screen: after each
// draw, the lines and rows of events more than a screen above or below
// what is shown are dropped, and made again when they scroll back into
// reach. The memory for laid-out text then follows what is shown, not
// what was ever drawn: the bench's flood (thirty 64 KB messages, each
// folded to 30 rows) kept 4.5 MB of rows and 1.9 MB of decoded bodies
// behind their lines when every event drawn once stayed laid out.

// noteLaidOut records that an item holds lines (and maybe rows), for
// dropFarRows to find without walking every loaded event.
func (t *TimelineView) noteLaidOut(it *tlItem) {
	if t.laid == nil {
		t.laid = make(map[*tlItem]struct{})
	}
	t.laid[it] = struct{}{}
}

// dropFarRows drops the lines and rows of laid-out items that are neither
// drawn (items top to bottom) nor within a screen's height of rows above
// or below them. It costs the items laid out, not the items loaded.
func (t *TimelineView) dropFarRows(top, bottom int) {
	if len(t.laid) == 0 {
		return
	}
	t.layoutGen++
	gen := t.layoutGen
	top, bottom = max(top, 0), min(bottom, len(t.items)-1)
	for i := top; i <= bottom; i++ {
		t.items[i].kept = gen
	}
	// A screen's height of rows on either side, an item not laid out
	// counting as one row.
	budget := t.height
	for i := top - 1; i >= 0 && budget > 0; i-- {
		t.items[i].kept = gen
		budget -= max(len(t.items[i].rows), 1)
	}
	budget = t.height
	for i := bottom + 1; i < len(t.items) && budget > 0; i++ {
		t.items[i].kept = gen
		budget -= max(len(t.items[i].rows), 1)
	}
	for it := range t.laid {
		if it.kept != gen {
			it.lines, it.rows, it.rendered = nil, nil, false
			delete(t.laid, it)
		}
	}
}
