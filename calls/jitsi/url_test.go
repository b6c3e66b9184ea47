package jitsi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

var testUser = User{
	UserID:      "@alice:example.org",
	DisplayName: "Alice & Bob #1 $matrix_user_id",
	AvatarURL:   "https://hs.example.org/_matrix/media/v3/download/example.org/abc",
	RoomID:      "!room:example.org",
	Theme:       "light",
	Language:    "de",
}

// fragmentParams parses a jitsi.html URL's fragment as the page does
// (URLSearchParams) and checks that no placeholder is left.
func fragmentParams(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "https" {
		t.Fatalf("not https: %s", raw)
	}
	if strings.Contains(u.EscapedFragment(), "$") {
		t.Fatalf("placeholder left in %s", raw)
	}
	v, err := url.ParseQuery(u.EscapedFragment())
	if err != nil {
		t.Fatal(err)
	}
	for k, vals := range v {
		if len(vals) != 1 {
			t.Fatalf("param %s appears %d times", k, len(vals))
		}
	}
	return v
}

func TestJoinURLFillsEveryPlaceholder(t *testing.T) {
	w := Parse("wid", "@bob:example.org", []byte(elementWebWidget))
	raw, err := JoinURL("https://app.element.io/jitsi.html", *w.Jitsi, testUser, "ignored: data has a room name")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(raw, "https://app.element.io/jitsi.html#conferenceDomain=meet.element.io&conferenceId=JitsiQwxyzabcdefghijklmnopqrs&") {
		t.Errorf("url %s", raw)
	}
	v := fragmentParams(t, raw)
	want := map[string]string{
		"conferenceDomain":      "meet.element.io",
		"conferenceId":          "JitsiQwxyzabcdefghijklmnopqrs",
		"isAudioOnly":           "false",
		"isVideoChannel":        "false",
		"displayName":           testUser.DisplayName,
		"avatarUrl":             testUser.AvatarURL,
		"userId":                "@alice:example.org",
		"roomId":                "!room:example.org",
		"theme":                 "light",
		"roomName":              "Team room",
		"supportsScreensharing": "true",
		"language":              "de",
	}
	for k, wv := range want {
		if v.Get(k) != wv {
			t.Errorf("%s = %q, want %q", k, v.Get(k), wv)
		}
	}
	if len(v) != len(want) {
		t.Errorf("params %v", v)
	}
	// Encoded exactly as encodeURIComponent.
	if !strings.Contains(raw, "&displayName=Alice%20%26%20Bob%20%231%20%24matrix_user_id&") {
		t.Errorf("display name encoding in %s", raw)
	}
}

func TestJoinURLDefaultsAndAuth(t *testing.T) {
	c := Conference{Domain: "jitsi.example.org:8443", ConferenceID: "EFQWEYZ2PAXG64TH", IsAudioOnly: true, Auth: AuthOpenIDJWT}
	raw, err := JoinURL("https://wrapper.example.org/element/jitsi.html?x=1#old", c, User{UserID: "@a:b", RoomID: "!r:b"}, "Room ?&#")
	if err != nil {
		t.Fatal(err)
	}
	v := fragmentParams(t, raw)
	if v.Get("displayName") != "@a:b" || v.Get("theme") != "dark" || v.Get("language") != "en" || v.Get("auth") != AuthOpenIDJWT ||
		v.Get("roomName") != "Room ?&#" || v.Get("isAudioOnly") != "true" || v.Get("conferenceDomain") != "jitsi.example.org:8443" {
		t.Errorf("params %v", v)
	}
	if !strings.HasPrefix(raw, "https://wrapper.example.org/element/jitsi.html#") {
		t.Errorf("base query/fragment kept: %s", raw)
	}
	for _, bad := range []string{"http://a.b/jitsi.html", "javascript:alert(1)", "file:///x", "https:///x", "https://u@a.b/x", "//a.b/x"} {
		if _, err := JoinURL(bad, c, User{}, ""); err == nil {
			t.Errorf("wrapper %q accepted", bad)
		}
	}
}

func TestWidgetURL(t *testing.T) {
	w := Parse("w1", "@a:b", []byte(`{"type":"m.custom","url":"https://w.example.org/p?u=$matrix_user_id&x=$x&id=$matrix_widget_id&n=$nope","data":{"x":"a&b#c","matrix_user_id":"@evil:x"}}`))
	raw, err := WidgetURL(w, User{UserID: "@alice:example.org"})
	if err != nil {
		t.Fatal(err)
	}
	// data cannot override the client's own values; every value is encoded.
	want := "https://w.example.org/p?u=%40alice%3Aexample.org&x=a%26b%23c&id=w1&n=$nope"
	if raw != want {
		t.Errorf("got %s\nwant %s", raw, want)
	}
	for _, bad := range []string{
		`{"type":"m.custom","url":"javascript:alert(1)"}`,
		`{"type":"m.custom","url":"file:///etc/passwd"}`,
		`{"type":"m.custom","url":"http://plain.example.org/"}`,
		`{"type":"m.custom","url":"$x","data":{"x":"https://evil.org"}}`,
	} {
		if u, err := WidgetURL(Parse("k", "@a:b", []byte(bad)), User{}); err == nil {
			t.Errorf("%s gave %s", bad, u)
		}
	}
}

func TestChooseDomainPrecedence(t *testing.T) {
	wk := func(s string) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	both := wk(`{"io.element.jitsi":{"preferredDomain":"new.example.org"},"im.vector.riot.jitsi":{"preferredDomain":"old.example.org"}}`)
	riot := wk(`{"im.vector.riot.jitsi":{"preferredDomain":"https://old.example.org/"}}`)
	cases := []struct {
		user string
		wk   map[string]json.RawMessage
		want DomainChoice
	}{
		{"mine.example.org", both, DomainChoice{"mine.example.org", SourceUserConfig}},
		{"", both, DomainChoice{"new.example.org", SourceWellKnownElement}},
		{"", riot, DomainChoice{"old.example.org", SourceWellKnownRiot}},
		{"", nil, DomainChoice{"jitsi.riot.im", SourceDefault}},
		{"", wk(`{"io.element.jitsi":{"preferredDomain":"evil.org/x"},"im.vector.riot.jitsi":{"preferredDomain":"ok.org"}}`), DomainChoice{"ok.org", SourceWellKnownRiot}},
		{"bad domain", wk(`{"io.element.jitsi":5}`), DomainChoice{"jitsi.riot.im", SourceDefault}},
	}
	for i, tc := range cases {
		if got, _ := ChooseDomain(tc.user, tc.wk, "jitsi.riot.im"); got != tc.want {
			t.Errorf("%d: got %+v, want %+v", i, got, tc.want)
		}
	}
}

func TestAuthChecker(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/.well-known/element/jitsi" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"auth":"openidtoken-jwt"}`))
	}))
	defer srv.Close()
	domain := strings.TrimPrefix(srv.URL, "https://")
	a := &AuthChecker{Client: srv.Client()}
	for i := 0; i < 3; i++ {
		got, err := a.Auth(context.Background(), domain)
		if err != nil || got != AuthOpenIDJWT {
			t.Fatalf("auth = %q, %v", got, err)
		}
	}
	if hits.Load() != 1 {
		t.Errorf("%d lookups, want 1 (cached)", hits.Load())
	}
	none := httptest.NewTLSServer(http.NotFoundHandler())
	defer none.Close()
	if got, err := (&AuthChecker{Client: none.Client()}).Auth(context.Background(), strings.TrimPrefix(none.URL, "https://")); got != "" || err != nil {
		t.Errorf("404: %q, %v", got, err)
	}
	if _, err := a.Auth(context.Background(), "evil.org/x"); err == nil {
		t.Error("bad domain looked up")
	}
}
