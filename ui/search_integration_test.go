package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/ui/uitest"
)

// TestSearchPlainRoomJumpsToMessage: /search in a plain room asks
// Dendrite, lists the match with its sender, and Enter scrolls the
// timeline back to the message (scrolled out of view by newer ones) and
// selects it; /search alone answers its usage.
func TestSearchPlainRoomJumpsToMessage(t *testing.T) {
	st := shared.Get(t)
	alice := st.MustRegister(t, "qalice")
	bob, screen := loggedIn(t, st, "qbob")
	roomID := roomOfTwo(t, "Search Room", alice, bob)
	uitest.WaitFor(t, screen, "Search Room", waitLong)
	if _, err := alice.SendMessage(ctx(t), roomID, "the haystack has a needle in it"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 45; i++ {
		if _, err := alice.SendMessage(ctx(t), roomID, fmt.Sprintf("filler %02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	text := uitest.WaitFor(t, screen, "filler 44", waitLong)
	if strings.Contains(text, "has a needle") {
		t.Fatalf("the match is still in view; the jump would prove nothing:\n%s", text)
	}

	command(screen, "/search")
	uitest.WaitFor(t, screen, "Usage: /search TEXT", waitLong)

	// The composer keeps the wrong command to be mended.
	start := time.Now()
	command(screen, " needle")
	text = uitest.WaitFor(t, screen, "Search: needle", waitLong)
	text = uitest.WaitFor(t, screen, "has a needle in it", waitLong)
	t.Logf("server search answered on screen in %v", time.Since(start).Round(time.Millisecond))
	aliceLocal := strings.TrimPrefix(strings.SplitN(alice.UserID, ":", 2)[0], "@")
	if l := screenLine(text, "has a needle in it"); !strings.Contains(l, aliceLocal+": the haystack") {
		t.Fatalf("result lacks its sender: %q\n%s", l, text)
	}
	if !strings.Contains(text, "1 found") {
		t.Errorf("result count not said:\n%s", text)
	}
	enter(screen)
	uitest.WaitUntil(t, screen, "the dialog closes on the selected message", waitLong, func(s string) bool {
		return !strings.Contains(s, "Search: needle") && strings.Contains(s, "has a needle in it") && strings.Contains(s, "r reply")
	})
	if !selectedRow(screen, "has a needle in it") {
		t.Fatalf("the found message is not selected:\n%s", uitest.Text(screen))
	}
	screen.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
}

// TestSearchEncryptedRoomIsLocal: the server cannot read an encrypted
// room, so /search there searches the messages stored decrypted and says
// so; Enter selects the match.
func TestSearchEncryptedRoomIsLocal(t *testing.T) {
	st := shared.Get(t)
	alice := st.MustRegister(t, "xalice")
	bob, screen := loggedIn(t, st, "xbob")
	encryptedRoom(t, alice, bob, "Hidden Search", screen)
	uitest.WaitFor(t, screen, "Hidden Search 🔒", waitLong)
	for _, m := range []string{"a secret needle here", "nothing to see", "more nothing"} {
		uitest.Type(screen, m)
		enter(screen)
		uitest.WaitUntil(t, screen, m+" sent", waitLong, func(s string) bool {
			return strings.Contains(s, m) && !strings.Contains(s, "(sending…)")
		})
	}
	// "Sent" is the server's answer to the send; the store has the message
	// once sync brings it back, a moment later: search again until it does.
	var text string
	for try := 0; try < 20; try++ {
		command(screen, "/search NEEDLE")
		text = uitest.WaitFor(t, screen, "the server cannot search encrypted rooms", waitLong)
		if strings.Contains(text, "Searched 3 stored messages") {
			break
		}
		screen.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
		uitest.WaitUntil(t, screen, "the results close", waitLong, func(s string) bool { return !strings.Contains(s, "the server cannot search") })
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(text, "Searched 3 stored messages") || !strings.Contains(text, "1 found") {
		t.Fatalf("local search summary:\n%s", text)
	}
	if l := screenLine(text, "a secret needle here"); !strings.Contains(l, ": a secret needle here") {
		t.Fatalf("no result row:\n%s", text)
	}
	enter(screen)
	uitest.WaitUntil(t, screen, "the match is selected", waitLong, func(s string) bool {
		return !strings.Contains(s, "Search: NEEDLE") && strings.Contains(s, "r reply")
	})
	if !selectedRow(screen, "a secret needle here") {
		t.Fatalf("the found message is not selected:\n%s", uitest.Text(screen))
	}
}
