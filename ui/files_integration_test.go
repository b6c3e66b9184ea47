package ui_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/ui/uitest"
)

// fileEvent waits for sender's newest m.room.message on the server whose
// body is name and returns its content.
func fileEvent(t *testing.T, screen tcell.SimulationScreen, reader teststack.User, roomID, sender, name string) map[string]any {
	t.Helper()
	var found map[string]any
	uitest.WaitUntil(t, screen, "the file message on the server", waitLong, func(string) bool {
		msgs, err := reader.Messages(ctx(t), roomID, 20)
		if err != nil {
			return false
		}
		for _, m := range msgs {
			var c map[string]any
			if m.Sender == sender && m.Type == "m.room.message" && json.Unmarshal(m.Content, &c) == nil && c["body"] == name {
				found = c
				return true
			}
		}
		return false
	})
	return found
}

// TestFilesThroughTheUI: /upload sends a file others can fetch byte for
// byte; a pasted path asks first; /download saves the newest file of the
// room in the download folder under a safe name, never overwriting; wrong
// uses answer with the usage.
func TestFilesThroughTheUI(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "fbob")
	alice, screen := loggedIn(t, st, "falice")
	roomID := roomOfTwo(t, "File Room", bob, alice)
	waitJoinedLine(t, screen, alice)
	run := func(cmd, want string) string {
		t.Helper()
		uitest.Type(screen, cmd)
		enter(screen)
		return uitest.WaitFor(t, screen, want, waitLong)
	}
	clear := func() { screen.InjectKey(tcell.KeyCtrlU, 'u', tcell.ModCtrl) }

	data := make([]byte, 2<<20)
	_, _ = rand.Read(data)
	src := t.TempDir()
	path := filepath.Join(src, "notes.bin")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	run("/upload "+path, "Uploaded notes.bin.")
	uitest.WaitFor(t, screen, "sent a file: notes.bin", waitLong)
	c := fileEvent(t, screen, bob, roomID, alice.UserID, "notes.bin")
	mxc, _ := c["url"].(string)
	if got, err := bob.Media(ctx(t), mxc); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("bob fetched %d bytes (%v), want the %d uploaded", len(got), err, len(data))
	}
	if info, _ := c["info"].(map[string]any); c["msgtype"] != "m.file" || info["size"] != float64(len(data)) {
		t.Fatalf("file event: %v", c)
	}

	// A pasted path asks first; n keeps the text, y uploads.
	pasted := filepath.Join(src, "dropped file.txt")
	if err := os.WriteFile(pasted, []byte("dropped"), 0o600); err != nil {
		t.Fatal(err)
	}
	run("'"+pasted+"'", "y upload · n keep the text")
	screen.InjectKey(tcell.KeyRune, 'y', tcell.ModNone)
	uitest.WaitFor(t, screen, "Uploaded dropped file.txt.", waitLong)
	fileEvent(t, screen, bob, roomID, alice.UserID, "dropped file.txt")

	// Bob sends a file with a hostile name; /download saves it safely.
	dl := filepath.Join(t.TempDir(), "Downloads")
	t.Setenv("XDG_DOWNLOAD_DIR", dl)
	theirs, err := bob.UploadMedia(ctx(t), []byte("from bob"), "text/plain")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.SendEvent(ctx(t), roomID, "m.room.message", map[string]any{
		"msgtype": "m.file", "body": "../../.evil\x1b[2J.txt", "url": theirs}); err != nil {
		t.Fatal(err)
	}
	uitest.WaitFor(t, screen, "sent a file: ../../.evil", waitLong)
	want := filepath.Join(dl, "evil[2J.txt")
	run("/download", "Saved "+want)
	if got, err := os.ReadFile(want); err != nil || string(got) != "from bob" {
		t.Fatalf("saved file: %q %v", got, err)
	}
	run("/download", "Saved "+filepath.Join(dl, "evil[2J (1).txt"))
	if entries, _ := os.ReadDir(filepath.Dir(dl)); len(entries) != 1 {
		t.Fatalf("something was written beside the download folder: %v", entries)
	}
	explicit := filepath.Join(t.TempDir(), "mine.txt")
	run("/download "+explicit, "Saved "+explicit)

	run("/upload", "Usage: /upload PATH")
	clear()
	run("/upload /no/such/file", "Cannot upload /no/such/file")
	clear()
	run("/upload "+src, "is not a file. Usage: /upload PATH")
	clear()
	run("/cancel", "No upload or download is running.")
	run("/help", "/download [PATH]")
	screen.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
}

// TestCreateAndDMThroughTheUI: /create opens a new encrypted room; /dm
// invites the other user into an encrypted DM (and records it in
// m.direct), and a second /dm opens the same room.
func TestCreateAndDMThroughTheUI(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "cdbob")
	alice, screen := loggedIn(t, st, "cdalice")
	run := func(cmd, want string) string {
		t.Helper()
		uitest.Type(screen, cmd)
		enter(screen)
		return uitest.WaitFor(t, screen, want, waitLong)
	}
	run("/create", "Usage: /create NAME [--public]")
	screen.InjectKey(tcell.KeyCtrlU, 'u', tcell.ModCtrl)
	run("/create Team Room", "Created Team Room (encrypted, invite only)")
	uitest.WaitFor(t, screen, "Team Room 🔒", waitLong)

	run("/dm bob", "Usage: /dm @user:server")
	screen.InjectKey(tcell.KeyCtrlU, 'u', tcell.ModCtrl)
	run("/dm "+bob.UserID, "Started a DM with "+bob.UserID+"; they are invited.")
	var direct map[string][]string
	if err := alice.Do(ctx(t), "GET", "/_matrix/client/v3/user/"+url.PathEscape(alice.UserID)+"/account_data/m.direct", nil, &direct); err != nil {
		t.Fatal(err)
	}
	rooms := direct[bob.UserID]
	if len(rooms) != 1 {
		t.Fatalf("m.direct: %v", direct)
	}
	var sync struct {
		Rooms struct {
			Invite map[string]json.RawMessage `json:"invite"`
		} `json:"rooms"`
	}
	if err := bob.Do(ctx(t), "GET", "/_matrix/client/v3/sync?timeout=0", nil, &sync); err != nil {
		t.Fatal(err)
	}
	inv, ok := sync.Rooms.Invite[rooms[0]]
	if !ok || !strings.Contains(string(inv), `"is_direct":true`) {
		t.Fatalf("bob's invite to %s: %s", rooms[0], inv)
	}
	run("/dm "+bob.UserID, "Your DM with "+bob.UserID+".")
}
