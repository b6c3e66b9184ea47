package jitsi

import "testing"

// The expected values are what encodeURIComponent returns in a browser.
func TestEncodeURIComponentMatchesJavaScript(t *testing.T) {
	cases := map[string]string{
		"":                       "",
		"abcXYZ019-_.!~*'()":     "abcXYZ019-_.!~*'()",
		" ":                      "%20",
		"a b&c=d#e?f/g":          "a%20b%26c%3Dd%23e%3Ff%2Fg",
		"@alice:example.org":     "%40alice%3Aexample.org",
		"!room:server":           "!room%3Aserver",
		"$matrix_user_id":        "%24matrix_user_id",
		"+,;":                    "%2B%2C%3B",
		"é":                      "%C3%A9",
		"日本":                     "%E6%97%A5%E6%9C%AC",
		"😀":                      "%F0%9F%98%80",
		"\n\t\x00\x7f":           "%0A%09%00%7F",
		"%":                      "%25",
		"[]{}|\\^`\"<>":          "%5B%5D%7B%7D%7C%5C%5E%60%22%3C%3E",
		"https://a.b/c?d=e#f":    "https%3A%2F%2Fa.b%2Fc%3Fd%3De%23f",
		"\xff":                   "%EF%BF%BD", // invalid UTF-8 becomes U+FFFD
		"Team room (öffentlich)": "Team%20room%20(%C3%B6ffentlich)",
	}
	for in, want := range cases {
		if got := EncodeURIComponent(in); got != want {
			t.Errorf("EncodeURIComponent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFillTemplate(t *testing.T) {
	got, err := FillTemplate("a=$a&ab=$ab&u=$matrix_user_id&x=$unknown", []Var{
		{"a", "1&2"}, {"ab", "never"}, {"matrix_user_id", "@u:s"}, {"", "everything"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Plain substring replacement, as runTemplate: $a also matches the start of $ab.
	want := "a=1%262&ab=1%262b&u=%40u%3As&x=$unknown"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// A value cannot create a placeholder for a later variable.
	got, _ = FillTemplate("$a|$b", []Var{{"a", "$b"}, {"b", "X"}})
	if got != "%24b|X" {
		t.Errorf("got %q", got)
	}
}

func TestFillTemplateBounded(t *testing.T) {
	tmpl := ""
	for i := 0; i < 1000; i++ {
		tmpl += "$a"
	}
	big := make([]byte, 1000)
	for i := range big {
		big[i] = '#'
	}
	if _, err := FillTemplate(tmpl, []Var{{"a", string(big)}}); err != ErrTooLong {
		t.Errorf("err = %v, want ErrTooLong", err)
	}
}
