package calls

import (
	"encoding/base32"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls/browser"
	"github.com/termatrix/termatrix/calls/jitsi"
	"github.com/termatrix/termatrix/internal/teststack"
)

// joinParams parses a URL handed to the browser: https on the wrapper, no
// placeholder left, each parameter once.
func joinParams(t testing.TB, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("browser got an unparsable URL %q: %v", raw, err)
	}
	if u.Scheme != "https" || u.Host != "app.element.io" || u.Path != "/jitsi.html" || u.RawQuery != "" {
		t.Fatalf("browser got %q", raw)
	}
	if strings.Contains(u.EscapedFragment(), "$") {
		t.Fatalf("placeholder left in %q", raw)
	}
	v, err := url.ParseQuery(u.EscapedFragment())
	if err != nil {
		t.Fatal(err)
	}
	for k, vals := range v {
		if len(vals) != 1 {
			t.Fatalf("%s given %d times in %q", k, len(vals), raw)
		}
	}
	return v
}

// onlyWidget returns the room's single widget as the homeserver has it.
func onlyWidget(t testing.TB, u teststack.User, roomID id.RoomID) (string, map[string]any) {
	t.Helper()
	ws := widgetKeys(t, u, roomID)
	if len(ws) != 1 {
		t.Fatalf("%d widgets on the server, want 1: %v", len(ws), ws)
	}
	for k, c := range ws {
		return k, c
	}
	return "", nil
}

// TestVoiceAndVideoStartElementConferences: three users; voice and video
// each create Element's exact widget (read back from the homeserver) and
// open a fully filled jitsi.html URL; isAudioOnly differs.
func TestVoiceAndVideoStartElementConferences(t *testing.T) {
	st := stack.Get(t)
	for _, tc := range []struct {
		name  string
		video bool
	}{{"voice", false}, {"video", true}} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGroup(t, st)
			rec := newBrowserRecorder(t)
			client := liveClient(t, st, g.alice)
			ctl, events := controller(t, client, loadConfig(t, "", rec.cmd), nil, nil)
			waitMembers(t, client, g.roomID, 3)

			if tc.video {
				ctl.Video(g.roomID)
			} else {
				ctl.Voice(g.roomID)
			}
			raw := rec.waitOpened(t, 1)
			s := nextEvent[Status](t, events, nil)

			key, content := onlyWidget(t, g.bob, g.roomID)
			data, _ := content["data"].(map[string]any)
			confID, _ := data["conferenceId"].(string)
			if len(key) != 24 || jitsi.ValidateConferenceID(key) != nil || strings.ContainsAny(key, "-_.") {
				t.Errorf("widget ID %q", key)
			}
			if len(confID) != 29 || !strings.HasPrefix(confID, "Jitsi") {
				t.Errorf("conference ID %q", confID)
			}
			wantURL := "https://app.element.io/jitsi.html?confId=" + confID + "#conferenceDomain=$domain&conferenceId=$conferenceId&isAudioOnly=$isAudioOnly&startWithAudioMuted=$startWithAudioMuted&startWithVideoMuted=$startWithVideoMuted&isVideoChannel=$isVideoChannel&displayName=$matrix_display_name&avatarUrl=$matrix_avatar_url&userId=$matrix_user_id&roomId=$matrix_room_id&theme=$theme&roomName=$roomName&supportsScreensharing=true&language=$org.matrix.msc2873.client_language"
			want := map[string]any{
				"type": "jitsi",
				"name": "Jitsi",
				"url":  wantURL,
				"data": map[string]any{
					"conferenceId":   confID,
					"roomName":       "Team room",
					"isAudioOnly":    !tc.video,
					"isVideoChannel": false,
					"domain":         "jitsi.riot.im",
				},
			}
			gotJSON, _ := json.Marshal(content)
			wantJSON, _ := json.Marshal(want)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("widget content on the server\n got %s\nwant %s", gotJSON, wantJSON)
			}

			v := joinParams(t, raw)
			wantParams := map[string]string{
				"conferenceDomain": "jitsi.riot.im", "conferenceId": confID, "isAudioOnly": map[bool]string{true: "false", false: "true"}[tc.video],
				"isVideoChannel": "false", "displayName": aliceName, "avatarUrl": "", "userId": g.alice.UserID,
				"roomId": string(g.roomID), "theme": "dark", "roomName": "Team room", "supportsScreensharing": "true", "language": "en",
			}
			for k, w := range wantParams {
				if v.Get(k) != w {
					t.Errorf("%s = %q, want %q", k, v.Get(k), w)
				}
			}
			if len(v) != len(wantParams) {
				t.Errorf("params %v", v)
			}
			if want := "Opened Jitsi conference " + confID + " on jitsi.riot.im."; s.Text != want || s.Error {
				t.Errorf("status %+v, want %q", s, want)
			}
			t.Logf("%s: press to browser %v", tc.name, ctl.LastOpenLatency())
		})
	}
}

// TestDomainPrecedence: user config, io.element.jitsi, im.vector.riot.jitsi
// and the shipped default each win in turn, for /jitsi and for a new widget.
func TestDomainPrecedence(t *testing.T) {
	st := stack.Get(t)
	both := map[string]any{
		"m.homeserver":         map[string]any{"base_url": st.BaseURL},
		"io.element.jitsi":     map[string]any{"preferredDomain": "element-wk.example.org"},
		"im.vector.riot.jitsi": map[string]any{"preferredDomain": "riot-wk.example.org"},
	}
	riotOnly := map[string]any{
		"m.homeserver":         map[string]any{"base_url": st.BaseURL},
		"im.vector.riot.jitsi": map[string]any{"preferredDomain": "riot-wk.example.org"},
	}
	none := map[string]any{"m.homeserver": map[string]any{"base_url": st.BaseURL}}
	t.Cleanup(func() { _ = st.SetClientWellKnown(none) })
	cases := []struct {
		name, userFile string
		wk             map[string]any
		want           DomainChoice
	}{
		{"user config", `{"jitsi":{"preferred_domain":"mine.example.org"}}`, both, DomainChoice{"mine.example.org", jitsi.SourceUserConfig}},
		{"io.element.jitsi", "", both, DomainChoice{"element-wk.example.org", jitsi.SourceWellKnownElement}},
		{"im.vector.riot.jitsi", "", riotOnly, DomainChoice{"riot-wk.example.org", jitsi.SourceWellKnownRiot}},
		{"default", "", none, DomainChoice{"jitsi.riot.im", jitsi.SourceDefault}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := st.SetClientWellKnown(tc.wk); err != nil {
				t.Fatal(err)
			}
			g := newGroup(t, st)
			rec := newBrowserRecorder(t)
			client := liveClient(t, st, g.alice)
			ctl, _ := controller(t, client, loadConfig(t, tc.userFile, rec.cmd), nil, nil)
			if err := ctl.RefreshJitsi(ctxT(t)); err != nil {
				t.Fatal(err)
			}
			if got := ctl.JitsiDomain(); got != tc.want {
				t.Errorf("JitsiDomain = %+v, want %+v", got, tc.want)
			}
			waitMembers(t, client, g.roomID, 3)
			ctl.Video(g.roomID)
			raw := rec.waitOpened(t, 1)
			_, content := onlyWidget(t, g.bob, g.roomID)
			if d := content["data"].(map[string]any)["domain"]; d != tc.want.Domain {
				t.Errorf("widget domain %v, want %s", d, tc.want.Domain)
			}
			if d := joinParams(t, raw).Get("conferenceDomain"); d != tc.want.Domain {
				t.Errorf("opened on %s, want %s", d, tc.want.Domain)
			}
		})
	}
}

// TestJoinUsesWidgetDomain is the mobile bug: our preferred domain is A, a
// widget made by someone else is on B; joining opens B and adds nothing.
func TestJoinUsesWidgetDomain(t *testing.T) {
	st := stack.Get(t)
	g := newGroup(t, st)
	rec := newBrowserRecorder(t)
	client := liveClient(t, st, g.alice)
	ctl, events := controller(t, client, loadConfig(t, `{"jitsi":{"preferredDomain":"a.example.org"}}`, rec.cmd), nil, nil)
	waitMembers(t, client, g.roomID, 3)

	content, err := jitsi.NewContent("https://app.element.io/jitsi.html", jitsi.Conference{Domain: "b.example.org", ConferenceID: "JitsiBobsconferenceabcdefgh", RoomName: "Team room"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.bob.SendState(ctxT(t), string(g.roomID), WidgetEventType.Type, "bobwidget", content); err != nil {
		t.Fatal(err)
	}
	cc := nextEvent[ConferenceChanged](t, events, func(c ConferenceChanged) bool { return c.Conference != nil })
	if cc.Conference.Domain != "b.example.org" || cc.Conference.CreatorID != id.UserID(g.bob.UserID) || cc.Conference.WidgetID != "bobwidget" {
		t.Errorf("banner %+v", cc.Conference)
	}
	ctl.Video(g.roomID) // with a widget present, the video key joins it
	ctl.JoinConference(g.roomID)
	for i := 1; i <= 2; i++ {
		v := joinParams(t, rec.waitOpened(t, i))
		if v.Get("conferenceDomain") != "b.example.org" || v.Get("conferenceId") != "JitsiBobsconferenceabcdefgh" {
			t.Errorf("opened %v", v)
		}
	}
	if ws := widgetKeys(t, g.bob, g.roomID); len(ws) != 1 {
		t.Errorf("a second widget was added: %v", ws)
	}
}

// TestJoinWidgetShapes: widgets as Element web, Element Android and an
// integration manager's v1 URL make them all join the right conference.
func TestJoinWidgetShapes(t *testing.T) {
	st := stack.Get(t)
	g := newGroup(t, st)
	rec := newBrowserRecorder(t)
	client := liveClient(t, st, g.alice)
	ctl, _ := controller(t, client, loadConfig(t, "", rec.cmd), nil, nil)
	waitMembers(t, client, g.roomID, 3)
	shapes := []struct {
		name, key, content string
		domain, conf       string
	}{
		{"element web", "webwidgetid000000000000", `{"type":"jitsi","url":"https://app.element.io/jitsi.html?confId=JitsiWebabcdefghijklmnopqrs#conferenceDomain=$domain&conferenceId=$conferenceId&isAudioOnly=$isAudioOnly&isVideoChannel=$isVideoChannel&displayName=$matrix_display_name&avatarUrl=$matrix_avatar_url&userId=$matrix_user_id&roomId=$matrix_room_id&theme=$theme&roomName=$roomName&supportsScreensharing=true&language=$org.matrix.msc2873.client_language","name":"Jitsi","data":{"conferenceId":"JitsiWebabcdefghijklmnopqrs","roomName":"Team room","isAudioOnly":false,"isVideoChannel":false,"domain":"web.example.org"}}`, "web.example.org", "JitsiWebabcdefghijklmnopqrs"},
		{"element android", "m.jitsi_" + g.bob.UserID + "_1600000000000", `{"id":"m.jitsi_x","creatorUserId":"@someone:else","type":"jitsi","name":"jitsi","url":"https://app.element.io/jitsi.html?confId=roomabcdefgh#conferenceDomain=$domain&conferenceId=$conferenceId&isAudioOnly=$isAudioOnly&displayName=$matrix_display_name&avatarUrl=$matrix_avatar_url&userId=$matrix_user_id&roomId=$matrix_room_id&theme=$theme","data":{"domain":"android.example.org","conferenceId":"roomabcdefgh","isAudioOnly":true}}`, "android.example.org", "roomabcdefgh"},
		{"integration manager v1", "jitsi_" + g.bob.UserID + "_1500000000000", `{"type":"jitsi","url":"https://scalar.vector.im/api/widgets/jitsi.html?confId=JitsiConferenceLegacyOne&isAudioConf=false&displayName=$matrix_display_name&avatarUrl=$matrix_avatar_url&email=$matrix_user_id","name":"Jitsi Video Conference","data":{}}`, jitsi.LegacyDefaultDomain, "JitsiConferenceLegacyOne"},
	}
	for i, s := range shapes {
		// Each shape replaces the previous one (which is removed first).
		if i > 0 {
			if _, err := g.bob.SendState(ctxT(t), string(g.roomID), WidgetEventType.Type, shapes[i-1].key, map[string]any{}); err != nil {
				t.Fatal(err)
			}
		}
		var c map[string]any
		_ = json.Unmarshal([]byte(s.content), &c)
		if _, err := g.bob.SendState(ctxT(t), string(g.roomID), WidgetEventType.Type, s.key, c); err != nil {
			t.Fatal(err)
		}
		waitWidget(t, client, g.roomID, s.key, func(b []byte) bool { return len(b) > 2 })
		if i > 0 {
			waitWidget(t, client, g.roomID, shapes[i-1].key, func(b []byte) bool { return string(b) == "{}" })
		}
		if conf := ctl.Conference(g.roomID); conf == nil || conf.Domain != s.domain || conf.ConferenceID != s.conf || conf.CreatorID != id.UserID(g.bob.UserID) {
			t.Errorf("%s: conference %+v", s.name, conf)
		}
		ctl.JoinConference(g.roomID)
		v := joinParams(t, rec.waitOpened(t, i+1))
		if v.Get("conferenceDomain") != s.domain || v.Get("conferenceId") != s.conf {
			t.Errorf("%s: opened %v", s.name, v)
		}
	}
}

// TestOpenIDJWTConference: a Jitsi server whose /.well-known/element/jitsi
// says openidtoken-jwt gets the base32 conference ID and data.auth.
func TestOpenIDJWTConference(t *testing.T) {
	st := stack.Get(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/element/jitsi" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"auth":"openidtoken-jwt"}`))
	}))
	defer srv.Close()
	domain := strings.TrimPrefix(srv.URL, "https://")

	g := newGroup(t, st)
	rec := newBrowserRecorder(t)
	client := liveClient(t, st, g.alice)
	ctl, events := controller(t, client, loadConfig(t, `{"jitsi":{"preferredDomain":"`+domain+`"}}`, rec.cmd), nil, srv.Client())
	waitMembers(t, client, g.roomID, 3)
	ctl.Video(g.roomID)
	v := joinParams(t, rec.waitOpened(t, 1))
	s := nextEvent[Status](t, events, nil)

	wantID := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte(g.roomID))
	_, content := onlyWidget(t, g.bob, g.roomID)
	data := content["data"].(map[string]any)
	if data["conferenceId"] != wantID || data["auth"] != "openidtoken-jwt" || data["domain"] != domain {
		t.Errorf("data %v, want conference %s", data, wantID)
	}
	if u, _ := content["url"].(string); !strings.HasSuffix(u, "&auth=openidtoken-jwt") || !strings.Contains(u, "?confId="+wantID+"#") {
		t.Errorf("url %s", u)
	}
	if v.Get("conferenceId") != wantID || v.Get("auth") != "openidtoken-jwt" {
		t.Errorf("opened %v", v)
	}
	if !strings.Contains(s.Text, "openidtoken-jwt") {
		t.Errorf("the user is not told about auth: %q", s.Text)
	}
}

// TestHostileWidgetsNeverReachTheBrowser: bad URLs, bad domains and
// placeholder injection are refused (or encoded) and nothing unsafe opens.
func TestHostileWidgetsNeverReachTheBrowser(t *testing.T) {
	st := stack.Get(t)
	g := newGroup(t, st)
	rec := newBrowserRecorder(t)
	client := liveClient(t, st, g.alice)
	ctl, events := controller(t, client, loadConfig(t, "", rec.cmd), nil, nil)
	waitMembers(t, client, g.roomID, 3)
	hostile := map[string]string{
		"javascript": `{"type":"jitsi","url":"javascript:alert(1)","data":{"domain":"meet.example.org","conferenceId":"Abc"}}`,
		"file":       `{"type":"jitsi","url":"file:///etc/passwd","data":{"domain":"meet.example.org","conferenceId":"Abc"}}`,
		"slash":      `{"type":"jitsi","url":"https://a.org/j.html","data":{"domain":"evil.org/x","conferenceId":"Abc"}}`,
		"at":         `{"type":"jitsi","url":"https://a.org/j.html","data":{"domain":"meet.example.org@evil.org","conferenceId":"Abc"}}`,
		"space":      `{"type":"jitsi","url":"https://a.org/j.html","data":{"domain":"meet example.org","conferenceId":"Abc"}}`,
		"scheme":     `{"type":"jitsi","url":"https://a.org/j.html","data":{"domain":"https://evil.org","conferenceId":"Abc"}}`,
		"amp":        `{"type":"jitsi","url":"https://a.org/j.html","data":{"domain":"meet.example.org","conferenceId":"Abc&conferenceDomain=evil.org"}}`,
		"hash":       `{"type":"jitsi","url":"https://a.org/j.html","data":{"domain":"meet.example.org","conferenceId":"Abc#evil"}}`,
	}
	for name, raw := range hostile {
		var c map[string]any
		_ = json.Unmarshal([]byte(raw), &c)
		if _, err := g.bob.SendState(ctxT(t), string(g.roomID), WidgetEventType.Type, "hostile", c); err != nil {
			t.Fatal(err)
		}
		waitWidget(t, client, g.roomID, "hostile", func(b []byte) bool { return string(jsonCompact(b)) == string(jsonCompact([]byte(raw))) })
		conf := ctl.Conference(g.roomID)
		if conf == nil || !conf.Suspicious || conf.Reason == "" {
			t.Errorf("%s: not shown as suspicious: %+v", name, conf)
		}
		ctl.JoinConference(g.roomID)
		s := nextEvent[Status](t, events, nil)
		ctl.Voice(g.roomID)
		s2 := nextEvent[Status](t, events, nil)
		ctl.OpenWidget(g.roomID, "hostile")
		s3 := nextEvent[Status](t, events, nil)
		for _, s := range []Status{s, s2, s3} {
			if !s.Error || !strings.Contains(s.Text, "unsafe") {
				t.Errorf("%s: status %+v", name, s)
			}
		}
	}
	if rec.started() {
		t.Fatalf("hostile widgets reached the browser: %q", rec.opened())
	}
	if ws := widgetKeys(t, g.bob, g.roomID); len(ws) != 1 {
		t.Errorf("widgets %v", ws)
	}

	// Injection through encoded values: a room name with & and # stays one
	// parameter; the conference is unchanged.
	inj := map[string]any{"type": "jitsi", "url": "https://a.org/j.html", "data": map[string]any{
		"domain": "meet.example.org", "conferenceId": "Safe", "roomName": "x&conferenceDomain=evil.org#$matrix_user_id",
	}}
	if _, err := g.bob.SendState(ctxT(t), string(g.roomID), WidgetEventType.Type, "hostile", inj); err != nil {
		t.Fatal(err)
	}
	waitWidget(t, client, g.roomID, "hostile", func(b []byte) bool { return strings.Contains(string(b), "Safe") })
	ctl.JoinConference(g.roomID)
	v := joinParams(t, rec.waitOpened(t, 1))
	if v.Get("conferenceDomain") != "meet.example.org" || v.Get("conferenceId") != "Safe" || v.Get("roomName") != "x&conferenceDomain=evil.org#$matrix_user_id" || len(v) != 12 {
		t.Errorf("injection: %v", v)
	}
	// A custom widget with a javascript: URL cannot be opened either.
	if _, err := g.bob.SendState(ctxT(t), string(g.roomID), WidgetEventType.Type, "custom", map[string]any{"type": "m.custom", "url": "javascript:alert(1)", "name": "x"}); err != nil {
		t.Fatal(err)
	}
	waitWidget(t, client, g.roomID, "custom", func(b []byte) bool { return len(b) > 2 })
	ctl.OpenWidget(g.roomID, "custom")
	if s := nextEvent[Status](t, events, func(s Status) bool { return s.Error }); !strings.Contains(s.Text, "cannot be opened") {
		t.Errorf("custom: %+v", s)
	}
	time.Sleep(200 * time.Millisecond)
	if o := rec.opened(); len(o) != 1 {
		t.Errorf("opened %q", o)
	}
}

func jsonCompact(b []byte) []byte {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return b
	}
	out, _ := json.Marshal(v)
	return out
}

// TestSSHShowsLinkInstead: with SSH_CONNECTION set, the browser command is
// never run; the UI is asked to show the link, and OSC 52 encodes it.
func TestSSHShowsLinkInstead(t *testing.T) {
	st := stack.Get(t)
	g := newGroup(t, st)
	rec := newBrowserRecorder(t)
	client := liveClient(t, st, g.alice)
	ctl, events := controller(t, client, loadConfig(t, "", rec.cmd), map[string]string{"SSH_CONNECTION": "10.0.0.1 50000 10.0.0.2 22"}, nil)
	waitMembers(t, client, g.roomID, 3)
	ctl.Video(g.roomID)
	sl := nextEvent[ShowLink](t, events, nil)
	if !strings.Contains(sl.Reason, "SSH") || !strings.HasPrefix(sl.Title, "Jitsi conference Jitsi") {
		t.Errorf("%+v", sl)
	}
	v := joinParams(t, sl.URL)
	if v.Get("userId") != g.alice.UserID {
		t.Errorf("link %v", v)
	}
	osc := browser.OSC52(sl.URL)
	if !strings.HasPrefix(osc, "\x1b]52;c;") || !strings.HasSuffix(osc, "\a") || strings.ContainsAny(osc[7:len(osc)-1], "\x1b\a") {
		t.Errorf("OSC 52 %q", osc)
	}
	time.Sleep(300 * time.Millisecond)
	if rec.started() {
		t.Errorf("a browser was started over SSH: %q", rec.opened())
	}
}

// TestEndConference: ending sends {} on the same key; the banner goes and
// the timeline event reads as "ended".
func TestEndConference(t *testing.T) {
	st := stack.Get(t)
	g := newGroup(t, st)
	rec := newBrowserRecorder(t)
	client := liveClient(t, st, g.alice)
	ctl, events := controller(t, client, loadConfig(t, "", rec.cmd), nil, nil)
	updates, stop := client.Subscribe()
	defer stop()
	waitMembers(t, client, g.roomID, 3)
	ctl.Video(g.roomID)
	rec.waitOpened(t, 1)
	key, _ := onlyWidget(t, g.bob, g.roomID)
	waitWidget(t, client, g.roomID, key, func(b []byte) bool { return len(b) > 2 })

	ctl.EndConference(g.roomID)
	nextEvent[ConferenceChanged](t, events, func(c ConferenceChanged) bool { return c.Conference == nil })
	if c := serverState(t, g.bob, g.roomID, WidgetEventType.Type, key); len(c) != 0 {
		t.Errorf("server still has %v", c)
	}
	waitWidget(t, client, g.roomID, key, func(b []byte) bool { return string(b) == "{}" })
	if ctl.Conference(g.roomID) != nil {
		t.Error("conference still there")
	}
	// The timeline line for the removal.
	deadline := time.After(20 * time.Second)
	for {
		select {
		case u := <-updates:
			ta, ok := u.(matrixTimeline)
			if !ok {
				continue
			}
			for _, ev := range ta.Events {
				if ev.Type.Type == WidgetEventType.Type && ev.StateKey != nil && *ev.StateKey == key && string(ev.Content.VeryRaw) == "{}" {
					// Dendrite 0.13 sends no unsigned.prev_content for widget
					// events; the core fills it from the stored state.
					if ev.Unsigned.PrevContent == nil {
						t.Fatal("no prev_content on the removal")
					}
					prev := contentBytes(ev.Unsigned.PrevContent)
					if got := jitsi.Change(prev, contentBytes(&ev.Content)); got != jitsi.ChangeEnded {
						t.Errorf("timeline change %q (prev %s)", got, prev)
					}
					return
				}
			}
		case <-deadline:
			t.Fatal("no timeline event for the removal")
		}
	}
}

// TestOwnDuplicateRemoved: when alice's conference appears within 30 s
// after bob's (both pressed at once), alice's client removes its own, as
// Element does, and the banner shows bob's.
func TestOwnDuplicateRemoved(t *testing.T) {
	st := stack.Get(t)
	g := newGroup(t, st)
	rec := newBrowserRecorder(t)
	client := liveClient(t, st, g.alice)
	ctl, events := controller(t, client, loadConfig(t, "", rec.cmd), nil, nil)
	waitMembers(t, client, g.roomID, 3)
	bobs, _ := jitsi.NewContent("https://app.element.io/jitsi.html", jitsi.Conference{Domain: "meet.example.org", ConferenceID: "JitsiBobbbbbbbbbbbbbbbbbbbbb"})
	if _, err := g.bob.SendState(ctxT(t), string(g.roomID), WidgetEventType.Type, "bobs", bobs); err != nil {
		t.Fatal(err)
	}
	mine, _ := jitsi.NewContent("https://app.element.io/jitsi.html", jitsi.Conference{Domain: "meet.example.org", ConferenceID: "JitsiAliceeeeeeeeeeeeeeeeeee"})
	if _, err := g.alice.SendState(ctxT(t), string(g.roomID), WidgetEventType.Type, "alices", mine); err != nil {
		t.Fatal(err)
	}
	s := nextEvent[Status](t, events, nil)
	if !strings.Contains(s.Text, "yours was removed") {
		t.Errorf("status %+v", s)
	}
	ws := widgetKeys(t, g.bob, g.roomID)
	if len(ws["alices"]) != 0 || len(ws["bobs"]) == 0 {
		t.Errorf("widgets on the server %v", ws)
	}
	waitFor(t, func() bool { c := ctl.Conference(g.roomID); return c != nil && c.WidgetID == "bobs" })
}

// TestFailingBrowserShowsLink: a browser command that cannot start falls
// back to the link dialog, never to silence.
func TestFailingBrowserShowsLink(t *testing.T) {
	st := stack.Get(t)
	g := newGroup(t, st)
	client := liveClient(t, st, g.alice)
	ctl, events := controller(t, client, loadConfig(t, "", "/nonexistent/browser %s"), nil, nil)
	waitMembers(t, client, g.roomID, 3)
	ctl.Voice(g.roomID)
	sl := nextEvent[ShowLink](t, events, nil)
	if !strings.Contains(sl.Reason, "could not start") || joinParams(t, sl.URL).Get("isAudioOnly") != "true" {
		t.Errorf("%+v", sl)
	}
}
