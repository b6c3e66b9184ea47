package browser

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// A viewable file goes to the browser command as a file:// URL; a kind a
// viewer might run is never handed over; over SSH nothing is opened.
func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "cat picture.png")
	desk := filepath.Join(dir, "evil.desktop")
	for _, p := range []string{img, desk} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	script, out := recorder(t, 0)
	s := New(Options{Setting: script + " %s", Env: envOf(nil), GOOS: "linux"})
	if err := s.OpenFile(context.Background(), img); err != nil {
		t.Fatal(err)
	}
	if got := readLines(t, out); !reflect.DeepEqual(got, []string{"file://" + filepath.ToSlash(dir) + "/cat%20picture.png"}) {
		t.Errorf("browser got %q", got)
	}
	if err := s.OpenFile(context.Background(), desk); !errors.Is(err, ErrNotLaunched) {
		t.Errorf("a .desktop file was handed over: %v", err)
	}
	ssh := New(Options{Setting: script, Env: envOf(map[string]string{"SSH_CONNECTION": "1 2 3 4"}), GOOS: "linux"})
	if err := ssh.OpenFile(context.Background(), img); !errors.Is(err, ErrNotLaunched) {
		t.Errorf("opened over SSH: %v", err)
	}
	if ViewableExt("image/png; charset=x") != ".png" || ViewableExt("application/x-desktop") != "" {
		t.Error("ViewableExt")
	}
}
