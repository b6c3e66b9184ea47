package jitsi

import (
	"net/url"
	"strings"
	"testing"
)

const fuzzWrapper = "https://app.element.io/jitsi.html"

// checkJoinURL asserts what every URL handed to a browser must be.
func checkJoinURL(t *testing.T, raw string, c Conference) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("unparsable %q: %v", raw, err)
	}
	if u.Scheme != "https" || u.Host != "app.element.io" || u.User != nil || u.RawQuery != "" {
		t.Fatalf("bad URL %q", raw)
	}
	v, err := url.ParseQuery(u.EscapedFragment())
	if err != nil {
		t.Fatalf("fragment of %q: %v", raw, err)
	}
	want := 12
	if c.Auth != "" {
		want++
	}
	if len(v) != want {
		t.Fatalf("%d params (injection?) in %q", len(v), raw)
	}
	for k, vals := range v {
		if len(vals) != 1 {
			t.Fatalf("param %s repeated in %q", k, raw)
		}
	}
	if v.Get("conferenceDomain") != c.Domain || v.Get("conferenceId") != c.ConferenceID {
		t.Fatalf("conference changed in %q", raw)
	}
	if ValidateDomain(v.Get("conferenceDomain")) != nil || strings.ContainsAny(v.Get("conferenceDomain"), "/@ #?") {
		t.Fatalf("bad domain in %q", raw)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{elementWebWidget, androidWidget, imV1Widget, fragmentWidget, `{}`, `{"type":"jitsi","url":"javascript:x","data":{"domain":"a/b"}}`,
		`{"type":"jitsi","url":"https://a.b/?confId=x%26y&conferenceDomain=a.b%23c"}`} {
		f.Add([]byte(s), "Alice & $matrix_user_id", "Room #1")
	}
	f.Fuzz(func(t *testing.T, content []byte, name, room string) {
		w := Parse("k", "@a:b", content)
		if w.Jitsi != nil && w.Suspicious {
			t.Fatal("suspicious widget with a conference")
		}
		if w.Jitsi != nil {
			raw, err := JoinURL(fuzzWrapper, *w.Jitsi, User{UserID: "@a:b", DisplayName: name, RoomID: "!r:b"}, room)
			if err != nil {
				if err == ErrTooLong {
					return
				}
				t.Fatalf("valid widget gave no URL: %v", err)
			}
			checkJoinURL(t, raw, *w.Jitsi)
		}
		if w.Active && !w.IsJitsi && !w.Suspicious {
			if raw, err := WidgetURL(w, User{UserID: "@a:b", DisplayName: name}); err == nil {
				if u, err := url.Parse(raw); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
					t.Fatalf("widget URL %q", raw)
				}
			}
		}
	})
}

func FuzzJoinURL(f *testing.F) {
	f.Add("meet.element.io", "JitsiAbc", "Alice", "@a:b", "!r:b", "https://hs/x", "Room", "")
	f.Add("a.b:8443", "EFQWEYZ2", "x&conferenceDomain=evil.org#", "@a:b", "!r:b", "", "$domain", AuthOpenIDJWT)
	f.Add("evil.org/x", "a#b", "", "", "", "", "", "x&y")
	f.Fuzz(func(t *testing.T, domain, conf, name, user, room, avatar, roomName, auth string) {
		c := Conference{Domain: domain, ConferenceID: conf, RoomName: roomName, Auth: auth}
		raw, err := JoinURL(fuzzWrapper, c, User{UserID: user, DisplayName: name, RoomID: room, AvatarURL: avatar}, "")
		if err != nil {
			return
		}
		checkJoinURL(t, raw, c)
		v, _ := url.Parse(raw)
		q, _ := url.ParseQuery(v.EscapedFragment())
		wantName := name
		if wantName == "" {
			wantName = user
		}
		if q.Get("displayName") != strings.ToValidUTF8(wantName, "\uFFFD") {
			t.Fatalf("display name %q came back as %q", wantName, q.Get("displayName"))
		}
	})
}

func FuzzEncodeURIComponent(f *testing.F) {
	f.Add("a b&c=d#e")
	f.Add("😀\xff")
	f.Fuzz(func(t *testing.T, s string) {
		enc := EncodeURIComponent(s)
		for i := 0; i < len(enc); i++ {
			if c := enc[i]; c != '%' && !uriUnreserved(c) {
				t.Fatalf("%q left %q", s, c)
			}
		}
		dec, err := url.PathUnescape(enc)
		if err != nil || dec != strings.ToValidUTF8(s, "\uFFFD") {
			t.Fatalf("%q → %q → %q, %v", s, enc, dec, err)
		}
	})
}
