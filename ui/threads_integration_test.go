package ui_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/ui/uitest"
)

// threadContent is a message in the thread of root as Element sends it:
// the reply relation falls back to the thread's latest event.
func threadContent(body, root, latest string) map[string]any {
	return map[string]any{"msgtype": "m.text", "body": body, "m.relates_to": map[string]any{
		"rel_type": "m.thread", "event_id": root, "is_falling_back": true,
		"m.in_reply_to": map[string]any{"event_id": latest}}}
}

// TestThreadsEndToEnd: alice (raw events, as Element sends them) starts a
// thread on bob's message; bob's termatrix shows "1 reply, last from
// alice" under it and not the reply itself; bob selects the root, opens
// the thread (t), reads alice's reply, answers in it (the server's event
// checked field by field: m.thread to the root, falling back to alice's
// reply); Esc closes the pane and the summary reads "2 replies, last from
// bob". A reply arriving by sync while the pane is open shows in it.
func TestThreadsEndToEnd(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "tbob")
	alice := st.MustRegister(t, "talice")
	roomID := roomOfTwo(t, "Thread Room", bob, alice)
	root, err := bob.SendMessage(ctx(t), roomID, "root from bob")
	if err != nil {
		t.Fatal(err)
	}
	s := loginUI(t, st, bob)
	uitest.WaitFor(t, s, "root from bob", waitLong)

	first, err := alice.SendEvent(ctx(t), roomID, "m.room.message", threadContent("alice in thread", root, root))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.SendMessage(ctx(t), roomID, "alice in the room"); err != nil {
		t.Fatal(err)
	}
	text := uitest.WaitUntil(t, s, "1 reply, last from alice", waitLong, regexp.MustCompile(`↳ 1 reply, last from \S*alice`).MatchString)
	uitest.WaitFor(t, s, "alice in the room", waitLong)
	if strings.Contains(text, "alice in thread") {
		t.Errorf("the thread message is in the room's timeline:\n%s", text)
	}
	if uitest.Row(s, "↳ 1 reply") != uitest.Row(s, "root from bob")+1 {
		t.Errorf("summary not under its root:\n%s", text)
	}

	// Select the root (one up from alice's room message), open its thread.
	altKey(s, 's')
	uitest.WaitFor(t, s, "r reply", waitLong)
	s.InjectKey(tcell.KeyUp, 0, tcell.ModNone)
	text = uitest.WaitFor(t, s, "t thread", waitLong)
	key(s, 't')
	text = uitest.WaitFor(t, s, "Thread: ", waitLong)
	text = uitest.WaitFor(t, s, "alice in thread", waitLong)
	if !strings.Contains(text, "root from bob") || strings.Contains(text, "alice in the room") {
		t.Errorf("thread pane shows the wrong events:\n%s", text)
	}

	// Reply in the thread.
	uitest.Type(s, "bob in thread")
	enter(s)
	_, c := serverEvent(t, alice, roomID, "bob's thread reply", func(ev teststack.Event, c map[string]any) bool {
		return ev.Type == "m.room.message" && c["body"] == "bob in thread"
	})
	if path(c, "m.relates_to", "rel_type") != "m.thread" || path(c, "m.relates_to", "event_id") != root ||
		path(c, "m.relates_to", "is_falling_back") != true || path(c, "m.relates_to", "m.in_reply_to", "event_id") != first ||
		c["msgtype"] != "m.text" {
		t.Errorf("thread reply content %v: want m.thread to %s falling back to %s", c, root, first)
	}
	uitest.WaitFor(t, s, "bob in thread", waitLong)

	// Alice answers while the pane is open: it shows there.
	if _, err := alice.SendEvent(ctx(t), roomID, "m.room.message", threadContent("alice again", root, first)); err != nil {
		t.Fatal(err)
	}
	uitest.WaitFor(t, s, "alice again", waitLong)

	// Esc closes the pane: the summary counts all three, the last from alice.
	s.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	text = uitest.WaitUntil(t, s, "3 replies, last from alice", waitLong, regexp.MustCompile(`↳ 3 replies, last from \S*alice`).MatchString)
	for _, bad := range []string{"Thread: ", "bob in thread", "alice again"} {
		if strings.Contains(text, bad) {
			t.Errorf("%q still shows after closing the thread:\n%s", bad, text)
		}
	}

	// /thread opens the room's newest thread; bob's reply there makes him the last.
	uitest.Type(s, "/thread")
	enter(s)
	uitest.WaitFor(t, s, "alice again", waitLong)
	uitest.Type(s, "bob last")
	enter(s)
	_, c = serverEvent(t, alice, roomID, "bob's second thread reply", func(ev teststack.Event, c map[string]any) bool {
		return ev.Type == "m.room.message" && c["body"] == "bob last"
	})
	if path(c, "m.relates_to", "event_id") != root || path(c, "m.relates_to", "rel_type") != "m.thread" {
		t.Errorf("second thread reply content %v", c)
	}
	s.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	uitest.WaitUntil(t, s, "4 replies, last from bob", waitLong, regexp.MustCompile(`↳ 4 replies, last from \S*bob`).MatchString)
}

// TestThreadsHostile: a thread root with escape codes and bidi overrides,
// a reply to it, and a thread reply to an event that does not exist are
// harmless: the root and the pane's header are sanitized, the reply to
// nothing stays out of the room's timeline, and /thread opens it with a
// header saying the root is not loaded.
func TestThreadsHostile(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "hbob")
	alice := st.MustRegister(t, "halice")
	roomID := roomOfTwo(t, "Hostile Threads", bob, alice)
	evil := "\x1b[31m\u202eEVILROOT\x07" + strings.Repeat("W", 5000)
	root, err := alice.SendMessage(ctx(t), roomID, evil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.SendEvent(ctx(t), roomID, "m.room.message", threadContent("\x1b[2J\x07reply in thread", root, root)); err != nil {
		t.Fatal(err)
	}
	s := loginUI(t, st, bob)
	text := uitest.WaitFor(t, s, "1 reply, last from", waitLong)
	if strings.ContainsAny(text, "\x1b\u202e\x07") {
		t.Errorf("hostile root or reply reached the screen:\n%s", text)
	}

	// Open it from the selection with Enter (a root with no link opens its thread).
	altKey(s, 's')
	uitest.WaitFor(t, s, "t thread", waitLong)
	enter(s)
	text = uitest.WaitFor(t, s, "Thread: ", waitLong)
	text = uitest.WaitFor(t, s, "reply in thread", waitLong)
	if strings.ContainsAny(text, "\x1b\u202e\x07") || !strings.Contains(text, "EVILROOT") {
		t.Errorf("hostile thread pane:\n%s", text)
	}
	s.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	uitest.WaitUntil(t, s, "the pane closed", waitLong, func(text string) bool { return !strings.Contains(text, "Thread: ") })

	// A thread reply to an event that does not exist.
	if _, err := alice.SendEvent(ctx(t), roomID, "m.room.message",
		threadContent("reply to nothing", "$doesnotexist", "$doesnotexist")); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.SendMessage(ctx(t), roomID, "after the orphan"); err != nil {
		t.Fatal(err)
	}
	text = uitest.WaitFor(t, s, "after the orphan", waitLong)
	if strings.Contains(text, "reply to nothing") {
		t.Errorf("a thread reply to nothing is in the room's timeline:\n%s", text)
	}
	uitest.Type(s, "/thread")
	enter(s)
	text = uitest.WaitFor(t, s, "first message is not loaded", waitLong)
	uitest.WaitFor(t, s, "reply to nothing", waitLong)
}
