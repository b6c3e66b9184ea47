// Package uitest helps tests drive the real UI on a tcell SimulationScreen:
// it reads the screen back as text and waits, with a deadline, for text
// to appear.
package uitest

import (
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
)

// Cells returns a copy of the screen's cells, taken under the screen's
// lock so that reading it never races with the UI drawing.
func Cells(s tcell.SimulationScreen) (cells []tcell.SimCell, width, height int) {
	cur, w, h := s.GetContents()
	l, ok := s.(interface {
		Lock()
		Unlock()
	})
	if ok {
		l.Lock()
		defer l.Unlock()
	}
	cells = make([]tcell.SimCell, len(cur))
	for i, c := range cur {
		cells[i] = tcell.SimCell{Style: c.Style, Runes: append([]rune(nil), c.Runes...), Bytes: append([]byte(nil), c.Bytes...)}
	}
	return cells, w, h
}

// Dump returns the screen's contents as one string per row, trailing
// spaces trimmed. Wide characters appear once.
func Dump(s tcell.SimulationScreen) []string {
	cells, w, h := Cells(s)
	rows := make([]string, 0, h)
	for y := 0; y < h; y++ {
		var b strings.Builder
		for x := 0; x < w; x++ {
			i := y*w + x
			if i >= len(cells) {
				break
			}
			r := cells[i].Runes
			if len(r) == 0 {
				// The second column of a wide character.
				continue
			}
			b.WriteString(string(r))
		}
		rows = append(rows, strings.TrimRight(b.String(), " "))
	}
	return rows
}

// Text returns the whole screen as text, rows joined by newlines.
func Text(s tcell.SimulationScreen) string { return strings.Join(Dump(s), "\n") }

// WaitFor waits until the screen holds want, failing the test with the
// screen's contents once timeout passes. It returns the screen's text.
func WaitFor(t testing.TB, s tcell.SimulationScreen, want string, timeout time.Duration) string {
	t.Helper()
	return WaitUntil(t, s, "screen shows "+want, timeout, func(text string) bool { return strings.Contains(text, want) })
}

// WaitUntil waits until cond holds for the screen's text.
func WaitUntil(t testing.TB, s tcell.SimulationScreen, what string, timeout time.Duration, cond func(text string) bool) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		text := Text(s)
		if cond(text) {
			return text
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting until %s; screen:\n%s", timeout, what, text)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Type injects a string as key presses.
func Type(s tcell.SimulationScreen, text string) {
	for _, r := range text {
		s.InjectKey(tcell.KeyRune, r, tcell.ModNone)
	}
}

// Row returns the first screen row that holds text, or -1.
func Row(s tcell.SimulationScreen, text string) int {
	for y, r := range Dump(s) {
		if strings.Contains(r, text) {
			return y
		}
	}
	return -1
}
