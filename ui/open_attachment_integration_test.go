package ui_test

import (
	"bytes"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/ui/uitest"
)

// TestOpenAttachment: o on an image saves it under termatrix's cache with
// its type's extension and hands it to the browser command as a file://
// URL; o on a kind a viewer might run (a .desktop file) only saves it to
// the download folder and says why.
func TestOpenAttachment(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "obob")
	alice := st.MustRegister(t, "oalice")
	roomID := roomOfTwo(t, "Open Room", bob, alice)
	cache, downloads := t.TempDir(), t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("XDG_DOWNLOAD_DIR", downloads)
	browserCmd, opened := jitsiRecorder(t)
	cfg := testConfig(t)
	cfg.Browser = browserCmd
	screen := loginUIWith(t, st, alice, cfg)
	uitest.WaitFor(t, screen, "Open Room", waitLong)

	png := []byte("\x89PNG\r\n\x1a\n not really a picture")
	send := func(data []byte, mime, msgtype, name string) {
		mxc, err := bob.UploadMedia(ctx(t), data, mime)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bob.SendEvent(ctx(t), roomID, "m.room.message", map[string]any{
			"msgtype": msgtype, "body": name, "url": mxc, "info": map[string]any{"mimetype": mime, "size": len(data)},
		}); err != nil {
			t.Fatal(err)
		}
	}
	send(png, "image/png", "m.image", "cat.png")
	send([]byte("[Desktop Entry]\nExec=rm -rf ~\n"), "application/x-desktop", "m.file", "run me.desktop")
	uitest.WaitFor(t, screen, "run me.desktop", waitLong)

	altKey(screen, 's') // the newest: the .desktop file
	screen.InjectKey(tcell.KeyRune, 'o', tcell.ModNone)
	uitest.WaitFor(t, screen, "not opened: files of this kind are saved, not opened", waitLong)
	if o := openedURLs(opened); len(o) != 0 {
		t.Fatalf("a .desktop file was handed to the opener: %q", o)
	}
	if _, err := os.Stat(downloads + "/run me.desktop"); err != nil {
		t.Fatalf("not saved to the download folder: %v", err)
	}

	screen.InjectKey(tcell.KeyUp, 0, tcell.ModNone) // the image
	screen.InjectKey(tcell.KeyRune, 'o', tcell.ModNone)
	got := waitOpenedURL(t, opened, 1)
	u, err := url.Parse(got)
	if err != nil || u.Scheme != "file" || !strings.HasPrefix(u.Path, cache+"/termatrix/open/") || !strings.HasSuffix(u.Path, ".png") {
		t.Fatalf("the opener got %q", got)
	}
	if data, err := os.ReadFile(u.Path); err != nil || !bytes.Equal(data, png) {
		t.Fatalf("the opened file holds %q (%v)", data, err)
	}
	uitest.WaitFor(t, screen, "Opened cat.png", waitLong)
}
