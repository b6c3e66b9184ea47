package calls

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls/browser"
	"github.com/termatrix/termatrix/calls/jitsi"
	"github.com/termatrix/termatrix/config"
)

const room = id.RoomID("!room:example.org")

func testConfig() *config.Config {
	c := &config.Config{}
	c.Jitsi.PreferredDomain = "jitsi.riot.im"
	c.Jitsi.WrapperURL = "https://app.element.io/jitsi.html"
	c.Jitsi.WellKnownTimeoutMs = 500
	c.UI.Theme = "dark"
	c.UI.Language = "en"
	return c
}

func newTest(t *testing.T, f *fakeMatrix, o OneToOne, op browser.Opener) (*Controller, <-chan Event) {
	t.Helper()
	c := New(Options{Client: f, Config: testConfig(), Browser: op, OneToOne: o, HTTPClient: loopbackOnly()})
	ch, stop := c.Subscribe()
	t.Cleanup(stop)
	return c, ch
}

func TestMemberCountRouting(t *testing.T) {
	f := newFake("@me:example.org")
	one := &fakeOne{}
	c, ch := newTest(t, f, nil, newRecOpener(nil))

	f.join(room, "@me:example.org")
	c.Voice(room)
	if s := nextEvent[Status](t, ch, nil); s.Text != "You cannot place a call with yourself." || !s.Error {
		t.Errorf("alone: %+v", s)
	}

	f.join(room, "@bob:example.org")
	c.Video(room)
	if s := nextEvent[Status](t, ch, nil); s.Text != "1:1 calls are not available yet." {
		t.Errorf("two without OneToOne: %+v", s)
	}

	// A functional member (a bot) does not count: still a 1:1 call with bob.
	f.join(room, "@bot:example.org")
	f.setState(room, FunctionalMembersType.Type, "", "@me:example.org", `{"service_members":["@bot:example.org"]}`)
	c.SetOneToOne(one)
	c.Video(room)
	waitFor(t, func() bool { return len(one.got()) == 1 })
	if got := one.got()[0]; got != "place !room:example.org @bob:example.org true" {
		t.Errorf("1:1: %q", got)
	}
	if len(f.sentStates()) != 0 {
		t.Error("a widget was sent for a 1:1 room")
	}
}

func TestNoPowerSendsNothing(t *testing.T) {
	f := newFake("@me:example.org")
	f.join(room, "@me:example.org", "@a:example.org", "@b:example.org")
	f.canSend = false
	op := newRecOpener(nil)
	c, ch := newTest(t, f, nil, op)
	c.Voice(room)
	s := nextEvent[Status](t, ch, nil)
	if s.Text != "You do not have permission to start a conference call in this room" || !s.Error {
		t.Errorf("status %+v", s)
	}
	if len(f.sentStates()) != 0 || len(op.urls) != 0 {
		t.Error("sent or opened without power")
	}
}

func TestStartSendsElementShapeAndOpens(t *testing.T) {
	f := newFake("@me:example.org")
	f.join(room, "@me:example.org", "@a:example.org", "@b:example.org")
	f.wellKnown = map[string]json.RawMessage{"io.element.jitsi": json.RawMessage(`{"preferredDomain":"wk.example.org"}`)}
	op := newRecOpener(nil)
	c, ch := newTest(t, f, nil, op)
	c.Voice(room)
	u := <-op.urls
	cc := nextEvent[ConferenceChanged](t, ch, nil)
	s := nextEvent[Status](t, ch, nil)
	sent := f.sentStates()
	if len(sent) != 1 || sent[0].Type != "im.vector.modular.widgets" {
		t.Fatalf("sent %+v", sent)
	}
	var content jitsi.Content
	if err := json.Unmarshal(sent[0].Content, &content); err != nil {
		t.Fatal(err)
	}
	if content.Type != "jitsi" || content.Name != "Jitsi" || content.Data.Domain != "wk.example.org" || !content.Data.IsAudioOnly || content.Data.RoomName != "Team room" {
		t.Errorf("content %+v", content)
	}
	if want := "Opened Jitsi conference " + content.Data.ConferenceID + " on wk.example.org."; s.Text != want {
		t.Errorf("status %q, want %q", s.Text, want)
	}
	pu, _ := url.Parse(u)
	frag, _ := url.ParseQuery(pu.EscapedFragment())
	if frag.Get("conferenceId") != content.Data.ConferenceID || frag.Get("isAudioOnly") != "true" ||
		frag.Get("avatarUrl") != "https://hs.example.org/_matrix/media/v3/download/example.org/avatar" {
		t.Errorf("url %s", u)
	}
	if cc.Conference == nil || cc.Conference.WidgetID != sent[0].StateKey || cc.Conference.Domain != "wk.example.org" {
		t.Errorf("conference %+v", cc)
	}

	// A second press joins the same widget: no second one.
	c.Video(room)
	u2 := <-op.urls
	if len(f.sentStates()) != 1 || !strings.Contains(u2, "conferenceId="+content.Data.ConferenceID+"&") {
		t.Errorf("second press: sent %d, url %s", len(f.sentStates()), u2)
	}
	if c.LastOpenLatency() <= 0 {
		t.Error("latency not measured")
	}

	// Ending sends {} on the same state key and the banner goes.
	c.EndConference(room)
	nextEvent[ConferenceChanged](t, ch, func(cc ConferenceChanged) bool { return cc.Conference == nil })
	sent = f.sentStates()
	if len(sent) != 2 || string(sent[1].Content) != "{}" || sent[1].StateKey != sent[0].StateKey {
		t.Errorf("end sent %+v", sent)
	}
}

func TestNotLaunchedShowsLink(t *testing.T) {
	f := newFake("@me:example.org")
	f.join(room, "@me:example.org", "@a:example.org", "@b:example.org")
	f.setState(room, WidgetEventType.Type, "w", "@a:example.org", `{"type":"jitsi","url":"https://x.org/j","data":{"domain":"other.example.org","conferenceId":"Conf1"}}`)
	op := newRecOpener(&browser.NotLaunchedError{Reason: "running over SSH"})
	c, ch := newTest(t, f, nil, op)
	c.JoinConference(room)
	sl := nextEvent[ShowLink](t, ch, nil)
	if sl.Reason != "running over SSH" || !strings.HasPrefix(sl.URL, "https://app.element.io/jitsi.html#conferenceDomain=other.example.org&conferenceId=Conf1&") ||
		sl.Title != "Jitsi conference Conf1 on other.example.org" {
		t.Errorf("%+v", sl)
	}
}

func TestSuspiciousWidgetIsNotOpened(t *testing.T) {
	f := newFake("@me:example.org")
	f.join(room, "@me:example.org", "@a:example.org", "@b:example.org")
	f.setState(room, WidgetEventType.Type, "w", "@a:example.org", `{"type":"jitsi","url":"javascript:alert(1)","data":{"domain":"evil.org/x","conferenceId":"C"}}`)
	op := newRecOpener(nil)
	c, ch := newTest(t, f, nil, op)
	if conf := c.Conference(room); conf == nil || !conf.Suspicious {
		t.Fatalf("conference %+v", conf)
	}
	c.Voice(room)
	s := nextEvent[Status](t, ch, nil)
	if !s.Error || !strings.Contains(s.Text, "unsafe") {
		t.Errorf("status %+v", s)
	}
	if len(op.urls) != 0 || len(f.sentStates()) != 0 {
		t.Error("opened or sent for a suspicious widget")
	}
}

func TestAddAndRemoveWidget(t *testing.T) {
	f := newFake("@me:example.org")
	op := newRecOpener(nil)
	c, ch := newTest(t, f, nil, op)
	c.AddWidget(room, "javascript:alert(1)")
	if s := nextEvent[Status](t, ch, nil); s.Text != "Please supply a https:// or http:// widget URL" {
		t.Errorf("%+v", s)
	}
	c.AddWidget(room, "https://w.example.org/page?u=$matrix_user_id")
	nextEvent[Status](t, ch, nil)
	sent := f.sentStates()
	if len(sent) != 1 || !strings.HasPrefix(sent[0].StateKey, "!room%3Aexample.org_%40me%3Aexample.org_") {
		t.Fatalf("sent %+v", sent)
	}
	var content map[string]any
	_ = json.Unmarshal(sent[0].Content, &content)
	if content["type"] != "m.custom" || content["name"] != "Custom" || content["url"] != "https://w.example.org/page?u=$matrix_user_id" {
		t.Errorf("content %v", content)
	}
	ws := c.Widgets(room)
	if len(ws) != 1 || ws[0].Host != "w.example.org" || ws[0].Suspicious {
		t.Fatalf("widgets %+v", ws)
	}
	c.OpenWidget(room, ws[0].ID)
	if u := <-op.urls; u != "https://w.example.org/page?u=%40me%3Aexample.org" {
		t.Errorf("opened %s", u)
	}
	c.RemoveWidget(room, ws[0].ID)
	nextEvent[Status](t, ch, func(s Status) bool { return strings.HasPrefix(s.Text, "Removed") })
	if len(c.Widgets(room)) != 0 {
		t.Error("widget still listed")
	}
}

// waitFor waits until ok holds; 30 s leaves room for a loaded CI machine
// (the integration tests use it too).
func waitFor(t testing.TB, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// With lazy-loaded members the store may list only the user; the sync
// summary's count then decides that this is a conference room.
func TestSummaryCountWhenMembersAreLazy(t *testing.T) {
	f := newFake("@me:example.org")
	f.join(room, "@me:example.org")
	f.summary = 5
	op := newRecOpener(nil)
	c, _ := newTest(t, f, nil, op)
	c.Video(room)
	<-op.urls
	if len(f.sentStates()) != 1 {
		t.Errorf("sent %d widgets", len(f.sentStates()))
	}
}

// /addwidget with a conference URL on our Jitsi domain makes a Jitsi
// widget, as Element's parsePreferredConferenceUrl does.
func TestAddWidgetJitsiURL(t *testing.T) {
	f := newFake("@me:example.org")
	c, ch := newTest(t, f, nil, newRecOpener(nil))
	c.AddWidget(room, "https://jitsi.riot.im/OurConference")
	nextEvent[Status](t, ch, nil)
	sent := f.sentStates()
	if len(sent) != 1 {
		t.Fatalf("sent %+v", sent)
	}
	w := jitsi.Parse(sent[0].StateKey, "@me:example.org", sent[0].Content)
	if w.Jitsi == nil || w.Jitsi.Domain != "jitsi.riot.im" || w.Jitsi.ConferenceID != "OurConference" || w.Name != "Jitsi" || strings.Contains(w.URL, "?confId=") {
		t.Errorf("widget %+v", w)
	}
}

// wkFake fails its well-known reads on demand.
type wkFake struct {
	*fakeMatrix
	fail bool
}

func (w *wkFake) ClientWellKnown(ctx context.Context) (map[string]json.RawMessage, error) {
	if w.fail {
		return nil, errors.New("network down")
	}
	return w.fakeMatrix.ClientWellKnown(ctx)
}

// A failed refresh keeps the homeserver's domain instead of falling back.
func TestRefreshFailureKeepsWellKnownDomain(t *testing.T) {
	f := &wkFake{fakeMatrix: newFake("@me:example.org")}
	f.wellKnown = map[string]json.RawMessage{"im.vector.riot.jitsi": json.RawMessage(`{"preferredDomain":"hs.example.org"}`)}
	c := New(Options{Client: f, Config: testConfig(), Browser: newRecOpener(nil), HTTPClient: loopbackOnly()})
	if err := c.RefreshJitsi(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.fail = true
	if err := c.RefreshJitsi(context.Background()); err == nil {
		t.Fatal("no error")
	}
	if d := c.JitsiDomain(); d.Domain != "hs.example.org" || d.Source != jitsi.SourceWellKnownRiot {
		t.Errorf("domain %+v", d)
	}
}
