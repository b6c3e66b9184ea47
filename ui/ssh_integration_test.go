package ui_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/ui"
	"github.com/termatrix/termatrix/ui/uitest"
)

// syncBuffer is a clipboard sink safe to read while the UI writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestJitsiOverSSHShowsLinkDialog: on an SSH session the video key starts
// a conference but launches no browser; the dialog shows the jitsi.html
// URL, and its copy key writes a well-formed OSC 52 sequence of it.
func TestJitsiOverSSHShowsLinkDialog(t *testing.T) {
	t.Setenv("SSH_CONNECTION", "10.0.0.1 50000 10.0.0.2 22")
	t.Setenv("BROWSER", "")
	st := shared.Get(t)
	bob := st.MustRegister(t, "sshbob")
	carol := st.MustRegister(t, "sshcarol")
	alice := st.MustRegister(t, "sshalice")
	roomID, err := bob.CreateRoom(ctx(t), map[string]any{
		"name": "SSH Room", "preset": "private_chat", "invite": []string{alice.UserID, carol.UserID},
		"power_level_content_override": map[string]any{"users": map[string]any{bob.UserID: 100, alice.UserID: 50}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []teststack.User{carol, alice} {
		if _, err := u.Join(ctx(t), roomID); err != nil {
			t.Fatal(err)
		}
	}
	browserCmd, opened := jitsiRecorder(t)
	cfg := testConfig(t)
	cfg.Browser = browserCmd
	cfg.Jitsi.PreferredDomain = closedLocalPort(t)
	ss := sessions(t, cfg)
	acct, err := ss.Login(ctx(t), matrix.LoginParams{Homeserver: st.BaseURL, User: alice.UserID, Password: teststack.TestPassword})
	if err != nil {
		t.Fatal(err)
	}
	clip := &syncBuffer{}
	_, screen := runUI(t, ui.Options{Config: cfg, Client: acct.Client, Calls: acct.Calls, Clipboard: clip})
	uitest.WaitFor(t, screen, "SSH Room", waitLong)
	deadline := time.Now().Add(waitLong)
	for {
		if r, ok := acct.Client.Room(id.RoomID(roomID)); ok && r.JoinedMembers == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the client never saw 3 joined members")
		}
		time.Sleep(20 * time.Millisecond)
	}

	screen.InjectKey(tcell.KeyF6, 0, tcell.ModNone)
	text := uitest.WaitFor(t, screen, "Open this link in a browser", waitLong)
	if !strings.Contains(text, "jitsi.html") {
		t.Fatalf("dialog lacks the URL:\n%s", text)
	}
	if !strings.Contains(text, "█") {
		// Too small a terminal for the QR code in the dialog: v shows it alone.
		screen.InjectKey(tcell.KeyRune, 'v', tcell.ModNone)
		if text := uitest.WaitFor(t, screen, "v or Esc", waitLong); !strings.Contains(text, "█") {
			t.Fatalf("no QR code:\n%s", text)
		}
		screen.InjectKey(tcell.KeyRune, 'v', tcell.ModNone)
		uitest.WaitFor(t, screen, "Open this link in a browser", waitLong)
	}
	screen.InjectKey(tcell.KeyRune, 'c', tcell.ModNone)
	uitest.WaitFor(t, screen, "copied", waitLong)
	m := regexp.MustCompile(`^\x1b\]52;c;([A-Za-z0-9+/=]+)\x07$`).FindStringSubmatch(clip.String())
	if m == nil {
		t.Fatalf("OSC 52 sequence malformed: %q", clip.String())
	}
	link, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil || !strings.HasPrefix(string(link), cfg.Jitsi.WrapperURL) {
		t.Fatalf("copied %q (%v), want the jitsi.html URL", link, err)
	}
	if _, err := os.Stat(opened); !os.IsNotExist(err) {
		t.Fatalf("a browser was started on the SSH host: %q", openedURLs(opened))
	}
}
