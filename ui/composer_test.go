package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/ui/uitest"
)

// composerRows returns the screen rows the composer covers.
func composerRows(t *testing.T, u *UI, screen tcell.SimulationScreen) []string {
	t.Helper()
	rect := make(chan [4]int, 1)
	u.queue(func() { x, y, w, h := u.w.composer.GetRect(); rect <- [4]int{x, y, w, h} })
	r := <-rect
	rows := uitest.Dump(screen)
	var out []string
	for y := r[1]; y < r[1]+r[3] && y < len(rows); y++ {
		runes := []rune(rows[y])
		out = append(out, strings.TrimSpace(string(runes[min(r[0], len(runes)):min(r[0]+r[2], len(runes))])))
	}
	return out
}

// TestComposerShowsWrappedAndPastedText: a line longer than the composer
// grows it and all of it is visible (the start too), and a pasted
// three-line text shows its three lines, not only the last one (F26).
func TestComposerShowsWrappedAndPastedText(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	uitest.WaitFor(t, screen, "Type a message", 5*time.Second)
	var words []string
	for i := 0; i < 40; i++ {
		words = append(words, fmt.Sprintf("word%d", i))
	}
	for _, r := range strings.Join(words, " ") {
		screen.InjectKey(tcell.KeyRune, r, tcell.ModNone)
	}
	uitest.WaitFor(t, screen, "word39", 5*time.Second)
	time.Sleep(100 * time.Millisecond)
	rows := composerRows(t, u, screen)
	shown := strings.Join(rows, " ")
	if len(rows) < 3 || !strings.HasPrefix(shown, "word0 word1 ") || !strings.Contains(shown, "word39") {
		t.Fatalf("a long line is not shown whole; composer rows:\n%s", strings.Join(rows, "\n"))
	}
	for _, w := range words {
		if !strings.Contains(" "+shown+" ", " "+w+" ") {
			t.Fatalf("%s not visible; composer rows:\n%s", w, strings.Join(rows, "\n"))
		}
	}

	// Deleting back to one row shrinks the composer again.
	n := len(strings.Join(words, " ")) - len("word0 word1")
	for i := 0; i < n; i++ {
		screen.InjectKey(tcell.KeyBackspace2, 0, tcell.ModNone)
	}
	uitest.WaitUntil(t, screen, "the composer shrinks to one row", 5*time.Second, func(string) bool {
		rows := composerRows(t, u, screen)
		return len(rows) == 1 && rows[0] == "word0 word1"
	})

	// Clear, and paste.
	u.queue(func() { u.w.composer.SetText("", true) })
	uitest.WaitFor(t, screen, "Type a message", 5*time.Second)
	screen.PostEvent(tcell.NewEventPaste(true))
	for i, line := range []string{"paste line 1", "paste line 2", "paste line 3"} {
		if i > 0 {
			screen.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
		}
		for _, r := range line {
			screen.InjectKey(tcell.KeyRune, r, tcell.ModNone)
		}
	}
	screen.PostEvent(tcell.NewEventPaste(false))
	uitest.WaitFor(t, screen, "paste line 3", 5*time.Second)
	time.Sleep(100 * time.Millisecond)
	rows = composerRows(t, u, screen)
	if len(rows) != 3 || rows[0] != "paste line 1" || rows[1] != "paste line 2" || rows[2] != "paste line 3" {
		t.Fatalf("pasted lines shown as:\n%q", rows)
	}
}
