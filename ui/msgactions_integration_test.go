package ui_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/ui/uitest"
)

// serverEvent waits until the room holds an event (read back by u from
// the server with /messages) that match accepts, and returns it with its
// content decoded.
func serverEvent(t *testing.T, u teststack.User, roomID, what string, match func(ev teststack.Event, c map[string]any) bool) (teststack.Event, map[string]any) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for time.Now().Before(deadline) {
		evs, err := u.Messages(ctx(t), roomID, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			var c map[string]any
			_ = json.Unmarshal(ev.Content, &c)
			if match(ev, c) {
				return ev, c
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never saw %s", u.UserID, what)
	return teststack.Event{}, nil
}

// path reads a nested field of decoded JSON ("a", "b" is c["a"]["b"]).
func path(c map[string]any, keys ...string) any {
	var v any = c
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// waitReaction waits until the screen shows key counted n times. The
// simulation screen may keep a stale rune in a wide emoji's second column
// (tcell does not redraw it), so one character may follow the key.
func waitReaction(t *testing.T, s tcell.SimulationScreen, key string, n int) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(key) + `.? ` + strconv.Itoa(n) + `\b`)
	return uitest.WaitUntil(t, s, fmt.Sprintf("%s %d", key, n), waitLong, re.MatchString)
}

func altKey(s tcell.SimulationScreen, r rune) { s.InjectKey(tcell.KeyRune, r, tcell.ModAlt) }
func key(s tcell.SimulationScreen, r rune)    { s.InjectKey(tcell.KeyRune, r, tcell.ModNone) }

// TestMessageActionsEndToEnd drives bob's real UI against Dendrite while
// alice, the other client, reads what the server holds: selecting
// (Alt+S), a reply (r) sent with m.in_reply_to and no fallback, an edit
// (Up in the empty composer) as m.replace with m.new_content, a reaction
// (+ and the picker) as m.annotation and the same one again redacting it,
// alice's reactions (a hostile key among them) shown aggregated and
// sanitized, and a deletion (d, y, a reason) as m.room.redaction. Every
// event's shape is checked field by field as the server stores it.
func TestMessageActionsEndToEnd(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "abob")
	alice := st.MustRegister(t, "aalice")
	roomID := roomOfTwo(t, "Actions Room", bob, alice)
	hello, err := alice.SendMessage(ctx(t), roomID, "hello from alice")
	if err != nil {
		t.Fatal(err)
	}
	s := loginUI(t, st, bob)
	uitest.WaitFor(t, s, "hello from alice", waitLong)

	// Select: the newest message, the footer lists what can be done.
	altKey(s, 's')
	text := uitest.WaitFor(t, s, "r reply", waitLong)
	for _, want := range []string{"+ react", "y copy", "Esc back"} {
		if !strings.Contains(text, want) {
			t.Errorf("footer lacks %q while selecting:\n%s", want, text)
		}
	}
	if strings.Contains(text, "e edit") {
		t.Errorf("footer offers to edit alice's message:\n%s", text)
	}

	// Reply.
	key(s, 'r')
	uitest.WaitFor(t, s, "Replying to", waitLong)
	uitest.Type(s, "my reply")
	enter(s)
	reply, rc := serverEvent(t, alice, roomID, "the reply", func(ev teststack.Event, c map[string]any) bool {
		return ev.Type == "m.room.message" && c["body"] == "my reply"
	})
	if got := path(rc, "m.relates_to", "m.in_reply_to", "event_id"); got != hello {
		t.Errorf("reply m.in_reply_to.event_id = %v, want %s", got, hello)
	}
	if rc["msgtype"] != "m.text" || rc["formatted_body"] != nil || rc["format"] != nil {
		t.Errorf("reply content %v: want a plain m.text with no fallback", rc)
	}
	if ids, _ := path(rc, "m.mentions", "user_ids").([]any); len(ids) != 1 || ids[0] != alice.UserID {
		t.Errorf("reply m.mentions = %v, want alice", path(rc, "m.mentions"))
	}
	text = uitest.WaitFor(t, s, "┃ ", waitLong)
	if strings.Contains(text, "Replying to") {
		t.Errorf("the reply row stayed after sending:\n%s", text)
	}
	// Up edits a sent message only: wait until the reply is no longer
	// "(sending…)".
	uitest.WaitUntil(t, s, "the reply sent", waitLong, func(text string) bool { return !strings.Contains(text, "(sending…)") })

	// Edit: Up in the empty composer takes the newest own message.
	s.InjectKey(tcell.KeyUp, 0, tcell.ModNone)
	uitest.WaitFor(t, s, "Editing your message", waitLong)
	uitest.Type(s, " (fixed)")
	enter(s)
	_, ec := serverEvent(t, alice, roomID, "the edit", func(ev teststack.Event, c map[string]any) bool {
		return ev.Type == "m.room.message" && path(c, "m.relates_to", "rel_type") == "m.replace"
	})
	if ec["body"] != "* my reply (fixed)" || ec["msgtype"] != "m.text" ||
		path(ec, "m.new_content", "body") != "my reply (fixed)" || path(ec, "m.new_content", "msgtype") != "m.text" ||
		path(ec, "m.relates_to", "event_id") != reply.EventID || path(ec, "m.new_content", "m.relates_to") != nil {
		t.Errorf("edit content %v", ec)
	}
	uitest.WaitFor(t, s, "my reply (fixed) (edited)", waitLong)

	// React to alice's message: select, up one, +, pick 1 (👍).
	altKey(s, 's')
	uitest.WaitFor(t, s, "r reply", waitLong)
	s.InjectKey(tcell.KeyUp, 0, tcell.ModNone)
	key(s, '+')
	uitest.WaitFor(t, s, "Reaction:", waitLong)
	key(s, '1')
	enter(s)
	reaction, xc := serverEvent(t, alice, roomID, "the reaction", func(ev teststack.Event, c map[string]any) bool {
		return ev.Type == "m.reaction"
	})
	if path(xc, "m.relates_to", "rel_type") != "m.annotation" || path(xc, "m.relates_to", "event_id") != hello ||
		path(xc, "m.relates_to", "key") != "👍" || len(xc) != 1 {
		t.Errorf("reaction content %v", xc)
	}
	waitReaction(t, s, "👍", 1)

	// Alice reacts too, once plainly and once with a hostile key.
	if _, err := alice.SendEvent(ctx(t), roomID, "m.reaction", map[string]any{"m.relates_to": map[string]any{
		"rel_type": "m.annotation", "event_id": hello, "key": "👍"}}); err != nil {
		t.Fatal(err)
	}
	evil := "\x1b[31m\u202eEVIL" + strings.Repeat("Z", 10<<10)
	if _, err := alice.SendEvent(ctx(t), roomID, "m.reaction", map[string]any{"m.relates_to": map[string]any{
		"rel_type": "m.annotation", "event_id": hello, "key": evil}}); err != nil {
		t.Fatal(err)
	}
	waitReaction(t, s, "👍", 2)
	text = uitest.WaitFor(t, s, "EVIL", waitLong)
	if strings.ContainsAny(text, "\x1b\u202e") || strings.Contains(text, strings.Repeat("Z", 20)) {
		t.Errorf("hostile reaction key not sanitized and cut:\n%s", text)
	}

	// The same reaction again takes it back (a redaction of it).
	altKey(s, 's')
	uitest.WaitFor(t, s, "r reply", waitLong)
	s.InjectKey(tcell.KeyUp, 0, tcell.ModNone)
	key(s, '+')
	uitest.WaitFor(t, s, "Reaction:", waitLong)
	uitest.Type(s, ":thumbsup:")
	enter(s)
	serverEvent(t, alice, roomID, "the un-react redaction", func(ev teststack.Event, c map[string]any) bool {
		return ev.Type == "m.room.redaction" && (ev.Redacts == reaction.EventID || c["redacts"] == reaction.EventID)
	})
	waitReaction(t, s, "👍", 1)

	// Delete bob's reply: asks, takes a reason, redacts.
	altKey(s, 's')
	uitest.WaitFor(t, s, "d delete", waitLong)
	key(s, 'd')
	uitest.WaitFor(t, s, "Delete your message", waitLong)
	key(s, 'y')
	uitest.WaitFor(t, s, "Reason:", waitLong)
	uitest.Type(s, "oops")
	enter(s)
	_, dc := serverEvent(t, alice, roomID, "the deletion", func(ev teststack.Event, c map[string]any) bool {
		return ev.Type == "m.room.redaction" && (ev.Redacts == reply.EventID || c["redacts"] == reply.EventID)
	})
	if dc["reason"] != "oops" {
		t.Errorf("redaction content %v, want reason oops", dc)
	}
	uitest.WaitFor(t, s, "message deleted", waitLong)
}
