package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
)

// TestTransferStatus: the status line shows a running transfer's name, a
// bar, the percentage and the sizes, and how to stop it.
func TestTransferStatus(t *testing.T) {
	u := &UI{}
	u.xfer.cur = &transfer{verb: "Uploading", name: "cat.jpg"}
	u.xfer.cur.done.Store(4_100_000)
	u.xfer.cur.total.Store(8_500_000)
	var b strings.Builder
	for _, seg := range u.transferSegments(tcell.StyleDefault) {
		b.WriteString(seg.Text)
	}
	want := " │ Uploading cat.jpg ▓▓▓░░░░░ 48% 4.1/8.5 MB — Esc or /cancel stops it"
	if b.String() != want {
		t.Fatalf("status %q, want %q", b.String(), want)
	}
	if got := sizePair(512, 900); got != "512/900 B" {
		t.Fatalf("sizePair bytes: %q", got)
	}
	if got := progressBar(100, 8); got != "▓▓▓▓▓▓▓▓" {
		t.Fatalf("full bar %q", got)
	}
}

// TestDroppedFile: only a whole composer text that is an absolute, ~/ or
// file:// path of an existing file counts as a dropped file; quotes and
// escaped spaces (as terminals paste) are undone.
func TestDroppedFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "my cat.png")
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{p, "'" + p + "'", `"` + p + `"`, strings.ReplaceAll(p, " ", `\ `), "file://" + strings.ReplaceAll(p, " ", "%20")} {
		if got, ok := droppedFile(in); !ok || got != p {
			t.Errorf("droppedFile(%q) = %q %v", in, got, ok)
		}
	}
	for _, in := range []string{"my cat.png", dir, p + "\nmore", "look at " + p, "/help", filepath.Join(dir, "nope")} {
		if got, ok := droppedFile(in); ok {
			t.Errorf("droppedFile(%q) = %q, want not a file", in, got)
		}
	}
}
