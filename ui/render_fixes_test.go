package ui

import (
	"strings"
	"testing"
)

// TestEditShownOnceOnTheOriginal (F17): the m.replace event has no line of
// its own; the original shows the new text marked (edited).
func TestEditShownOnceOnTheOriginal(t *testing.T) {
	s := newSimScreen(t, 60, 6)
	tv := NewTimelineView(testContext())
	tv.Append(textEvent(1, "head"))
	edit := mkEvent(t, `{"type":"m.room.message","sender":"@alice:hs","origin_server_ts":1700000009000,"event_id":"$edit","content":{"msgtype":"m.text","body":"* head edited","m.new_content":{"msgtype":"m.text","body":"head edited"},"m.relates_to":{"rel_type":"m.replace","event_id":"$ev1"}}}`)
	tv.Append(edit)
	text := drawTimeline(s, tv)
	if !strings.Contains(text, "alice: head edited (edited)") {
		t.Fatalf("the original does not show the edit:\n%s", text)
	}
	if strings.Contains(text, "* head edited") || strings.Count(text, "head edited") != 1 {
		t.Fatalf("the edit is drawn on its own line too:\n%s", text)
	}
	// An edit whose original is not loaded is not shown either.
	orphan := mkEvent(t, `{"type":"m.room.message","sender":"@alice:hs","origin_server_ts":1700000009000,"event_id":"$edit2","content":{"msgtype":"m.text","body":"* lost","m.new_content":{"msgtype":"m.text","body":"lost"},"m.relates_to":{"rel_type":"m.replace","event_id":"$gone"}}}`)
	if got := Render(orphan, testContext(), ItemState{}); got != nil {
		t.Fatalf("an edit renders %q", renderText(orphan, testContext(), ItemState{}))
	}
}

// TestCallSignallingHasNoLine (F25): signalling events of a call are not
// told in the timeline, and never as "unsupported event".
func TestCallSignallingHasNoLine(t *testing.T) {
	for _, typ := range []string{"m.call.sdp_stream_metadata_changed", "org.matrix.call.sdp_stream_metadata_changed",
		"m.call.negotiate", "m.call.candidates", "m.call.select_answer", "m.call.asserted_identity",
		"org.matrix.call.asserted_identity", "m.call.replaces"} {
		ev := mkEvent(t, `{"type":"`+typ+`","sender":"@alice:hs","origin_server_ts":1700000000000,"event_id":"$c","content":{"call_id":"c1","version":"1","party_id":"p"}}`)
		if lines := Render(ev, testContext(), ItemState{}); lines != nil {
			t.Errorf("%s renders %q", typ, renderText(ev, testContext(), ItemState{}))
		}
	}
}

// TestLinkTextCannotImpersonateAURL (F31): when a link's text differs from
// its target, the real target is on screen, OSC 8 or not; a user pill
// stays just a name.
func TestLinkTextCannotImpersonateAURL(t *testing.T) {
	ev := mkEvent(t, `{"type":"m.room.message","sender":"@alice:hs","origin_server_ts":1,"content":{"msgtype":"m.text","body":"x","format":"org.matrix.custom.html","formatted_body":"login at <a href=\"https://evil.example/phish\">https://good.example/login</a>, <a href=\"https://good.example/same\">https://good.example/same</a> and <a href=\"https://matrix.to/#/@bob:hs\">bob</a>"}}`)
	for _, osc8 := range []bool{true, false} {
		rc := testContext()
		rc.OSC8 = osc8
		got := renderText(ev, rc, ItemState{})
		if !strings.Contains(got, "https://good.example/login <https://evil.example/phish>") {
			t.Errorf("osc8=%v: the real target is not shown: %q", osc8, got)
		}
		if strings.Contains(got, "<https://good.example/same>") || strings.Contains(got, "<https://matrix.to") {
			t.Errorf("osc8=%v: a target is repeated needlessly: %q", osc8, got)
		}
	}
}

// TestConferenceLineKindMatchesBanner (F13): an audio-only Jitsi widget is
// a voice conference in the timeline as in the banner.
func TestConferenceLineKindMatchesBanner(t *testing.T) {
	voice := `{"type":"jitsi","url":"https://app.element.io/jitsi.html","name":"Jitsi","data":{"domain":"meet.example.org","conferenceId":"JitsiX","isAudioOnly":true}}`
	video := `{"type":"jitsi","url":"https://app.element.io/jitsi.html","name":"Jitsi","data":{"domain":"meet.example.org","conferenceId":"JitsiY","isAudioOnly":false}}`
	for _, tt := range []struct{ content, prev, want string }{
		{voice, "", "Voice conference started by alice"},
		{video, "", "Video conference started by alice"},
		{"{}", voice, "Voice conference ended by alice"},
	} {
		js := `{"type":"im.vector.modular.widgets","state_key":"w","sender":"@alice:hs","origin_server_ts":1700000000000,"event_id":"$w","content":` + tt.content
		if tt.prev != "" {
			js += `,"unsigned":{"prev_content":` + tt.prev + `}`
		}
		ev := mkEvent(t, js+"}")
		if got := renderText(ev, testContext(), ItemState{}); !strings.HasSuffix(got, tt.want) {
			t.Errorf("got %q, want … %q", got, tt.want)
		}
	}
}
