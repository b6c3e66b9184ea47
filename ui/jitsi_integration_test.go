package ui_test

import (
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/ui"
	"github.com/termatrix/termatrix/ui/uitest"
)

// jitsiRecorder is the "browser" setting in these tests: a script that
// appends the URL it is given to a file. Everything else is real.
func jitsiRecorder(t *testing.T) (cmd, out string) {
	t.Helper()
	dir := t.TempDir()
	out = filepath.Join(dir, "opened.txt")
	script := filepath.Join(dir, "browser.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '"+out+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return script + " %s", out
}

// openedURLs returns the URLs the recorder got so far: only complete lines,
// because the script's ">>" creates the file before printf writes the URL,
// and a loaded machine can read it in between (an empty "URL").
func openedURLs(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	s := string(b)
	end := strings.LastIndexByte(s, '\n')
	if end < 0 {
		return nil
	}
	return strings.Split(s[:end], "\n")
}

func waitOpenedURL(t *testing.T, path string, n int) string {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for time.Now().Before(deadline) {
		if o := openedURLs(path); len(o) >= n {
			return o[n-1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the browser was not opened %d times (got %q)", n, openedURLs(path))
	return ""
}

// closedLocalPort returns 127.0.0.1:PORT where nothing listens.
func closedLocalPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// serverWidgets returns the room's widget state as the homeserver has it.
func serverWidgets(t *testing.T, u teststack.User, roomID string) map[string]map[string]any {
	t.Helper()
	var all []struct {
		Type     string         `json:"type"`
		StateKey string         `json:"state_key"`
		Content  map[string]any `json:"content"`
	}
	if err := u.Do(ctx(t), http.MethodGet, "/_matrix/client/v3/rooms/"+roomID+"/state", nil, &all); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, ev := range all {
		if ev.Type == "im.vector.modular.widgets" {
			out[ev.StateKey] = ev.Content
		}
	}
	return out
}

// activeWidget returns the one widget with content, failing otherwise.
func activeWidget(t *testing.T, u teststack.User, roomID string) (string, map[string]any) {
	t.Helper()
	var key string
	var content map[string]any
	for k, c := range serverWidgets(t, u, roomID) {
		if len(c) == 0 {
			continue
		}
		if content != nil {
			t.Fatal("more than one active widget")
		}
		key, content = k, c
	}
	if content == nil {
		t.Fatal("no active widget on the server")
	}
	return key, content
}

// TestJitsiKeysThroughTheUI: three users; alice presses the voice key and
// the video key in the real UI. Each creates Element's widget (read back
// from the homeserver), opens a jitsi.html URL with every placeholder
// filled, and isAudioOnly differs; the banner shows and goes when the
// conference is ended with its key.
func TestJitsiKeysThroughTheUI(t *testing.T) {
	for _, k := range []string{"SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "BROWSER"} {
		t.Setenv(k, "")
	}
	st := shared.Get(t)
	bob := st.MustRegister(t, "jbob")
	carol := st.MustRegister(t, "jcarol")
	alice := st.MustRegister(t, "jalice")

	roomID, err := bob.CreateRoom(ctx(t), map[string]any{
		"name":   "Jitsi Room",
		"preset": "private_chat",
		"invite": []string{alice.UserID, carol.UserID},
		"power_level_content_override": map[string]any{
			"users": map[string]any{bob.UserID: 100, alice.UserID: 50},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := carol.Join(ctx(t), roomID); err != nil {
		t.Fatal(err)
	}

	browserCmd, opened := jitsiRecorder(t)
	cfg := testConfig(t)
	cfg.Browser = browserCmd
	// The Jitsi server is a closed port on 127.0.0.1, so the
	// /.well-known/element/jitsi lookup stays on this machine (and finds no auth).
	domain := closedLocalPort(t)
	cfg.Jitsi.PreferredDomain = domain
	ss := sessions(t, cfg)
	acct := login(t, ss, st.BaseURL, alice.UserID)
	_, screen := runUI(t, ui.Options{Config: cfg, Client: acct.Client, Calls: acct.Calls, Login: ss.UILogin, Logout: ss.Logout})
	uitest.WaitFor(t, screen, "synced", waitLong)
	uitest.WaitFor(t, screen, "You are invited", waitLong)
	screen.InjectKey(tcell.KeyRune, 'y', tcell.ModAlt)
	deadline := time.Now().Add(waitLong)
	for joined := 0; joined != 3; {
		if time.Now().After(deadline) {
			t.Fatalf("alice's client never saw 3 joined members (%d)", joined)
		}
		joined = 0
		for _, m := range acct.Client.Members(id.RoomID(roomID)) {
			if m.Membership == event.MembershipJoin {
				joined++
			}
		}
		time.Sleep(50 * time.Millisecond)
	}

	audioOnly := map[string]string{}
	for i, key := range []tcell.Key{tcell.KeyF5, tcell.KeyF6} {
		name := map[tcell.Key]string{tcell.KeyF5: "voice", tcell.KeyF6: "video"}[key]
		screen.InjectKey(key, 0, tcell.ModNone)
		raw := waitOpenedURL(t, opened, i+1)
		uitest.WaitFor(t, screen, "Opened Jitsi conference", waitLong)
		kind := map[string]string{"voice": "Voice conference started by", "video": "Video conference started by"}[name]
		banner := uitest.WaitFor(t, screen, "to join", waitLong) // the banner: "... started by X on D — press K to join"
		if !strings.Contains(banner, kind) || !strings.Contains(banner, "on "+domain) {
			t.Errorf("%s: banner missing:\n%s", name, banner)
		}

		widgetID, content := activeWidget(t, bob, roomID)
		data, _ := content["data"].(map[string]any)
		confID, _ := data["conferenceId"].(string)
		if content["type"] != "jitsi" || content["name"] != "Jitsi" || data["domain"] != domain || data["roomName"] != "Jitsi Room" ||
			data["isVideoChannel"] != false || data["isAudioOnly"] != (name == "voice") || len(data) != 5 || len(content) != 4 {
			t.Errorf("%s: widget content %v", name, content)
		}
		if u, _ := content["url"].(string); !strings.HasPrefix(u, "https://app.element.io/jitsi.html?confId="+confID+"#conferenceDomain=$domain&conferenceId=$conferenceId&isAudioOnly=$isAudioOnly&") {
			t.Errorf("%s: widget url %s", name, u)
		}
		pu, err := url.Parse(raw)
		if err != nil || pu.Scheme != "https" || pu.Host != "app.element.io" || strings.Contains(pu.EscapedFragment(), "$") {
			t.Fatalf("%s: browser got %q", name, raw)
		}
		v, _ := url.ParseQuery(pu.EscapedFragment())
		for _, p := range []string{"conferenceDomain", "conferenceId", "isAudioOnly", "isVideoChannel", "displayName", "avatarUrl", "userId", "roomId", "theme", "roomName", "supportsScreensharing", "language"} {
			if _, ok := v[p]; !ok {
				t.Errorf("%s: %s missing from %s", name, p, raw)
			}
		}
		if v.Get("conferenceId") != confID || v.Get("userId") != alice.UserID || v.Get("roomId") != roomID || v.Get("conferenceDomain") != domain {
			t.Errorf("%s: URL %v", name, v)
		}
		audioOnly[name] = v.Get("isAudioOnly")

		// End it with the end key and confirm; the banner goes and the
		// widget is empty on the server.
		screen.InjectKey(tcell.KeyRune, 'e', tcell.ModAlt)
		uitest.WaitFor(t, screen, "End conference", waitLong)
		screen.InjectKey(tcell.KeyRune, 'y', tcell.ModNone)
		uitest.WaitUntil(t, screen, "the banner is gone", waitLong, func(s string) bool { return !strings.Contains(s, "to join") })
		uitest.WaitUntil(t, screen, "the timeline says ended", waitLong, func(s string) bool {
			return strings.Count(s, " conference ended by") == i+1 && strings.Contains(s, strings.Replace(kind, "started", "ended", 1))
		})
		deadline := time.Now().Add(waitLong)
		for len(serverWidgets(t, bob, roomID)[widgetID]) != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: widget %s not removed on the server", name, widgetID)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// The calls controller follows the room's state on its own
		// subscription: wait until it too has the conference ended, or the
		// next key joins the ended one (seen under load in CI).
		for acct.Calls.Conference(id.RoomID(roomID)) != nil {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the calls controller still has the ended conference", name)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if audioOnly["voice"] != "true" || audioOnly["video"] != "false" {
		t.Errorf("isAudioOnly voice %q, video %q", audioOnly["voice"], audioOnly["video"])
	}
	t.Logf("press to browser: %v (last press)", acct.Calls.LastOpenLatency())
}
