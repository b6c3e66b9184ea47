package ui

import (
	"fmt"
	"strings"
	"testing"
	"unicode"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/sanitize"
	"github.com/termatrix/termatrix/ui/uitest"
)

// reactionEv is sender's m.reaction with key on target.
func reactionEv(evID string, sender id.UserID, target, key string, ts int64) *event.Event {
	return &event.Event{ID: id.EventID(evID), Type: event.EventReaction, Sender: sender, Timestamp: 1700000000000 + ts,
		Content: event.Content{Raw: map[string]any{"m.relates_to": map[string]any{
			"rel_type": "m.annotation", "event_id": target, "key": key}}}}
}

// TestReactionsAggregateUnderTheMessage: reactions show on one line under
// their message, counted per key in the order the keys came, each sender
// once per key, the user's own (bob's) highlighted; a reaction that came
// before its message counts once the message is loaded; a reaction its
// sender redacted stops counting, one "redacted" by a member without the
// power still counts.
func TestReactionsAggregateUnderTheMessage(t *testing.T) {
	s := newSimScreen(t, 60, 6)
	tv := NewTimelineView(testContext()) // the user is @bob:hs
	// History: the reactions are loaded before the message they annotate.
	tv.Append(reactionEv("$early", "@dave:hs", "$ev1", "🎉", 5))
	tv.Prepend([]*event.Event{textEvent(1, "party time")}, true)
	tv.Append(
		reactionEv("$r1", "@alice:hs", "$ev1", "👍", 10),
		reactionEv("$r2", "@bob:hs", "$ev1", "👍", 11),
		reactionEv("$r3", "@alice:hs", "$ev1", "👍", 12), // alice again: counts once
		reactionEv("$r4", "@carol:hs", "$ev1", "😮", 13),
		reactionEv("$r5", "@carol:hs", "$ev1", "👀", 14),
		redaction("$x1", "@carol:hs", "$r4"),   // carol takes 😮 back
		redaction("$x2", "@mallory:hs", "$r5"), // mallory may not
	)
	text := drawTimeline(s, tv)
	y := uitest.Row(s, "🎉 1")
	if y < 0 || !strings.Contains(uitest.Dump(s)[y], "🎉 1  👍 2  👀 1") {
		t.Fatalf("want \"🎉 1  👍 2  👀 1\" under the message:\n%s", text)
	}
	if strings.Contains(text, "😮") {
		t.Errorf("a redacted reaction still shows:\n%s", text)
	}
	if y != uitest.Row(s, "party time")+1 {
		t.Errorf("reactions not on the line under their message:\n%s", text)
	}
	// Own reaction (👍) highlighted, the others not.
	styleAt := func(text string) tcell.Style {
		x := strings.Index(uitest.Dump(s)[y], text)
		cells, w, _ := uitest.Cells(s)
		return cells[y*w+textWidth(uitest.Dump(s)[y][:x])].Style
	}
	if _, bg, _ := styleAt("👍").Decompose(); bg != tcell.ColorTeal {
		t.Errorf("own reaction not highlighted (bg %v)", bg)
	}
	if _, bg, _ := styleAt("👀").Decompose(); bg == tcell.ColorTeal {
		t.Error("someone else's reaction highlighted as own")
	}
	counts := tv.Reactions("$ev1")
	for _, c := range counts {
		if c.Key == "👍" && (!c.Mine || c.MyEvent != "$r2") {
			t.Errorf("own 👍: %+v, want Mine with $r2", c)
		}
	}
	// bob takes his 👍 back: the count drops and the highlight goes.
	tv.Append(redaction("$x3", "@bob:hs", "$r2"))
	text = drawTimeline(newSimScreen(t, 60, 6), tv)
	if !strings.Contains(text, "🎉 1  👍 1  👀 1") {
		t.Fatalf("after un-reacting:\n%s", text)
	}
}

// TestHostileReactionKeysAreInertAndCapped: reaction keys with escape
// sequences, bidi overrides, tview tags, and 10 KB of text show sanitized
// and cut to reactionKeyCols columns; 40 distinct keys show as 16 and "+24
// more".
func TestHostileReactionKeysAreInertAndCapped(t *testing.T) {
	s := newSimScreen(t, 200, 20)
	tv := NewTimelineView(testContext())
	tv.Append(textEvent(1, "target"))
	hostile := []string{
		"\x1b[2J\x1b]0;pwn\x07X",
		"\u202eevil\u202c",
		"[#ff00ff]tag[-]",
		strings.Repeat("A", 10<<10),
		strings.Repeat("👍", 5000),
		"\x00\x01\u009b31m",
	}
	for i, k := range hostile {
		tv.Append(reactionEv(fmt.Sprintf("$h%d", i), "@mallory:hs", "$ev1", k, int64(i)))
	}
	text := drawTimeline(s, tv)
	y := uitest.Row(s, "target") + 1
	row := uitest.Dump(s)[y]
	for _, r := range row {
		if unicode.IsControl(r) || sanitize.Dropped(r) {
			t.Fatalf("control or bidi character %U in the reaction row %q", r, row)
		}
	}
	if strings.Contains(row, "AAAAAAAAAAAAA") || !strings.Contains(row, "AAAAAAAAAAA…") {
		t.Errorf("a 10 KB key is not cut to %d columns: %q", reactionKeyCols, row)
	}
	for _, k := range tv.Reactions("$ev1") {
		if w := sanitize.Width(ShownReactionKey(k.Key)); w > reactionKeyCols {
			t.Errorf("key shown %d columns wide", w)
		}
	}
	if strings.Contains(text, "pwn") && strings.Contains(text, "\x1b") {
		t.Errorf("escape sequence on screen:\n%s", text)
	}
	// Many keys: capped.
	tv2 := NewTimelineView(testContext())
	tv2.Append(textEvent(1, "target"))
	for i := 0; i < 40; i++ {
		tv2.Append(reactionEv(fmt.Sprintf("$k%d", i), "@mallory:hs", "$ev1", fmt.Sprintf("k%02d", i), int64(i)))
	}
	if text := drawTimeline(s, tv2); !strings.Contains(text, "+24 more") || strings.Contains(text, "k16 1") {
		t.Errorf("40 keys not capped at %d:\n%s", maxReactionKeys, text)
	}
}

// FuzzReactionAggregation feeds arbitrary keys, senders and redactions to
// the aggregation and the reaction line: counts never exceed the distinct
// senders, redacted reactions never count, and the line holds no control
// or bidi characters and keeps each key within reactionKeyCols columns.
func FuzzReactionAggregation(f *testing.F) {
	f.Add("👍", "@a:hs", "❤️", "@b:hs", false)
	f.Add("\x1b[31m", "@a:hs", "\u202e", "@a:hs", true)
	f.Add(strings.Repeat("x", 300), "", "", "@c:hs", false)
	f.Fuzz(func(t *testing.T, k1, s1, k2, s2 string, redact bool) {
		refs := []reactionRef{
			{Sender: id.UserID(s1), Key: k1, EventID: "$1", TS: 1},
			{Sender: id.UserID(s2), Key: k2, EventID: "$2", TS: 2, Redacted: redact},
			{Sender: id.UserID(s1), Key: k1, EventID: "$3", TS: 3},
		}
		counts := aggregateReactions(refs, id.UserID(s2))
		total := 0
		for _, c := range counts {
			total += c.Count
			if c.Count < 1 || c.Count > 2 {
				t.Fatalf("count %d for %q", c.Count, c.Key)
			}
		}
		if redact && total > 1 && !(k1 == k2 && s1 != s2 && false) {
			t.Fatalf("redacted reaction counted: %+v", counts)
		}
		if len(counts) == 0 {
			return
		}
		for _, seg := range reactionLine(counts) {
			for _, r := range seg.Text {
				if unicode.IsControl(r) || sanitize.Dropped(r) {
					t.Fatalf("control or bidi %U in %q", r, seg.Text)
				}
			}
		}
		for _, c := range counts {
			if w := sanitize.Width(ShownReactionKey(c.Key)); w > reactionKeyCols {
				t.Fatalf("key %q shown %d columns wide", c.Key, w)
			}
		}
	})
}
