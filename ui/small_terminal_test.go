package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/termatrix/termatrix/ui/uitest"
)

// TestSmallTerminalsFit draws the main screen and the login form on a
// 60×15 terminal: the composer row keeps its placeholder and both call
// buttons, the room list gives way (Ctrl+K still switches rooms), and the
// login form, its buttons and its help fit whole inside the screen.
func TestSmallTerminalsFit(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	u.queue(func() { screen.SetSize(60, 15) })
	text := uitest.WaitFor(t, screen, "Type a message, or /help", 5*time.Second)
	for _, want := range []string{"Voice F5", "Video F6", "Ctrl+K rooms"} {
		if !strings.Contains(text, want) {
			t.Errorf("60×15 main screen lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Rooms") {
		t.Errorf("the room list is still drawn at 60 columns:\n%s", text)
	}

	u.queue(func() { u.pages.SwitchToPage("login") })
	text = uitest.WaitFor(t, screen, "log in", 5*time.Second)
	rows := strings.Split(text, "\n")
	if !strings.HasPrefix(rows[0], "╔") || !strings.HasSuffix(strings.TrimRight(rows[0], " "), "╗") || len([]rune(rows[0])) > 60 {
		t.Errorf("the form's top border is cut:\n%s", text)
	}
	for _, want := range []string{"User ID", "Homeserver", "Password", "Log in", "Quit", "╚", "last field logs in."} {
		if !strings.Contains(text, want) {
			t.Errorf("60×15 login lacks %q:\n%s", want, text)
		}
	}
	// A login error is shown whole too, the help giving way.
	u.queue(func() { u.showLogin("Login failed: the homeserver could not be reached (connection refused)") })
	text = uitest.WaitFor(t, screen, "(connection refused)", 5*time.Second)
	if !strings.Contains(text, "Login failed: the homeserver") {
		t.Errorf("login error cut:\n%s", text)
	}
}

func TestSideWidths(t *testing.T) {
	for _, c := range []struct {
		width        int
		members      bool
		wantL, wantM int
	}{
		{160, false, roomListWidth, 0}, {160, true, roomListWidth, membersWidth},
		{90, false, 22, 0}, {90, true, 22, 24},
		{75, false, 18, 0}, {75, true, 0, 24},
		{60, false, 0, 0}, {60, true, 0, 20},
	} {
		l, m := sideWidths(c.width, c.members)
		if l != c.wantL || m != c.wantM {
			t.Errorf("sideWidths(%d, %v) = %d, %d; want %d, %d", c.width, c.members, l, m, c.wantL, c.wantM)
		}
		if c.width-l-m < 40 {
			t.Errorf("at %d columns the timeline keeps only %d", c.width, c.width-l-m)
		}
	}
}
