package jitsi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// Shapes of Jitsi widgets found in rooms.
const (
	elementWebWidget = `{"type":"jitsi","url":"https://app.element.io/jitsi.html?confId=JitsiQwxyzabcdefghijklmnopqrs#conferenceDomain=$domain&conferenceId=$conferenceId&isAudioOnly=$isAudioOnly&startWithAudioMuted=$startWithAudioMuted&startWithVideoMuted=$startWithVideoMuted&isVideoChannel=$isVideoChannel&displayName=$matrix_display_name&avatarUrl=$matrix_avatar_url&userId=$matrix_user_id&roomId=$matrix_room_id&theme=$theme&roomName=$roomName&supportsScreensharing=true&language=$org.matrix.msc2873.client_language","name":"Jitsi","data":{"conferenceId":"JitsiQwxyzabcdefghijklmnopqrs","roomName":"Team room","isAudioOnly":false,"isVideoChannel":false,"domain":"meet.element.io"}}`
	androidWidget    = `{"id":"m.jitsi_@alice:example.org_1600000000000","creatorUserId":"@alice:example.org","type":"jitsi","name":"jitsi","url":"https://app.element.io/jitsi.html?confId=roomabcdefgh#conferenceDomain=$domain&conferenceId=$conferenceId&isAudioOnly=$isAudioOnly&displayName=$matrix_display_name&avatarUrl=$matrix_avatar_url&userId=$matrix_user_id&roomId=$matrix_room_id&theme=$theme","data":{"domain":"jitsi.android.example","conferenceId":"roomabcdefgh","isAudioOnly":true}}`
	imV1Widget       = `{"type":"jitsi","url":"https://scalar.vector.im/api/widgets/jitsi.html?confId=JitsiConferenceAbcDef&isAudioConf=false&displayName=$matrix_display_name&avatarUrl=$matrix_avatar_url&email=$matrix_user_id","name":"Jitsi Video Conference","data":{}}`
	fragmentWidget   = `{"type":"m.jitsi","url":"https://example.org/jitsi.html#conferenceDomain=jitsi.frag.example:8443&conferenceId=FragConf"}`
)

func TestParseShapes(t *testing.T) {
	cases := []struct {
		name, content        string
		domain, conf, source string
		audio                bool
	}{
		{"element web", elementWebWidget, "meet.element.io", "JitsiQwxyzabcdefghijklmnopqrs", "data", false},
		{"element android", androidWidget, "jitsi.android.example", "roomabcdefgh", "data", true},
		{"integration manager v1", imV1Widget, LegacyDefaultDomain, "JitsiConferenceAbcDef", "default", false},
		{"fragment params", fragmentWidget, "jitsi.frag.example:8443", "FragConf", "url", false},
	}
	for _, tc := range cases {
		w := Parse("wid", "@bob:example.org", []byte(tc.content))
		if !w.Active || !w.IsJitsi || w.Suspicious || w.Jitsi == nil {
			t.Fatalf("%s: %+v", tc.name, w)
		}
		if w.Jitsi.Domain != tc.domain || w.Jitsi.ConferenceID != tc.conf || w.Jitsi.DomainFrom != tc.source || w.Jitsi.IsAudioOnly != tc.audio {
			t.Errorf("%s: got %+v", tc.name, *w.Jitsi)
		}
		if w.Sender != "@bob:example.org" || w.ID != "wid" {
			t.Errorf("%s: creator/ID from the event, not the content: %+v", tc.name, w)
		}
	}
}

func TestParseRemovedAndOther(t *testing.T) {
	for _, c := range []string{`{}`, `{"type":"jitsi"}`, `{"url":"https://x.org"}`, `null`, `[]`, `not json`, `{"type":5,"url":true}`} {
		if w := Parse("k", "@a:b", []byte(c)); w.Active || w.Jitsi != nil {
			t.Errorf("%s: active %+v", c, w)
		}
	}
	w := Parse("k", "@a:b", []byte(`{"type":"m.custom","url":"https://example.org/w?x=$x","name":"Custom","data":{"x":"1","y":2}}`))
	if !w.Active || w.IsJitsi || w.Suspicious || len(w.Data) != 2 || w.Data[1] != (Var{"y", "2"}) {
		t.Errorf("custom widget: %+v", w)
	}
}

func TestParseHostile(t *testing.T) {
	cases := map[string]string{
		"javascript url":      `{"type":"jitsi","url":"javascript:alert(1)","data":{"domain":"meet.example.org","conferenceId":"Abc"}}`,
		"file url":            `{"type":"jitsi","url":"file:///etc/passwd","data":{"domain":"meet.example.org","conferenceId":"Abc"}}`,
		"domain with slash":   `{"type":"jitsi","url":"https://a.org/j.html","data":{"domain":"evil.org/x","conferenceId":"Abc"}}`,
		"domain with at":      `{"type":"jitsi","url":"https://a.org/j.html","data":{"domain":"meet.example.org@evil.org","conferenceId":"Abc"}}`,
		"domain with space":   `{"type":"jitsi","url":"https://a.org/j.html","data":{"domain":"meet example.org","conferenceId":"Abc"}}`,
		"domain with scheme":  `{"type":"jitsi","url":"https://a.org/j.html","data":{"domain":"https://evil.org","conferenceId":"Abc"}}`,
		"domain with hash":    `{"type":"jitsi","url":"https://a.org/j.html","data":{"domain":"evil.org#x","conferenceId":"Abc"}}`,
		"overlong domain":     `{"type":"jitsi","url":"https://a.org/j.html","data":{"domain":"` + strings.Repeat("a", 300) + `","conferenceId":"Abc"}}`,
		"conf id with amp":    `{"type":"jitsi","url":"https://a.org/j.html","data":{"domain":"meet.example.org","conferenceId":"Abc&userId=@evil:x"}}`,
		"conf id with hash":   `{"type":"jitsi","url":"https://a.org/j.html","data":{"domain":"meet.example.org","conferenceId":"Abc#x"}}`,
		"no conf id":          `{"type":"jitsi","url":"https://a.org/j.html","data":{"domain":"meet.example.org"}}`,
		"auth injection":      `{"type":"jitsi","url":"https://a.org/j.html","data":{"domain":"meet.example.org","conferenceId":"Abc","auth":"x&y"}}`,
		"userinfo url":        `{"type":"jitsi","url":"https://u:p@a.org/j.html","data":{"domain":"meet.example.org","conferenceId":"Abc"}}`,
		"url domain fallback": `{"type":"jitsi","url":"https://a.org/j.html?confId=Abc&conferenceDomain=evil.org%2Fpath"}`,
		"port out of range":   `{"type":"jitsi","url":"https://a.org/j.html","data":{"domain":"meet.example.org:99999","conferenceId":"Abc"}}`,
	}
	for name, c := range cases {
		w := Parse("k", "@a:b", []byte(c))
		if !w.Suspicious || w.Reason == "" || w.Jitsi != nil {
			t.Errorf("%s: not suspicious: %+v", name, w)
		}
	}
}

func TestValidateDomain(t *testing.T) {
	for _, ok := range []string{"meet.element.io", "localhost", "127.0.0.1:8443", "a-b.example.org:1", "X.Y"} {
		if err := ValidateDomain(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a/b", "a@b", "a b", "https://a", "a:", "a:0", "a:65536", "a:1x", ":80", "a..b", ".a", "-a.b", "a.b-", "[::1]:80", "a\tb", "a?b", "a#b", "ä.org", "a:+80"} {
		if err := ValidateDomain(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for in, want := range map[string]string{"https://meet.example.org/": "meet.example.org", " HTTP://a.b:8443 ": "a.b:8443", "a.b": "a.b"} {
		if got, err := NormalizeDomain(in); err != nil || got != want {
			t.Errorf("NormalizeDomain(%q) = %q, %v", in, got, err)
		}
	}
}

func TestIDs(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		id := NewConferenceID("!room:example.org", "")
		if len(id) != 29 || !strings.HasPrefix(id, "Jitsi") || id[5] < 'A' || id[5] > 'Z' || strings.ToLower(id[6:]) != id[6:] || seen[id] {
			t.Fatalf("conference ID %q", id)
		}
		for _, c := range id[6:] {
			if c < 'a' || c > 'z' {
				t.Fatalf("conference ID %q", id)
			}
		}
		seen[id] = true
		w := NewWidgetID()
		if len(w) != 24 || !safeToken(w) || strings.ContainsAny(w, "-_.") || seen[w] {
			t.Fatalf("widget ID %q", w)
		}
		seen[w] = true
	}
	// base32 (RFC 4648, no padding) of the room ID, as base32.stringify(..., {pad:false}).
	if got := NewConferenceID("!abc:x.org", AuthOpenIDJWT); got != "EFQWEYZ2PAXG64TH" {
		t.Errorf("base32 conference ID = %q", got)
	}
}

func TestNewContentIsElementShape(t *testing.T) {
	c, err := NewContent("https://app.element.io/jitsi.html", Conference{Domain: "meet.example.org", ConferenceID: "JitsiAbcdefghijklmnopqrstuvw", RoomName: "Team room", IsAudioOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(c)
	b := bytes.TrimSpace(buf.Bytes())
	want := `{"type":"jitsi","url":"https://app.element.io/jitsi.html?confId=JitsiAbcdefghijklmnopqrstuvw#conferenceDomain=$domain&conferenceId=$conferenceId&isAudioOnly=$isAudioOnly&startWithAudioMuted=$startWithAudioMuted&startWithVideoMuted=$startWithVideoMuted&isVideoChannel=$isVideoChannel&displayName=$matrix_display_name&avatarUrl=$matrix_avatar_url&userId=$matrix_user_id&roomId=$matrix_room_id&theme=$theme&roomName=$roomName&supportsScreensharing=true&language=$org.matrix.msc2873.client_language","name":"Jitsi","data":{"conferenceId":"JitsiAbcdefghijklmnopqrstuvw","roomName":"Team room","isAudioOnly":true,"isVideoChannel":false,"domain":"meet.example.org"}}`
	if string(b) != want {
		t.Errorf("content\n got %s\nwant %s", b, want)
	}
	c, _ = NewContent("https://app.element.io/jitsi.html", Conference{Domain: "meet.example.org", ConferenceID: "EFQWEYZ2PAXG64TH", Auth: AuthOpenIDJWT})
	if c.Data.Auth != AuthOpenIDJWT || !strings.HasSuffix(c.URL, "&auth=openidtoken-jwt") {
		t.Errorf("auth content %+v", c)
	}
	// What we send parses back to the same conference.
	b, _ = json.Marshal(c)
	if w := Parse("k", "@a:b", b); w.Jitsi == nil || w.Jitsi.ConferenceID != "EFQWEYZ2PAXG64TH" || w.Jitsi.Auth != AuthOpenIDJWT {
		t.Errorf("round trip %+v", w)
	}
	if _, err := NewContent("http://app.element.io/jitsi.html", Conference{Domain: "a.b", ConferenceID: "X"}); err == nil {
		t.Error("http wrapper accepted")
	}
}

func TestChange(t *testing.T) {
	started := []byte(elementWebWidget)
	if got := Change(nil, started); got != ChangeStarted {
		t.Errorf("started: %q", got)
	}
	if got := Change(started, started); got != ChangeUpdated {
		t.Errorf("updated: %q", got)
	}
	if got := Change(started, []byte(`{}`)); got != ChangeEnded {
		t.Errorf("ended: %q", got)
	}
	if got := Change(nil, []byte(`{"type":"m.custom","url":"https://a.b"}`)); got != "" {
		t.Errorf("custom: %q", got)
	}
}
