package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// wireTextEvent is a text message as the client core delivers one: its
// content as sent (VeryRaw) and the parsed message.
func wireTextEvent(evID, body string) *event.Event {
	raw, _ := json.Marshal(map[string]any{"msgtype": "m.text", "body": body})
	return &event.Event{ID: id.EventID(evID), Type: event.EventMessage, Sender: "@mallory:hs", Timestamp: 1700000000000,
		Content: event.Content{VeryRaw: raw, Parsed: &event.MessageEventContent{MsgType: event.MsgText, Body: body}}}
}

// numberedLines is n lines of 90 characters, "line 0001 xx…" on.
func numberedLines(n int) string {
	var b strings.Builder
	pad := strings.Repeat("x", 80)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "line %04d %s\n", i, pad)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// A long event is held compact: each string cut on a character boundary
// to keepFolded bytes, every other field as sent (numbers digit for
// digit, relations), what was cut of the longest string counted; the
// event given is left as it was, and a small one is held as it came.
func TestCompactEvent(t *testing.T) {
	small := wireTextEvent("$small", "hello")
	if got, cut := compactEvent(small, keepFolded); got != small || cut != nil {
		t.Fatalf("a small event was changed: %p %v", got, cut)
	}

	body := strings.Repeat("é line of text\n", 40<<10/16)
	html := strings.Repeat("<p>paragraph</p>", 30<<10/16)
	raw := []byte(`{"msgtype":"m.text","body":` + strconv.Quote(body) + `,"format":"org.matrix.custom.html","formatted_body":` +
		strconv.Quote(html) + `,"m.relates_to":{"m.in_reply_to":{"event_id":"$parent"}},"info":{"size":18446744073709551615},"tags":["a",` +
		strconv.Quote(strings.Repeat("x", keepFolded+10)) + `]}`)
	ev := &event.Event{ID: "$big", Type: event.EventMessage, Sender: "@mallory:hs",
		Content: event.Content{VeryRaw: bytes.Clone(raw), Parsed: &event.MessageEventContent{Body: body}}}
	got, cut := compactEvent(ev, keepFolded)
	if got == ev || cut == nil {
		t.Fatal("a 70 KB event was not compacted")
	}
	if !bytes.Equal(ev.Content.VeryRaw, raw) || ev.Content.Parsed == nil {
		t.Fatal("compacting changed the event given")
	}
	if got.Content.Parsed != nil || got.ID != ev.ID || got.Sender != ev.Sender {
		t.Fatalf("compact event: %+v", got)
	}
	// Three strings cut, JSON escapes (a newline is two bytes) and the rest.
	if n := len(got.Content.VeryRaw); n > 3*keepFolded+2048 {
		t.Errorf("compact content is %d bytes", n)
	}
	c, ok := contentOf(&got.Content)
	if !ok {
		t.Fatalf("compact content does not decode: %s", got.Content.VeryRaw[:200])
	}
	gotBody, _ := c.str("body")
	if !utf8.ValidString(gotBody) || !strings.HasPrefix(body, gotBody) || len(gotBody) > keepFolded || len(gotBody) < keepFolded-4 {
		t.Errorf("body kept: %d bytes, a prefix: %v", len(gotBody), strings.HasPrefix(body, gotBody))
	}
	if f, _ := c.str("formatted_body"); !strings.HasPrefix(html, f) || len(f) != keepFolded {
		t.Errorf("formatted_body kept %d bytes", len(f))
	}
	if c.replyTo() != "$parent" {
		t.Errorf("the reply relation was lost: %q", c.replyTo())
	}
	if !bytes.Contains(got.Content.VeryRaw, []byte(`"size":18446744073709551615`)) {
		t.Errorf("a number was rewritten: %s", got.Content.VeryRaw[bytes.Index(got.Content.VeryRaw, []byte(`"info"`)):][:40])
	}
	rest := body[len(gotBody):]
	if cut.runes != utf8.RuneCountInString(rest) || cut.lines != strings.Count(rest, "\n") {
		t.Errorf("cut %+v, want %d runes and %d lines", *cut, utf8.RuneCountInString(rest), strings.Count(rest, "\n"))
	}

	// Content that is not a JSON object is held as it came.
	bad := &event.Event{ID: "$bad", Content: event.Content{VeryRaw: []byte(`"` + strings.Repeat("x", compactAbove) + `"`)}}
	if got, _ := compactEvent(bad, keepFolded); got != bad {
		t.Error("a content that is no object was rewritten")
	}
}

var moreLines = regexp.MustCompile(`… ([\d,]+) lines more — /expand shows it`)

// The bench's flood, thirty 64 KB messages in the open room: the view
// holds each compact (no more than keepFolded of its text), shows it
// folded with how much more there is, and /expand reads the rest again
// from the store; the actions on a message get it whole.
func TestLongMessagesHeldCompact(t *testing.T) {
	const n = 30
	full := map[id.EventID]*event.Event{}
	s := newSimScreen(t, 100, 40)
	tv := NewTimelineView(testContext())
	reads := 0
	tv.SetReload(func(e id.EventID) *event.Event { reads++; return full[e] })
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		ev := wireTextEvent(fmt.Sprintf("$flood%d", i), numberedLines(740)) // 67 KB
		full[ev.ID] = ev
		tv.Append(ev)
		drawTimeline(s, tv)
	}
	clear(full) // what the core delivered is gone but for the store
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := 0
	for _, it := range tv.items {
		if it.ev.Content.Parsed != nil || len(it.ev.Content.VeryRaw) > keepFolded+256 {
			t.Fatalf("%s is held with %d bytes of content", it.ev.ID, len(it.ev.Content.VeryRaw))
		}
		held += len(it.ev.Content.VeryRaw)
	}
	t.Logf("%d × 67 KB: the view holds %d KB of content; heap %+.2f MB", n, held>>10,
		float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20))

	text := drawTimeline(s, tv)
	m := moreLines.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no fold line:\n%s", text)
	}
	// 740 one-row lines, 30 shown: the rest is counted from what was
	// left out (within a line: the kept text may end in one).
	if more, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", "")); more < 708 || more > 712 {
		t.Errorf("the fold says %d more lines, want 710", more)
	}

	// The actions on a message read it whole from the store.
	last := tv.items[n-1]
	for i := range n {
		full[id.EventID(fmt.Sprintf("$flood%d", i))] = wireTextEvent(fmt.Sprintf("$flood%d", i), numberedLines(740))
	}
	if ev, _ := tv.Whole(last.ev, last.st); messageBody(ev, ItemState{}) != numberedLines(740) {
		t.Error("Whole did not give the message whole")
	}
	if last.cut == nil {
		t.Error("Whole left the message held whole")
	}

	// A thread pane filled with the view's compact events knows them so.
	pane := NewTimelineView(testContext())
	pane.Append(last.ev)
	pane.adoptCuts(tv)
	if pane.items[0].cut != last.cut || pane.items[0].ev != last.ev {
		t.Error("a second view of the compact event does not know what was cut")
	}

	reads = 0
	if tv.ExpandFolded() == 0 || reads == 0 {
		t.Fatalf("/expand read %d events again", reads)
	}
	text = drawTimeline(s, tv)
	if !strings.Contains(text, "line 0740") || strings.Contains(text, "more") {
		t.Fatalf("the expanded message does not end in its last line:\n%s", text)
	}
	if last.cut != nil || len(last.ev.Content.VeryRaw) < 60<<10 {
		t.Errorf("expanded: held %d bytes, cut %v", len(last.ev.Content.VeryRaw), last.cut)
	}
}

// When the store cannot give a compact message again, /expand shows what
// is held and says the rest is too long to show; nothing is lost to the
// other actions but the cut text.
func TestExpandWithoutTheStore(t *testing.T) {
	s := newSimScreen(t, 100, 40)
	tv := NewTimelineView(testContext())
	tv.SetReload(func(id.EventID) *event.Event { return nil })
	tv.Append(wireTextEvent("$big", numberedLines(740)))
	drawTimeline(s, tv)
	if tv.ExpandFolded() != 1 {
		t.Fatal("nothing to expand")
	}
	text := drawTimeline(s, tv)
	if !strings.Contains(text, "more: too long to show here") {
		t.Fatalf("no fold line after /expand:\n%s", text)
	}
	it := tv.items[0]
	if ev, _ := tv.Whole(it.ev, it.st); ev != it.ev {
		t.Error("Whole gave something else than what is held")
	}
}

// FuzzCompactEvent: whatever the content, compacting never panics, and a
// compact content is a JSON object with the same keys, every string a
// prefix of the one sent (on a character boundary) and no longer than
// kept; a content it cannot read is held as it came.
func FuzzCompactEvent(f *testing.F) {
	f.Add([]byte(`{"msgtype":"m.text","body":"hello","n":1e400}`), 4)
	f.Add([]byte(`{"body":"éééé","a":[{"b":"xxxxxx"}],"c":null,"d":true,"e":-0.5e-7}`), 3)
	f.Add([]byte(`{"body":"\ud800\udc00 \u0000 x","body":"twice"}`), 2)
	f.Fuzz(func(t *testing.T, content []byte, keep int) {
		keep = 1 + abs(keep)%64
		// Any content counts as long, to exercise the cut on small input.
		pad := bytes.Repeat([]byte(" "), compactAbove)
		raw := append(bytes.Clone(content), pad...)
		ev := &event.Event{ID: "$f", Type: event.EventMessage, Content: event.Content{VeryRaw: raw}}
		got, cut := compactEvent(ev, keep)
		if !bytes.Equal(ev.Content.VeryRaw, raw) {
			t.Fatal("the event given was changed")
		}
		if got == ev {
			return
		}
		if cut == nil {
			t.Fatal("compacted with nothing cut")
		}
		var before, after any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if dec.Decode(&before) != nil {
			t.Fatal("compacted content that does not decode")
		}
		dec = json.NewDecoder(bytes.NewReader(got.Content.VeryRaw))
		dec.UseNumber()
		if err := dec.Decode(&after); err != nil {
			t.Fatalf("compact content does not decode: %v", err)
		}
		samePrefixes(t, before, after, keep)
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// samePrefixes checks that b is a with its strings cut to keep bytes.
func samePrefixes(t *testing.T, a, b any, keep int) {
	t.Helper()
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		want := x
		if len(x) > keep {
			n := keep
			for n > 0 && !utf8.RuneStart(x[n]) {
				n--
			}
			want = x[:n]
		}
		// encoding/json writes invalid UTF-8 as U+FFFD: compare so.
		if !ok || y != strings.ToValidUTF8(want, "\uFFFD") && y != want {
			t.Fatalf("string %q became %q", x, b)
		}
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			t.Fatalf("object %v became %v", x, b)
		}
		for k, v := range x {
			samePrefixes(t, v, y[k], keep)
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			t.Fatalf("array %v became %v", x, b)
		}
		for i := range x {
			samePrefixes(t, x[i], y[i], keep)
		}
	default:
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("%v became %v", a, b)
		}
	}
}
