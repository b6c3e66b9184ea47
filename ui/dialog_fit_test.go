package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/calls/browser"
	"github.com/termatrix/termatrix/ui/uitest"
)

const longJitsiLink = "https://app.element.io/jitsi.html#conferenceDomain=jitsi.riot.im&conferenceId=JitsiXrdgbfnyumbwnzrtttrxnuil" +
	"&isAudioOnly=true&isVideoChannel=false&displayName=carol&avatarUrl=&userId=%40carol%3Alocalhost" +
	"&roomId=%21k6v4OCk90bu7xuaA%3Alocalhost&theme=dark&roomName=Test%20room&supportsScreensharing=true&language=en"

// qrRowsShown counts the screen rows that hold a row of the QR code.
func qrRowsShown(text string, qr []string) int {
	n := 0
	for _, row := range strings.Split(text, "\n") {
		for _, q := range qr {
			if strings.TrimSpace(q) != "" && strings.Contains(row, strings.TrimRight(q, " ")) {
				n++
				break
			}
		}
	}
	return n
}

// urlFromRows joins the screen rows that hold nothing but a piece of the
// link: what a terminal selection of those rows gives.
func urlFromRows(text string) string {
	var b strings.Builder
	for _, row := range strings.Split(text, "\n") {
		r := strings.TrimSpace(row)
		if strings.HasPrefix(r, "https://app.element.io/") || (b.Len() > 0 && r != "" && !strings.ContainsAny(r, " │")) {
			b.WriteString(r)
		} else if b.Len() > 0 {
			break
		}
	}
	return b.String()
}

// TestLinkDialogFitsSmallTerminals: on 160×45 and 80×24 terminals the
// SSH link dialog shows the whole URL on rows of its own (no border in a
// selection), shows no half QR code but offers v for the QR code alone,
// and c still copies with OSC 52 (F11). On a tall terminal the QR code is
// shown in the dialog.
func TestLinkDialogFitsSmallTerminals(t *testing.T) {
	qr, err := browser.QR(longJitsiLink, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range [][2]int{{160, 45}, {80, 24}, {160, 80}} {
		clip := &lockedBuffer{}
		u, screen := offlineUI(t, clip)
		u.queue(func() { screen.SetSize(size[0], size[1]) })
		u.queue(func() {
			u.handleCallEvent(calls.ShowLink{RoomID: "!r", Title: "Jitsi conference JitsiXrdgbfnyumbwnzrtttrxnuil on jitsi.riot.im",
				URL: longJitsiLink, Reason: "running over SSH: nothing is opened on the remote host"})
		})
		tall := size[1] >= len(qr)+20
		problem := func(text string) string {
			if !strings.Contains(text, "Open this link") {
				return "no link dialog"
			}
			if got := urlFromRows(text); got != longJitsiLink {
				return fmt.Sprintf("the URL rows give %q, want the link whole", got)
			}
			shown := qrRowsShown(text, qr)
			switch {
			case tall && shown != len(qr):
				return fmt.Sprintf("%d of %d QR rows shown", shown, len(qr))
			case !tall && shown != 0:
				return fmt.Sprintf("a cut QR code (%d of %d rows)", shown, len(qr))
			case !tall && !strings.Contains(text, "press v to show it"):
				return "no way to the QR code offered"
			}
			if !strings.Contains(text, "c copy link") || !strings.Contains(text, "running over SSH") {
				return "hint or reason missing"
			}
			return ""
		}
		// The resize may be drawn after the dialog: wait (rather than sleep
		// a fixed time) for the dialog as laid out for this size.
		text, why := uitest.Text(screen), ""
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			text = uitest.Text(screen)
			if why = problem(text); why == "" || time.Now().After(deadline) {
				break
			}
		}
		if why != "" {
			t.Fatalf("%v: %s:\n%s", size, why, text)
		}
		screen.InjectKey(tcell.KeyRune, 'v', tcell.ModNone)
		text = uitest.WaitFor(t, screen, "v or Esc", 5*time.Second)
		if size[1] > len(qr) {
			if n := qrRowsShown(text, qr); n != len(qr) {
				t.Fatalf("%v: v shows %d of %d QR rows:\n%s", size, n, len(qr), text)
			}
		} else if !strings.Contains(text, "enlarge it") {
			t.Fatalf("%v: a QR code too high for the terminal is not explained:\n%s", size, text)
		}
		screen.InjectKey(tcell.KeyRune, 'v', tcell.ModNone)
		uitest.WaitFor(t, screen, "Open this link", 5*time.Second)
		screen.InjectKey(tcell.KeyRune, 'c', tcell.ModNone)
		uitest.WaitFor(t, screen, "copied", 5*time.Second)
		if !strings.HasPrefix(clip.String(), "\x1b]52;c;") {
			t.Fatalf("%v: no OSC 52 copy: %q", size, clip.String())
		}
	}
}

// TestHelpWrapsUnderTheDescription: a help line too long for the dialog
// continues under its description, not at the dialog's left edge (F13).
func TestHelpWrapsUnderTheDescription(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	u.queue(func() { screen.SetSize(90, 40) })
	u.queue(u.showHelp)
	text := uitest.WaitFor(t, screen, "Commands", 5*time.Second)
	rows := strings.Split(text, "\n")
	checked := 0
	for i, r := range rows {
		j := strings.Index(r, "│   /")
		if j < 0 || i+1 >= len(rows) {
			continue
		}
		desc := strings.Index(r[j:], "  ") // end of the command column
		if desc < 0 {
			continue
		}
		next := rows[i+1]
		if k := strings.Index(next, "│ "); k == j {
			body := strings.TrimRight(next[k+len("│"):], " │")
			if trimmed := strings.TrimLeft(body, " "); trimmed != "" && !strings.HasPrefix(trimmed, "/") {
				// A continuation row: it must be indented past the command column.
				if lead := len(body) - len(trimmed); lead < 20 {
					t.Errorf("continuation row %q starts at column %d", next, lead)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatalf("no wrapped help line at 90 columns:\n%s", text)
	}
}
