package browser

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const testURL = "https://app.element.io/jitsi.html#conferenceDomain=a.b&displayName=A%20%26%20B"

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// recorder writes a script that appends its arguments, one per line, to a file.
func recorder(t *testing.T, exit int) (script, out string) {
	t.Helper()
	dir := t.TempDir()
	out = filepath.Join(dir, "opened")
	script = filepath.Join(dir, "browser.sh")
	body := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> '" + out + "'; done\nexit " + string(rune('0'+exit)) + "\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, out
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestCommandArgs(t *testing.T) {
	cases := []struct {
		cmd  string
		want []string
	}{
		{"firefox %s", []string{"firefox", testURL}},
		{"firefox", []string{"firefox", testURL}},
		{"'/opt/my browser/bin' --new-tab %s", []string{"/opt/my browser/bin", "--new-tab", testURL}},
		{`chromium "--app=%s" 100%%`, []string{"chromium", "--app=" + testURL, "100%"}},
		{`a\ b %s`, []string{"a b", testURL}},
	}
	for _, tc := range cases {
		got, err := CommandArgs(tc.cmd, testURL)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %q, %v", tc.cmd, got, err)
		}
	}
	for _, bad := range []string{"", "  ", `"unterminated %s`} {
		if _, err := CommandArgs(bad, testURL); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// A URL with shell metacharacters stays one argument.
	got, _ := CommandArgs("x %s", "https://a.b/;rm -rf ~;$(id)`id`")
	if len(got) != 2 || got[1] != "https://a.b/;rm -rf ~;$(id)`id`" {
		t.Errorf("got %q", got)
	}
}

func TestOpenRunsCommandWithURLAsOneArgument(t *testing.T) {
	script, out := recorder(t, 0)
	s := New(Options{Setting: script + " --flag %s", Env: envOf(nil), GOOS: "linux"})
	if err := s.Open(context.Background(), testURL); err != nil {
		t.Fatal(err)
	}
	if got := readLines(t, out); !reflect.DeepEqual(got, []string{"--flag", testURL}) {
		t.Errorf("browser got %q", got)
	}
}

func TestOpenHonoursBROWSERList(t *testing.T) {
	script, out := recorder(t, 0)
	s := New(Options{Env: envOf(map[string]string{"BROWSER": "/nonexistent/browser:" + script + " %s"}), GOOS: "linux"})
	if err := s.Open(context.Background(), testURL); err != nil {
		t.Fatal(err)
	}
	if got := readLines(t, out); !reflect.DeepEqual(got, []string{testURL}) {
		t.Errorf("browser got %q", got)
	}
}

func TestOpenRefusesAndExplains(t *testing.T) {
	script, out := recorder(t, 0)
	cases := []struct {
		name    string
		opts    Options
		url     string
		reason  string
		notHTTP bool
	}{
		{"ssh connection", Options{Setting: script, Env: envOf(map[string]string{"SSH_CONNECTION": "10.0.0.1 5 10.0.0.2 22", "DISPLAY": ":0"})}, testURL, "SSH", false},
		{"ssh tty", Options{Env: envOf(map[string]string{"SSH_TTY": "/dev/pts/1", "BROWSER": script})}, testURL, "SSH", false},
		{"none", Options{Setting: "none", Env: envOf(map[string]string{"DISPLAY": ":0"})}, testURL, `"none"`, false},
		{"no display", Options{Env: envOf(nil), GOOS: "linux"}, testURL, "display", false},
		{"http", Options{Setting: script, Env: envOf(nil)}, "http://a.b/", "", true},
		{"javascript", Options{Setting: script, Env: envOf(nil)}, "javascript:alert(1)", "", true},
		{"file", Options{Setting: script, Env: envOf(nil)}, "file:///etc/passwd", "", true},
	}
	for _, tc := range cases {
		err := New(tc.opts).Open(context.Background(), tc.url)
		if tc.notHTTP {
			if !errors.Is(err, ErrNotHTTPS) {
				t.Errorf("%s: err %v", tc.name, err)
			}
			continue
		}
		var nl *NotLaunchedError
		if !errors.As(err, &nl) || !errors.Is(err, ErrNotLaunched) || !strings.Contains(nl.Reason, tc.reason) {
			t.Errorf("%s: err %v", tc.name, err)
		}
	}
	if got := readLines(t, out); got != nil {
		t.Errorf("a browser was started: %q", got)
	}
}

func TestFailingBrowserIsReported(t *testing.T) {
	script, _ := recorder(t, 3)
	for _, opts := range []Options{
		{Setting: script, Env: envOf(nil)},
		{Setting: "/nonexistent/browser %s", Env: envOf(nil)},
		{Env: envOf(map[string]string{"BROWSER": "/nonexistent/a:" + script})},
	} {
		err := New(opts).Open(context.Background(), testURL)
		if !errors.Is(err, ErrNotLaunched) {
			t.Errorf("%+v: err %v", opts.Setting, err)
		}
	}
}

func TestLongRunningBrowserCountsAsLaunched(t *testing.T) {
	script := filepath.Join(t.TempDir(), "b.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nsleep 5\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := New(Options{Setting: script, Env: envOf(nil), Grace: 100 * time.Millisecond})
	start := time.Now()
	if err := s.Open(context.Background(), testURL); err != nil {
		t.Fatal(err)
	}
	// Well under the script's 5 s: it was not waited for (and a loaded
	// machine may take a while to start it).
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("waited %v for a running browser", d)
	}
}

func TestOSC52(t *testing.T) {
	got := OSC52(testURL)
	if !strings.HasPrefix(got, "\x1b]52;c;") || !strings.HasSuffix(got, "\a") {
		t.Fatalf("%q", got)
	}
	payload := strings.TrimSuffix(strings.TrimPrefix(got, "\x1b]52;c;"), "\a")
	dec, err := base64.StdEncoding.DecodeString(payload)
	if err != nil || string(dec) != testURL {
		t.Errorf("payload %q: %v", dec, err)
	}
	if strings.ContainsAny(payload, "\x1b\a\n") {
		t.Error("control characters in the payload")
	}
}

func TestQR(t *testing.T) {
	lines, err := QR(testURL, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) < 10 {
		t.Fatalf("%d lines", len(lines))
	}
	width := len([]rune(lines[0]))
	for _, l := range lines {
		if len([]rune(l)) != width {
			t.Fatal("ragged QR code")
		}
		for _, r := range l {
			if !strings.ContainsRune(" ▀▄█", r) {
				t.Fatalf("rune %q", r)
			}
		}
	}
	// The quiet zone is light: with light drawn, the first line is all full blocks.
	if strings.Trim(lines[0], "█") != "" {
		t.Errorf("first line %q", lines[0])
	}
	inv, _ := QR(testURL, true)
	if strings.TrimSpace(inv[0]) != "" {
		t.Errorf("inverted first line %q", inv[0])
	}
}

func FuzzCommandArgs(f *testing.F) {
	f.Add("firefox %s", testURL)
	f.Add(`'a b' "%s" %%s \%s`, "https://x.org/a b?c=d&e#f")
	f.Fuzz(func(t *testing.T, command, rawURL string) {
		args, err := CommandArgs(command, rawURL)
		if err != nil {
			return
		}
		if len(args) == 0 {
			t.Fatal("no arguments")
		}
		// The URL is inside one argument, never split over several.
		found := false
		for _, a := range args {
			found = found || strings.Contains(a, rawURL)
		}
		if !found {
			t.Fatalf("URL %q not in one argument: %q", rawURL, args)
		}
	})
}
