package ui

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// A loaded event costs memory in proportion to what is shown of it. Most
// events are small and kept as they came. An event whose content is
// longer than compactAbove is kept compact instead: each of its strings
// longer than what a folded message can show is cut (keepFolded), and
// the event as sent stays in the store. What needs the whole text reads
// it again from there: /expand (which then keeps up to keepExpanded of
// each string, what expandedRows rows can show) and the actions on a
// selected message (copy, edit, open a link). Without this, each 64 KB
// message of the bench's flood kept about 130 KB (its content as sent and
// its decoded body) for as long as the room stayed open.
const (
	compactAbove = 16 << 10
	// At most 256 bytes a row: 30 rows of a 250-column terminal.
	keepFolded   = foldRows * 256
	keepExpanded = expandedRows * 256
)

// cutText is what compacting an event left out of its longest string:
// the fold line estimates the rows it would take from it.
type cutText struct {
	runes, lines int
}

// rows estimates the rows the text left out would take at width columns:
// at least one a line, and at least its characters over the width (each
// exact for many short lines or one long one).
func (c *cutText) rows(width int) int {
	if c == nil {
		return 0
	}
	return max(c.lines, (c.runes+width-1)/max(width, 1))
}

// compactEvent returns ev itself when its content is small, and
// otherwise a copy whose content keeps at most keep bytes of each string
// (cut on a character boundary), with what was left out of the longest
// one. The copy's content is JSON only (VeryRaw): the readers of a
// loaded event's content read it from there. ev is never changed: other
// parts of the client may hold it.
func compactEvent(ev *event.Event, keep int) (*event.Event, *cutText) {
	if ev == nil || len(ev.Content.VeryRaw) <= compactAbove {
		return ev, nil
	}
	if strings.HasPrefix(ev.Type.Type, "m.call.") {
		// A call's SDP is read whole (is it a video call?), and no
		// server takes an event above 64 KB.
		return ev, nil
	}
	dec := json.NewDecoder(bytes.NewReader(ev.Content.VeryRaw))
	dec.UseNumber() // numbers written back as they came
	var content any
	if err := dec.Decode(&content); err != nil {
		return ev, nil
	}
	if _, ok := content.(map[string]any); !ok {
		return ev, nil // not an object: the readers of content give up on it
	}
	var longest *cutText
	content = cutStrings(content, keep, &longest)
	if longest == nil {
		return ev, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(content); err != nil {
		return ev, nil
	}
	cp := *ev
	// A copy of just the JSON: the encoder's buffer has room to spare.
	cp.Content = event.Content{VeryRaw: bytes.Clone(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))}
	return &cp, longest
}

// cutStrings cuts the strings in a decoded JSON value to keep bytes and
// records in longest what was left out of the longest string cut.
func cutStrings(v any, keep int, longest **cutText) any {
	switch x := v.(type) {
	case string:
		if len(x) <= keep {
			return x
		}
		n := keep
		for n > 0 && !utf8.RuneStart(x[n]) {
			n--
		}
		rest := x[n:]
		cut := &cutText{runes: utf8.RuneCountInString(rest), lines: strings.Count(rest, "\n")}
		if *longest == nil || cut.runes > (*longest).runes {
			*longest = cut
		}
		return x[:n]
	case map[string]any:
		for k, e := range x {
			x[k] = cutStrings(e, keep, longest)
		}
	case []any:
		for i, e := range x {
			x[i] = cutStrings(e, keep, longest)
		}
	}
	return v
}

// SetReload sets how the view reads an event again as it was stored (a
// compact event's whole content); nil, or a nil result, means it cannot.
// It is called on the UI goroutine.
func (t *TimelineView) SetReload(f func(id.EventID) *event.Event) { t.reload = f }

// whole returns an item's event with all its content, read again if the
// item holds it compact (it then stays compact: the caller uses it and
// lets it go). When it cannot be read again the compact event is
// returned.
func (t *TimelineView) whole(ev *event.Event, cut *cutText) *event.Event {
	if cut == nil || t.reload == nil || ev.ID == "" {
		return ev
	}
	if full := t.reload(ev.ID); full != nil && full.ID == ev.ID {
		return full
	}
	return ev
}

// keep is how much of each string the item's event keeps when compact.
func (it *tlItem) keep() int {
	if it.expanded {
		return keepExpanded
	}
	return keepFolded
}

// Whole returns ev, a loaded event, with all its content and st with its
// newest edit's, read again from the store when the view holds them
// compact: what an action on a message (copy, edit, open a link) needs.
func (t *TimelineView) Whole(ev *event.Event, st ItemState) (*event.Event, ItemState) {
	it := t.byID[ev.ID]
	if it == nil || it.ev != ev {
		return ev, st
	}
	if st.Edit != nil {
		st.Edit = t.whole(st.Edit, t.editCut(it))
	}
	return t.whole(ev, it.cut), st
}

// adoptCuts takes from another view of the same room what compacting
// left out of the events both hold: a thread pane is filled with the
// room's view's compact events, which it cannot tell from whole ones.
func (t *TimelineView) adoptCuts(from *TimelineView) {
	for _, it := range t.items {
		if src := from.byID[it.ev.ID]; it.cut == nil && src != nil && src.ev == it.ev {
			it.cut = src.cut
		}
	}
}

// editCut is what compacting left out of an item's newest edit.
func (t *TimelineView) editCut(it *tlItem) *cutText {
	if it.st.Edit == nil {
		return nil
	}
	if e := t.byID[it.st.Edit.ID]; e != nil {
		return e.cut
	}
	return nil
}

// shownCut is what compacting left out of the text an item shows: its
// newest edit's, or its own.
func (t *TimelineView) shownCut(it *tlItem) *cutText {
	if it.st.Edit != nil {
		return t.editCut(it)
	}
	return it.cut
}

// expandWhole reads a folded item's events again with up to keepExpanded
// of each string, for /expand. What cannot be read again stays as it is.
func (t *TimelineView) expandWhole(it *tlItem) {
	if it.cut != nil {
		it.ev, it.cut = t.readAgain(it.ev, it.cut)
	}
	if it.st.Edit != nil {
		if e := t.byID[it.st.Edit.ID]; e != nil && e.cut != nil {
			e.ev, e.cut = t.readAgain(e.ev, e.cut)
			it.st.Edit = e.ev
		}
	}
}

// readAgain reads a compact event again and keeps up to keepExpanded of
// each string.
func (t *TimelineView) readAgain(ev *event.Event, cut *cutText) (*event.Event, *cutText) {
	full := t.whole(ev, cut)
	if full == ev {
		return ev, cut
	}
	return compactEvent(full, keepExpanded)
}
