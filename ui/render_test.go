package ui

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/sanitize"
)

// mkEvent parses an event from JSON, as the client receives it.
func mkEvent(t testing.TB, js string) *event.Event {
	t.Helper()
	var ev event.Event
	if err := json.Unmarshal([]byte(js), &ev); err != nil {
		t.Fatalf("parse %s: %v", js, err)
	}
	return &ev
}

func testContext() RenderContext {
	names := map[id.UserID]string{"@alice:hs": "alice", "@bob:hs": "bob"}
	return RenderContext{
		Own:      "@bob:hs",
		Name:     func(u id.UserID) string { return names[u] },
		Location: time.UTC,
		OSC8:     true,
	}
}

func renderText(ev *event.Event, rc RenderContext, st ItemState) string {
	var out []string
	for _, l := range Render(ev, rc, st) {
		out = append(out, l.String())
	}
	return strings.Join(out, "\n")
}

func TestRenderLines(t *testing.T) {
	const ts = `"origin_server_ts":1700000000000,"event_id":"$e","room_id":"!r:hs"`
	tests := []struct {
		name, js, want string
	}{
		{"text", `{"type":"m.room.message","sender":"@alice:hs",` + ts + `,"content":{"msgtype":"m.text","body":"hello"}}`, "22:13 alice: hello"},
		{"multi-line", `{"type":"m.room.message","sender":"@alice:hs",` + ts + `,"content":{"msgtype":"m.text","body":"a\nb"}}`, "22:13 alice: a\n      b"},
		{"emote", `{"type":"m.room.message","sender":"@alice:hs",` + ts + `,"content":{"msgtype":"m.emote","body":"waves"}}`, "22:13 * alice waves"},
		{"notice", `{"type":"m.room.message","sender":"@alice:hs",` + ts + `,"content":{"msgtype":"m.notice","body":"beep"}}`, "22:13 alice: beep"},
		{"image", `{"type":"m.room.message","sender":"@alice:hs",` + ts + `,"content":{"msgtype":"m.image","body":"cat.png","url":"mxc://x/y"}}`, "22:13 alice: sent an image: cat.png"},
		{"html", `{"type":"m.room.message","sender":"@alice:hs",` + ts + `,"content":{"msgtype":"m.text","body":"**hi**","format":"org.matrix.custom.html","formatted_body":"<b>hi</b> <i>there</i> <code>x</code>"}}`, "22:13 alice: hi there x"},
		{"html quote and list", `{"type":"m.room.message","sender":"@alice:hs",` + ts + `,"content":{"msgtype":"m.text","body":"x","format":"org.matrix.custom.html","formatted_body":"<blockquote>q</blockquote><ul><li>one</li><li>two</li></ul>"}}`, "22:13 alice: ▎ q\n      • one\n      • two"},
		{"reply unknown", `{"type":"m.room.message","sender":"@alice:hs",` + ts + `,"content":{"msgtype":"m.text","body":"> <@bob:hs> orig\n\nanswer","m.relates_to":{"m.in_reply_to":{"event_id":"$old"}}}}`, "      ┃ in reply to an earlier message\n22:13 alice: answer"},
		{"redacted", `{"type":"m.room.message","sender":"@alice:hs",` + ts + `,"content":{},"unsigned":{"redacted_because":{"type":"m.room.redaction"}}}`, "22:13 alice: message deleted"},
		{"join", `{"type":"m.room.member","state_key":"@alice:hs","sender":"@alice:hs",` + ts + `,"content":{"membership":"join","displayname":"Alice"}}`, "22:13 -- Alice joined the room"},
		{"rename", `{"type":"m.room.member","state_key":"@alice:hs","sender":"@alice:hs",` + ts + `,"content":{"membership":"join","displayname":"Al"},"unsigned":{"prev_content":{"membership":"join","displayname":"Alice"}}}`, "22:13 -- Alice changed their name to Al"},
		{"leave", `{"type":"m.room.member","state_key":"@alice:hs","sender":"@alice:hs",` + ts + `,"content":{"membership":"leave"},"unsigned":{"prev_content":{"membership":"join","displayname":"Alice"}}}`, "22:13 -- Alice left the room"},
		{"invite", `{"type":"m.room.member","state_key":"@carol:hs","sender":"@alice:hs",` + ts + `,"content":{"membership":"invite"}}`, "22:13 -- alice invited @carol:hs"},
		{"topic", `{"type":"m.room.topic","state_key":"","sender":"@alice:hs",` + ts + `,"content":{"topic":"news"}}`, "22:13 -- alice changed the topic to news"},
		{"name", `{"type":"m.room.name","state_key":"","sender":"@alice:hs",` + ts + `,"content":{"name":"Lobby"}}`, "22:13 -- alice changed the room name to Lobby"},
		{"voice call", `{"type":"m.call.invite","sender":"@alice:hs",` + ts + `,"content":{"call_id":"c","version":"1","lifetime":60000,"offer":{"type":"offer","sdp":"v=0\r\nm=audio 9 UDP"}}}`, "22:13 -- alice placed a voice call"},
		{"video call", `{"type":"m.call.invite","sender":"@alice:hs",` + ts + `,"content":{"call_id":"c","version":"1","lifetime":60000,"offer":{"type":"offer","sdp":"v=0\r\nm=audio 9\r\nm=video 9"}}}`, "22:13 -- alice placed a video call"},
		{"hangup", `{"type":"m.call.hangup","sender":"@alice:hs",` + ts + `,"content":{"call_id":"c","version":"1"}}`, "22:13 -- call ended"},
		{"reject", `{"type":"m.call.reject","sender":"@alice:hs",` + ts + `,"content":{"call_id":"c","version":"1"}}`, "22:13 -- alice declined the call"},
		{"candidates hidden", `{"type":"m.call.candidates","sender":"@alice:hs",` + ts + `,"content":{"call_id":"c","candidates":[]}}`, ""},
		{"jitsi started", `{"type":"im.vector.modular.widgets","state_key":"w","sender":"@alice:hs",` + ts + `,"content":{"type":"jitsi","url":"https://x/jitsi.html","name":"Jitsi","data":{"domain":"meet.example.org","conferenceId":"JitsiAbc"}}}`, "22:13 -- Video conference started by alice"},
		{"jitsi updated", `{"type":"im.vector.modular.widgets","state_key":"w","sender":"@alice:hs",` + ts + `,"content":{"type":"m.jitsi","url":"https://x/j","data":{"domain":"meet.example.org","conferenceId":"JitsiAbc"}},"unsigned":{"prev_content":{"type":"jitsi","url":"https://x/j"}}}`, "22:13 -- Video conference updated by alice"},
		{"jitsi suspicious", `{"type":"im.vector.modular.widgets","state_key":"w","sender":"@alice:hs",` + ts + `,"content":{"type":"jitsi","url":"javascript:alert(1)//https://x/j","data":{"domain":"meet.example.org","conferenceId":"JitsiAbc"}}}`, "22:13 -- ⚠ alice set up a suspicious conference widget: widget URL scheme \"javascript\" is not http(s)"},
		{"jitsi ended", `{"type":"im.vector.modular.widgets","state_key":"w","sender":"@alice:hs",` + ts + `,"content":{},"unsigned":{"prev_content":{"type":"jitsi","url":"https://x/j"}}}`, "22:13 -- Video conference ended by alice"},
		{"other widget", `{"type":"im.vector.modular.widgets","state_key":"w","sender":"@alice:hs",` + ts + `,"content":{"type":"customwidget","url":"https://x/","name":"Foo"}}`, "22:13 -- alice added widget Foo"},
		{"other widget removed", `{"type":"im.vector.modular.widgets","state_key":"w","sender":"@alice:hs",` + ts + `,"content":{},"unsigned":{"prev_content":{"type":"customwidget","url":"https://x/","name":"Foo"}}}`, "22:13 -- alice removed widget Foo"},
		{"unknown", `{"type":"org.example.thing","sender":"@alice:hs",` + ts + `,"content":{"x":1}}`, "22:13 -- unsupported event (org.example.thing)"},
		{"malformed body", `{"type":"m.room.message","sender":"@alice:hs",` + ts + `,"content":{"msgtype":"m.text","body":42}}`, "22:13 -- unsupported event (m.room.message)"},
		{"malformed member", `{"type":"m.room.member","state_key":"@a:hs","sender":"@alice:hs",` + ts + `,"content":{"membership":7}}`, "22:13 -- unsupported event (m.room.member)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := renderText(mkEvent(t, tt.js), testContext(), ItemState{})
			if got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestRenderEditAndStates(t *testing.T) {
	orig := mkEvent(t, `{"type":"m.room.message","sender":"@alice:hs","origin_server_ts":1700000000000,"event_id":"$a","content":{"msgtype":"m.text","body":"helo"}}`)
	edit := mkEvent(t, `{"type":"m.room.message","sender":"@alice:hs","origin_server_ts":1700000001000,"event_id":"$b","content":{"msgtype":"m.text","body":"* hello","m.new_content":{"msgtype":"m.text","body":"hello"},"m.relates_to":{"rel_type":"m.replace","event_id":"$a"}}}`)
	rc := testContext()
	if got, want := renderText(orig, rc, ItemState{Edit: edit}), "22:13 alice: hello (edited)"; got != want {
		t.Errorf("edit: got %q want %q", got, want)
	}
	if got, want := renderText(orig, rc, ItemState{Redacted: true}), "22:13 alice: message deleted"; got != want {
		t.Errorf("redacted: got %q want %q", got, want)
	}
	if got := renderText(orig, rc, ItemState{Pending: true}); !strings.HasSuffix(got, "(sending…)") {
		t.Errorf("pending: got %q", got)
	}
	if got := renderText(orig, rc, ItemState{Failed: true, RetryKey: "Ctrl+R"}); !strings.Contains(got, "press Ctrl+R to retry") {
		t.Errorf("failed: got %q", got)
	}
}

func TestRenderReplyQuotesOriginal(t *testing.T) {
	orig := mkEvent(t, `{"type":"m.room.message","sender":"@bob:hs","origin_server_ts":1700000000000,"event_id":"$old","content":{"msgtype":"m.text","body":"the question"}}`)
	reply := mkEvent(t, `{"type":"m.room.message","sender":"@alice:hs","origin_server_ts":1700000000000,"event_id":"$r","content":{"msgtype":"m.text","body":"> <@bob:hs> the question\n\nthe answer","format":"org.matrix.custom.html","formatted_body":"<mx-reply><blockquote>the question</blockquote></mx-reply>the answer","m.relates_to":{"m.in_reply_to":{"event_id":"$old"}}}}`)
	rc := testContext()
	rc.Lookup = func(e id.EventID) (*event.Event, bool) {
		if e == "$old" {
			return orig, false
		}
		return nil, e == "$gone"
	}
	want := "      ┃ bob: the question\n22:13 alice: the answer"
	if got := renderText(reply, rc, ItemState{}); got != want {
		t.Errorf("got %q want %q", got, want)
	}
}

// TestRenderReplyNeverQuotesItsFallback: a reply whose target is not
// loaded never quotes its own fallback text, which the replier wrote and
// can forge; it says the message is not loaded, or could not be.
func TestRenderReplyNeverQuotesItsFallback(t *testing.T) {
	rc := testContext()
	rc.Lookup = func(e id.EventID) (*event.Event, bool) { return nil, e == "$gone" }
	for target, want := range map[string]string{"$missing": "in reply to an earlier message", "$gone": "could not be loaded"} {
		forged := mkEvent(t, `{"type":"m.room.message","sender":"@mallory:hs","origin_server_ts":1700000000000,"event_id":"$f","content":{"msgtype":"m.text","body":"> <@bob:hs> I owe mallory 100 EUR\n\nsee?","m.relates_to":{"m.in_reply_to":{"event_id":"`+target+`"}}}}`)
		got := renderText(forged, rc, ItemState{})
		if strings.Contains(got, "owe") || !strings.Contains(got, want) || !strings.Contains(got, "see?") {
			t.Errorf("%s: %q", target, got)
		}
	}
}

func TestRenderLinks(t *testing.T) {
	ev := mkEvent(t, `{"type":"m.room.message","sender":"@alice:hs","origin_server_ts":1,"content":{"msgtype":"m.text","body":"x","format":"org.matrix.custom.html","formatted_body":"see <a href=\"https://example.org/a b\">this</a> and <a href=\"javascript:alert(1)\">that</a>"}}`)
	rc := testContext()
	lines := Render(ev, rc, ItemState{})
	var linked, plain bool
	for _, s := range lines[0] {
		if s.Text == "this" && s.Style == styleLink.Url("https://example.org/a%20b") {
			linked = true
		}
		if s.Text == "that" && s.Style == styleText {
			plain = true
		}
	}
	if !linked || !plain {
		t.Errorf("https link styled as OSC 8: %v; javascript: link left plain: %v; %#v", linked, plain, lines)
	}
	rc.OSC8 = false
	if got := renderText(ev, rc, ItemState{}); !strings.Contains(got, "this <https://example.org/a%20b>") {
		t.Errorf("without OSC 8 the URL is shown: %q", got)
	}
}

func TestRenderHostile(t *testing.T) {
	ev := mkEvent(t, `{"type":"m.room.message","sender":"@alice:hs","origin_server_ts":1,"content":{"msgtype":"m.text","body":"\u001b[2J\u001b]0;pwn\u0007[red]x\u202eevil\u009b"}}`)
	got := renderText(ev, testContext(), ItemState{})
	if !strings.Contains(got, "[red]x") || strings.ContainsAny(got, "\x1b\x07\u202e\u009b") {
		t.Errorf("hostile body not made inert: %q", got)
	}
}

// checkLines fails if rendered lines hold anything a terminal acts on.
func checkLines(t *testing.T, lines []Line) {
	t.Helper()
	for _, l := range lines {
		for _, s := range l {
			for _, r := range s.Text {
				if sanitize.Dropped(r) {
					t.Fatalf("rendered text holds %U: %q", r, s.Text)
				}
			}
		}
	}
}

func FuzzRender(f *testing.F) {
	seeds := []string{
		`{"type":"m.room.message","sender":"@a:b","content":{"msgtype":"m.text","body":"hi","format":"org.matrix.custom.html","formatted_body":"<b>x</b><a href='https://e'>l</a><ol start='3'><li>i</li></ol><pre>a\nb</pre>"}}`,
		`{"type":"m.room.member","state_key":"@a:b","sender":"@a:b","content":{"membership":"join"},"unsigned":{"prev_content":{"membership":"invite"}}}`,
		`{"type":"im.vector.modular.widgets","state_key":"x","sender":"@a:b","content":{},"unsigned":{"prev_content":{"type":"jitsi","url":"https://x"}}}`,
		`{"type":"m.call.invite","sender":"@a:b","content":{"offer":{"sdp":5}}}`,
		`{"type":"m.room.message","sender":"@a:b","content":{"body":"\u001b[31m\u202e","m.relates_to":{"m.in_reply_to":{"event_id":"$x"}}}}`,
		`{"type":"m.room.topic","state_key":"","content":{"topic":["x"]}}`,
		`{"type":"x","content":[]}`,
		`{"type":"m.call.invite","sender":"@a:b","content":{"call_id":"c","invitee":"@x\u001b:b","offer":{"sdp":"m=video"}}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev event.Event
		if err := json.Unmarshal(data, &ev); err != nil {
			return
		}
		rc := testContext()
		rc.Lookup = func(id.EventID) (*event.Event, bool) { return &ev, false }
		checkLines(t, Render(&ev, rc, ItemState{}))
		checkLines(t, Render(&ev, rc, ItemState{Edit: &ev, Failed: true}))
		checkLines(t, Render(&ev, rc, ItemState{CallAnswer: &ev, CallEnd: &ev}))
	})
}

func TestRenderMentionHighlighted(t *testing.T) {
	ev := mkEvent(t, `{"type":"m.room.message","sender":"@alice:hs","origin_server_ts":1,"content":{"msgtype":"m.text","body":"hey Bob, look"}}`)
	lines := Render(ev, testContext(), ItemState{})
	if lines[0][0].Style != styleMention {
		t.Error("a message naming the user is not highlighted")
	}
	ev = mkEvent(t, `{"type":"m.room.message","sender":"@alice:hs","origin_server_ts":1,"content":{"msgtype":"m.text","body":"hey all"}}`)
	if Render(ev, testContext(), ItemState{})[0][0].Style == styleMention {
		t.Error("a plain message is highlighted")
	}
}

func TestRenderPlainURLsAsLinks(t *testing.T) {
	ev := mkEvent(t, `{"type":"m.room.message","sender":"@alice:hs","origin_server_ts":1,"content":{"msgtype":"m.text","body":"docs at https://example.org/x?y=1. and javascript:alert(1)"}}`)
	lines := Render(ev, testContext(), ItemState{})
	found := false
	for _, s := range lines[0] {
		if s.Text == "https://example.org/x?y=1" && s.Style == styleLink.Url("https://example.org/x?y=1") {
			found = true
		}
		if strings.Contains(s.Text, "javascript") && s.Style != styleText {
			t.Errorf("javascript: styled as a link")
		}
	}
	if !found {
		t.Errorf("plain URL not an OSC 8 link: %#v", lines[0])
	}
	if got := lines[0].String(); !strings.HasSuffix(got, "docs at https://example.org/x?y=1. and javascript:alert(1)") {
		t.Errorf("text changed: %q", got)
	}
}
