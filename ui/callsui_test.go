package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/config"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/ui/uitest"
)

// lockedBuffer is a clipboard sink safe to read while the UI writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// defaultKeys are the key bindings of the shipped config.json.
func defaultKeys() map[string]string {
	data, err := os.ReadFile(filepath.Join("..", "config.json"))
	if err != nil {
		panic(err)
	}
	cfg, err := config.Load(data, "", false)
	if err != nil {
		panic(err)
	}
	return cfg.Keys
}

// offlineUI runs the UI without an account, showing the main view, so
// calls events can be fed to it directly.
func offlineUI(t *testing.T, clip *lockedBuffer) (*UI, tcell.SimulationScreen) {
	t.Helper()
	screen := tcell.NewSimulationScreen("UTF-8")
	if err := screen.Init(); err != nil {
		t.Fatal(err)
	}
	u := offlineUIOn(t, screen, clip)
	// Size the screen once Run has initialised it (Init resets the size).
	u.queue(func() { screen.SetSize(130, 50) })
	return u, screen
}

// offlineUIOn is offlineUI on any screen.
func offlineUIOn(t *testing.T, screen tcell.Screen, clip *lockedBuffer) *UI {
	t.Helper()
	cfg := &config.Config{Keys: defaultKeys(), UI: config.UI{OSC8Links: true}}
	u, err := New(Options{Screen: screen, Config: cfg, Clipboard: clip,
		Login: func(context.Context, matrix.LoginParams) (*matrix.Client, *calls.Controller, error) {
			return nil, nil, context.Canceled
		}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = u.Run(); close(done) }()
	t.Cleanup(func() { u.Stop(); <-done })
	u.queue(func() { u.pages.SwitchToPage("main"); u.app.SetFocus(u.w.composer) })
	return u
}

func TestShowLinkDialogCopiesWithOSC52(t *testing.T) {
	clip := &lockedBuffer{}
	u, screen := offlineUI(t, clip)
	link := "https://meet.example.org/JitsiAbcDef#config.startWithAudioMuted=false"
	u.queue(func() {
		u.handleCallEvent(calls.ShowLink{RoomID: "!r", Title: "Jitsi conference JitsiAbcDef on meet.example.org",
			URL: link, Reason: "This is an SSH session: no browser is started here."})
	})
	text := uitest.WaitFor(t, screen, "meet.example.org/JitsiAbcDef", 5*time.Second)
	if !strings.Contains(text, "SSH session") || !strings.Contains(text, "█") {
		t.Fatalf("dialog lacks the reason or the QR code:\n%s", text)
	}
	// The link is an OSC 8 hyperlink.
	cells, _, _ := uitest.Cells(screen)
	linked := false
	for _, c := range cells {
		if c.Style == styleLink.Url(link) {
			linked = true
		}
	}
	if !linked {
		t.Error("the URL is not drawn as an OSC 8 link")
	}
	screen.InjectKey(tcell.KeyRune, 'c', tcell.ModNone)
	uitest.WaitFor(t, screen, "copied", 5*time.Second)
	seq := clip.String()
	m := regexp.MustCompile(`^\x1b\]52;c;([A-Za-z0-9+/=]+)\x07$`).FindStringSubmatch(seq)
	if m == nil {
		t.Fatalf("OSC 52 sequence malformed: %q", seq)
	}
	if dec, err := base64.StdEncoding.DecodeString(m[1]); err != nil || string(dec) != link {
		t.Fatalf("OSC 52 payload %q (%v)", dec, err)
	}
	screen.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	uitest.WaitUntil(t, screen, "the dialog closes", 5*time.Second, func(s string) bool { return !strings.Contains(s, "JitsiAbcDef") })
}

func TestShowLinkRefusesNonHTTPS(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	u.queue(func() { u.handleCallEvent(calls.ShowLink{URL: "javascript:alert(1)", Title: "x"}) })
	text := uitest.WaitFor(t, screen, "Refusing", 5*time.Second)
	if strings.Contains(text, "javascript") {
		t.Fatalf("hostile link shown:\n%s", text)
	}
}

func TestConferenceBannerAndCallPanel(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	room := id.RoomID("!r:hs")
	u.queue(func() {
		u.s.current = room
		u.handleCallEvent(calls.ConferenceChanged{RoomID: room, Conference: &calls.Conference{
			WidgetID: "w", Domain: "meet.example.org", ConferenceID: "JitsiX", CreatorID: "@alice:hs", CreatorName: "alice\x1b[31m"}})
	})
	// The escape character is gone; what is left of the sequence is inert text.
	text := uitest.WaitFor(t, screen, "Video conference started by alice[31m on meet.example.org — press F3 to join", 5*time.Second)
	if !strings.Contains(text, "Alt+E to end") {
		t.Fatalf("banner lacks the end key:\n%s", text)
	}
	u.queue(func() {
		u.handleCallEvent(calls.ConferenceChanged{RoomID: room, Conference: &calls.Conference{
			Domain: "evil/host", CreatorName: "mallory", Suspicious: true, Reason: "domain is not a host name"}})
	})
	uitest.WaitFor(t, screen, "Suspicious conference widget by mallory", 5*time.Second)
	u.queue(func() { u.handleCallEvent(calls.ConferenceChanged{RoomID: room}) })
	uitest.WaitUntil(t, screen, "the banner goes", 5*time.Second, func(s string) bool { return !strings.Contains(s, "Suspicious") && !strings.Contains(s, "started by") })

	// An incoming call shows whatever room is open, with its keys.
	u.queue(func() {
		u.handleCallEvent(calls.CallChanged{Call: calls.CallInfo{CallID: "c1", RoomID: "!other:hs", PeerID: "@bob:hs", PeerName: "bob", Incoming: true, State: calls.CallRinging}})
	})
	uitest.WaitFor(t, screen, "Incoming voice call from bob — F7 answer, F9 reject", 5*time.Second)
	u.queue(func() {
		u.handleCallEvent(calls.CallChanged{Call: calls.CallInfo{CallID: "c1", RoomID: "!other:hs", PeerID: "@bob:hs", PeerName: "bob",
			Video: true, State: calls.CallConnected, ConnectedAt: time.Now().Add(-65 * time.Second), Codec: "opus/48000", Path: "relay",
			Muted: true, RemoteVideo: "640x480 @ 30 fps", LocalVideo: "no camera source configured"}})
	})
	text = uitest.WaitFor(t, screen, "In video call with bob", 5*time.Second)
	for _, want := range []string{"01:0", "opus/48000", "relay", "MUTED", "F4 mute, F8 hang up", "remote 640x480 @ 30 fps", "no camera source configured"} {
		if !strings.Contains(text, want) {
			t.Errorf("call panel lacks %q:\n%s", want, text)
		}
	}
	u.queue(func() {
		u.handleCallEvent(calls.CallChanged{Call: calls.CallInfo{CallID: "c1", PeerName: "bob", State: calls.CallEnded, EndReason: "bob hung up"}})
	})
	text = uitest.WaitFor(t, screen, "Call with bob ended: bob hung up", 5*time.Second)
	if strings.Contains(text, "In video call") {
		t.Fatalf("call panel still shown:\n%s", text)
	}
	// A call that never rang through is told as missed, with why.
	u.queue(func() {
		u.handleCallEvent(calls.CallChanged{Call: calls.CallInfo{CallID: "c2", PeerName: "bob", Incoming: true, State: calls.CallEnded,
			EndReason: "missed call from bob: it could not be set up"}})
	})
	uitest.WaitFor(t, screen, "Missed call from bob: it could not be set up", 5*time.Second)
}

func TestUnknownCommandOffline(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	_ = u
	uitest.Type(screen, "/nope")
	screen.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	uitest.WaitFor(t, screen, "Unknown command /nope — nothing was sent", 5*time.Second)
}

func TestFuzzyScore(t *testing.T) {
	if fuzzyScore("gp", "Garden Party") <= fuzzyScore("gp", "big pond") {
		t.Error("word starts should score higher")
	}
	if fuzzyScore("xyz", "Garden Party") != -1 {
		t.Error("non-match should be -1")
	}
}
