package jitsi

import (
	"net/url"
	"strings"
	"testing"
)

func TestCleanURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://example.org", "https://example.org/"},
		{"https://example.org/a b/<x>?q=\"1\" 2&r={|}#f g^`", "https://example.org/a%20b/%3Cx%3E?q=%221%22%202&r=%7B%7C%7D#f%20g%5E%60"},
		{"HTTPS://Example.ORG:8443/p%2fq?x=%e2%82%ac", "https://example.org:8443/p%2Fq?x=%E2%82%AC"},
		{"https://example.org/a\\b", "https://example.org/a%5Cb"},
		{"https://example.org/?x=%zz&y=100%", "https://example.org/?x=%25zz&y=100%25"},
		{"https://bücher.example/straße?ö=1", "https://xn--bcher-kva.example/stra%C3%9Fe?%C3%B6=1"},
		{"https://[::1]:8080/x", "https://[::1]:8080/x"},
		{"https://127.0.0.1/x", "https://127.0.0.1/x"},
		{"https://example.org/#a#b", "https://example.org/#a%23b"},
		{"https://example.org/?", "https://example.org/?"},
		{"https://example.org/widget?id=$matrix_user_id&x='y'(z)!*;,=:@/?", "https://example.org/widget?id=$matrix_user_id&x='y'(z)!*;,=:@/?"},
	} {
		got, err := CleanURL(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("CleanURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{
		"http://example.org/",
		"javascript:alert(1)",
		"https:example.org",
		"https://user:pw@example.org/",
		"https://evil.org\\@good.org/",
		"https://a_b.example/",
		"https://0x7f.1/",
		"https://010.0.0.1/",
		"https://example.org:0/",
		"https://example.org:99999/",
		"https://[fe80::1%25eth0]/",
		"https:///path",
		"https://exa mple.org/",
		"https://example.org/\x1b[31m",
		"//example.org/",
		"https://" + strings.Repeat("a", MaxURLLength),
	} {
		if got, err := CleanURL(bad); err == nil {
			t.Errorf("CleanURL(%q) = %q, want an error", bad, got)
		}
	}
}

// TestWidgetURLIsRebuilt: a custom widget's URL reaches the browser
// rebuilt and encoded, not as the room wrote it.
func TestWidgetURLIsRebuilt(t *testing.T) {
	w := Widget{ID: "w1", Active: true, URL: `https://Example.org/w?a=<b>&name=$matrix_display_name&note="hi there"`}
	got, err := WidgetURL(w, User{UserID: "@a:b", DisplayName: "A & B"})
	if err != nil {
		t.Fatal(err)
	}
	want := "https://example.org/w?a=%3Cb%3E&name=A%20%26%20B&note=%22hi%20there%22"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	w.URL = "http://example.org/w"
	if _, err := WidgetURL(w, User{}); err == nil {
		t.Fatal("an http widget URL was accepted")
	}
}

// safeURLByte is every byte a cleaned URL may hold.
func safeURLByte(c byte) bool {
	return c > ' ' && c < 0x7f && !strings.ContainsRune("\"<>\\^`{|} ", rune(c))
}

func FuzzCleanURL(f *testing.F) {
	for _, s := range []string{
		"https://example.org/a b?c=d#e", "https://bücher.example/ö?ä#ü", "https://[::1]:443/",
		"https://example.org/%2F%zz?%", "https://a.b/$matrix_user_id?x=$org.matrix.msc2873.client_id",
		"https://evil.org\\@good.org/", "https://0x7f.1/", "https://u@h/", "https://h:65535/#%23#",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		out, err := CleanURL(raw)
		if err != nil {
			return
		}
		for i := 0; i < len(out); i++ {
			if !safeURLByte(out[i]) {
				t.Fatalf("%q → %q holds %q", raw, out, out[i])
			}
		}
		again, err := CleanURL(out)
		if err != nil || again != out {
			t.Fatalf("not idempotent: %q → %q → %q, %v", raw, out, again, err)
		}
		in, _ := url.Parse(raw)
		u, err := url.Parse(out)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Opaque != "" {
			t.Fatalf("%q → %q: %+v, %v", raw, out, u, err)
		}
		if in.Path != u.Path && !(in.Path == "" && u.Path == "/") {
			t.Fatalf("path changed: %q → %q", in.Path, u.Path)
		}
		if in.Fragment != u.Fragment {
			t.Fatalf("fragment changed: %q → %q", in.Fragment, u.Fragment)
		}
		if q, err := url.PathUnescape(in.RawQuery); err == nil {
			if q2, err := url.PathUnescape(u.RawQuery); err != nil || q2 != q {
				t.Fatalf("query changed: %q → %q", in.RawQuery, u.RawQuery)
			}
		}
		if !strings.EqualFold(in.Port(), u.Port()) {
			t.Fatalf("port changed: %q → %q", in.Port(), u.Port())
		}
	})
}
