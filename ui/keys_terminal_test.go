package ui

import (
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
)

// TestNewlineKeysFromTerminalBytes feeds the bytes a terminal really sends
// through tcell's terminal input parser: Alt+Enter is ESC CR (which tcell
// reports as Alt+Ctrl+m, not as Alt+Enter) and Ctrl+J is LF. Both insert a
// newline in the composer; CR alone still sends.
//
// The bytes go through a terminfo screen on a fake tty rather than
// SimulationScreen.InjectKeyBytes, which does not parse ESC sequences the
// way a terminal screen does (and loops on control bytes in tcell v2.13.10).
func TestNewlineKeysFromTerminalBytes(t *testing.T) {
	t.Setenv("TERM", "xterm-256color")
	tty := newFakeTty()
	screen, err := tcell.NewTerminfoScreenFromTty(tty)
	if err != nil {
		t.Fatal(err)
	}
	u := offlineUIOn(t, screen, &lockedBuffer{})
	defer tty.Close()
	composer := func() string {
		got := make(chan string, 1)
		u.queue(func() { got <- u.w.composer.GetText() })
		select {
		case s := <-got:
			return s
		case <-time.After(5 * time.Second):
			t.Fatal("UI goroutine stuck")
			return ""
		}
	}
	waitComposer := func(want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			got := composer()
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("composer holds %q, want %q", got, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	send := func(b string) {
		t.Helper()
		if _, err := tty.w.Write([]byte(b)); err != nil {
			t.Fatal(err)
		}
	}
	send("line one")
	waitComposer("line one")
	send("\x1b\r")
	send("line two")
	waitComposer("line one\nline two")
	send("\n")
	send("three")
	waitComposer("line one\nline two\nthree")
	// The composer grew to show the three lines.
	rows := make(chan int, 1)
	u.queue(func() { _, _, _, h := u.w.composer.GetRect(); rows <- h })
	if h := <-rows; h < 3 {
		t.Errorf("composer is %d rows high for three lines", h)
	}
}

func TestNewlineKeyEvents(t *testing.T) {
	km, err := NewKeymap(defaultKeys())
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []*tcell.EventKey{
		tcell.NewEventKey(tcell.KeyRune, 'm', tcell.ModAlt|tcell.ModCtrl), // ESC CR from a terminal
		tcell.NewEventKey(tcell.KeyEnter, 0, tcell.ModAlt),                // CSI u / modifyOtherKeys terminals
		tcell.NewEventKey(tcell.KeyCtrlJ, 'j', tcell.ModCtrl),             // LF = Ctrl+J
	} {
		if a := km.Action(ev); a != ActNewline {
			t.Errorf("%s is %q, want newline", ev.Name(), a)
		}
	}
	for _, ev := range []*tcell.EventKey{
		tcell.NewEventKey(tcell.KeyEnter, 0, tcell.ModNone),
		tcell.NewEventKey(tcell.KeyRune, 'm', tcell.ModAlt),
		tcell.NewEventKey(tcell.KeyRune, 'j', tcell.ModAlt|tcell.ModCtrl),
	} {
		if a := km.Action(ev); a == ActNewline {
			t.Errorf("%s is the newline key", ev.Name())
		}
	}
	// Ctrl+J bound to another action is that action.
	keys := defaultKeys()
	keys["join"] = "Ctrl+J"
	km, err = NewKeymap(keys)
	if err != nil {
		t.Fatal(err)
	}
	if a := km.Action(tcell.NewEventKey(tcell.KeyCtrlJ, 'j', tcell.ModCtrl)); a != ActJoin {
		t.Errorf("Ctrl+J bound to join is %q", a)
	}
}
