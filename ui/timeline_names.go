package ui

import (
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
)

// Each event is drawn with its sender's name as it was when the event was
// sent, as Element does, not the name the sender has now: a rename later
// does not rewrite older lines. The names come from the member events
// loaded in the view: forwards, each member event gives its user's name
// from there on; backwards, a member event's previous content (or, for a
// first join, its own) gives the name before it. An event no member event
// tells about is drawn with the current name.

// memberNames reads a member event: its user, and the user's name after it
// and before it ("" when not in the room then; ok false for other events).
func memberNames(ev *event.Event) (user id.UserID, after, before string, beforeKnown, ok bool) {
	if ev.Type != event.StateMember || ev.StateKey == nil {
		return "", "", "", false, false
	}
	user = id.UserID(*ev.StateKey)
	content, cok := contentOf(&ev.Content)
	if !cok {
		return "", "", "", false, false
	}
	name := func(o obj) string {
		if n := o.strOr("displayname", ""); n != "" {
			return n
		}
		return string(user)
	}
	joined := content.strOr("membership", "") == "join"
	if joined {
		after = name(content)
	}
	var prev obj
	if ev.Unsigned.PrevContent != nil {
		prev, _ = contentOf(ev.Unsigned.PrevContent)
	}
	switch {
	case prev != nil && prev.strOr("membership", "") == "join":
		before, beforeKnown = name(prev), true
	case joined:
		// A join: what the user did before it (creating the room) reads
		// best with the name they joined with.
		before, beforeKnown = after, true
	}
	return user, after, before, beforeKnown, true
}

// recomputeNames gives every item the name its sender had at the time.
func (t *TimelineView) recomputeNames() {
	fwd := map[id.UserID]string{}
	names := make([]string, len(t.items))
	for i, it := range t.items {
		names[i] = fwd[it.ev.Sender]
		if user, after, _, _, ok := memberNames(it.ev); ok {
			if after != "" {
				fwd[user] = after
			} else {
				delete(fwd, user)
			}
		}
	}
	// Every name a member event in the view gives (before and after it)
	// is one its user went by on these lines: a name shared with another
	// user then is disambiguated as one shared now (Element uses the
	// state at each event; the loaded member events are what we have of
	// it, and the room's current members are checked too).
	hist := matrix.NewNameIndex()
	back := map[id.UserID]string{}
	for i := len(t.items) - 1; i >= 0; i-- {
		it := t.items[i]
		if user, after, before, known, ok := memberNames(it.ev); ok {
			hist.Add(user, after)
			hist.Add(user, before)
			if known {
				back[user] = before
			} else {
				delete(back, user)
			}
		}
		if names[i] == "" {
			names[i] = back[it.ev.Sender]
		}
	}
	for i, it := range t.items {
		it.st.SenderName = names[i]
	}
	t.names = fwd
	t.history = hist
	// Who must be disambiguated may have changed on any line.
	t.Invalidate()
}

// nameNew gives items appended without member events their sender's
// current name in the view.
func (t *TimelineView) nameNew(items []*tlItem) {
	for _, it := range items {
		if n := t.names[it.ev.Sender]; n != it.st.SenderName {
			it.st.SenderName = n
			it.rendered, it.rows = false, nil
		}
	}
}
