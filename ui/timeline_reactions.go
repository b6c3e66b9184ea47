package ui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/sanitize"
)

// Reactions (m.reaction, rel_type m.annotation) are not lines of their
// own: each message shows the reactions to it aggregated on a line under
// it, "👍 3  🎉 1", the user's own marked. The timeline keeps every loaded
// reaction by the event it annotates, whether that event is loaded yet or
// not (history comes newest first, so reactions often come before their
// target), and counts them when the target is drawn: a reaction redacted
// since (by its sender or a member with the power) no longer counts, and a
// user counts once per key. Keys are remote text: sanitized, and cut to
// reactionKeyCols columns.

const (
	// reactionKeyCols is the most columns a reaction key takes.
	reactionKeyCols = 12
	// reactionKeyBytes is the most of a key read: anything longer is cut
	// before it is sanitized.
	reactionKeyBytes = 256
	// maxReactionKeys is the most distinct keys shown under a message;
	// the rest are counted as "+N more".
	maxReactionKeys = 16
)

// Styles of the reaction line.
var (
	styleReaction     = tcell.StyleDefault.Foreground(tcell.ColorSilver)
	styleReactionMine = tcell.StyleDefault.Foreground(tcell.ColorWhite).Background(tcell.ColorTeal).Bold(true)
)

// reactionIndex holds the loaded reactions by the event they annotate.
type reactionIndex map[id.EventID][]*tlItem

// indexReaction records a reaction; false if ev is not one.
func (t *TimelineView) indexReaction(it *tlItem, content obj) bool {
	if it.ev.Type.Type != event.EventReaction.Type {
		return false
	}
	target, key := reactionOf(content)
	if target == "" || key == "" {
		return true
	}
	if t.reactions == nil {
		t.reactions = reactionIndex{}
	}
	for _, x := range t.reactions[target] {
		if x == it {
			return true // indexed again (decrypted): already counted
		}
	}
	t.reactions[target] = append(t.reactions[target], it)
	t.invalidateID(target)
	return true
}

// reactionOf reads an m.reaction content's target and key.
func reactionOf(content obj) (target id.EventID, key string) {
	rel, ok := content.sub("m.relates_to")
	if !ok || rel.strOr("rel_type", "") != "m.annotation" {
		return "", ""
	}
	return id.EventID(rel.strOr("event_id", "")), rel.strOr("key", "")
}

// relationChanged re-renders what shows a relation that was redacted: a
// reaction's target, a thread reply's root.
func (t *TimelineView) relationChanged(it *tlItem) {
	if it.thread != "" {
		t.invalidateID(it.thread) // a thread reply: its root's summary
	}
	if it.ev.Type.Type != event.EventReaction.Type {
		return
	}
	if content, ok := contentOf(&it.ev.Content); ok {
		target, _ := reactionOf(content)
		t.invalidateID(target)
	}
}

// invalidateID drops a loaded event's render cache.
func (t *TimelineView) invalidateID(e id.EventID) {
	if it := t.byID[e]; it != nil && e != "" {
		it.rendered, it.rows = false, nil
	}
}

// reactionCount is one key's aggregate under a message.
type reactionCount struct {
	Key     string
	Count   int
	Mine    bool
	MyEvent id.EventID // the user's reaction with this key, to take it back
	Pending bool       // the user's reaction is still being sent
	first   int64
}

// reactionRef is one reaction as aggregation needs it.
type reactionRef struct {
	Sender   id.UserID
	Key      string
	EventID  id.EventID
	TS       int64
	Redacted bool
	Pending  bool
}

// aggregateReactions counts reactions per key: each sender once per key,
// redacted ones not at all; keys in the order they first came.
func aggregateReactions(refs []reactionRef, own id.UserID) []reactionCount {
	byKey := map[string]*reactionCount{}
	seen := map[[2]string]bool{}
	for _, r := range refs {
		if r.Redacted || r.Key == "" {
			continue
		}
		c := byKey[r.Key]
		if c == nil {
			c = &reactionCount{Key: r.Key, first: r.TS}
			byKey[r.Key] = c
		}
		c.first = min(c.first, r.TS)
		if r.Sender == own && own != "" {
			c.Mine = true
			if c.MyEvent == "" && strings.HasPrefix(string(r.EventID), "$") {
				c.MyEvent = r.EventID
				c.Pending = false
			} else if c.MyEvent == "" {
				c.Pending = r.Pending
			}
		}
		k := [2]string{string(r.Sender), r.Key}
		if seen[k] {
			continue
		}
		seen[k] = true
		c.Count++
	}
	out := make([]reactionCount, 0, len(byKey))
	for _, c := range byKey {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].first != out[j].first {
			return out[i].first < out[j].first
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// Reactions returns the aggregated reactions to a loaded event.
func (t *TimelineView) Reactions(target id.EventID) []reactionCount {
	items := t.reactions[target]
	if len(items) == 0 {
		return nil
	}
	refs := make([]reactionRef, 0, len(items))
	for _, it := range items {
		content, ok := contentOf(&it.ev.Content)
		if !ok {
			continue
		}
		_, key := reactionOf(content)
		refs = append(refs, reactionRef{Sender: it.ev.Sender, Key: key, EventID: it.ev.ID, TS: it.ev.Timestamp,
			Redacted: it.st.Redacted || it.ev.Unsigned.RedactedBecause != nil, Pending: it.st.Pending})
	}
	return aggregateReactions(refs, t.rc.Own)
}

// reactionLines is the reaction line under a rendered message, if any.
func (t *TimelineView) reactionLines(it *tlItem) []Line {
	if len(it.lines) == 0 || it.ev.ID == "" || it.st.Redacted || it.ev.Unsigned.RedactedBecause != nil {
		return nil
	}
	counts := t.Reactions(it.ev.ID)
	if len(counts) == 0 {
		return nil
	}
	return []Line{reactionLine(counts)}
}

// reactionLine renders aggregated reactions: "👍 3  🎉 1", the user's own
// highlighted, at most maxReactionKeys keys.
func reactionLine(counts []reactionCount) Line {
	l := Line{{strings.Repeat(" ", 6), styleText}}
	for i, c := range counts {
		if i == maxReactionKeys {
			l = append(l, Segment{fmt.Sprintf("+%d more", len(counts)-i), styleDim})
			break
		}
		if i > 0 {
			l = append(l, Segment{"  ", styleText})
		}
		style := styleReaction
		if c.Mine {
			style = styleReactionMine
		}
		if c.Pending {
			style = style.Dim(true)
		}
		l = append(l, Segment{ShownReactionKey(c.Key) + " " + fmt.Sprint(c.Count), style})
	}
	return l
}

// ShownReactionKey is a reaction key as it may be drawn: cut to
// reactionKeyBytes, sanitized to one line, cut to reactionKeyCols columns;
// "?" if nothing is left.
func ShownReactionKey(key string) string {
	if len(key) > reactionKeyBytes {
		key = strings.ToValidUTF8(key[:reactionKeyBytes], "")
	}
	s := sanitize.Cut(strings.TrimSpace(sanitize.Line(key)), reactionKeyCols)
	if s == "" {
		return "?"
	}
	return s
}
