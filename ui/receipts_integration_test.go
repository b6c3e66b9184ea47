package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/app"
	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/ui"
	"github.com/termatrix/termatrix/ui/uitest"
)

// screenLine is the screen row holding want ("" if none).
func screenLine(text, want string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, want) {
			return l
		}
	}
	return ""
}

// localLetter is the letter a user's receipt shows: the first of their
// display name, which Dendrite sets to the localpart.
func localLetter(u teststack.User) string {
	return strings.ToUpper(strings.TrimPrefix(u.UserID, "@")[:1])
}

// TestReadReceiptsShownAndRestored: alice (another client) reads bob's
// message; bob's termatrix shows her letter at the end of that message's
// line, moves it when she reads a newer one, and shows it again from its
// store after a restart (the sync it resumes brings no receipt again).
func TestReadReceiptsShownAndRestored(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "rbob")
	alice := st.MustRegister(t, "walice")
	roomID := roomOfTwo(t, "Receipts Room", bob, alice)
	cfg := testConfig(t)
	ss := sessions(t, cfg)
	c, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	acct := login(t, ss, st.BaseURL, bob.UserID)
	u1, screen := runUI(t, ui.Options{Config: cfg, Client: acct.Client, Calls: acct.Calls})
	uitest.WaitFor(t, screen, "synced", waitLong)

	first, err := bob.SendMessage(ctx(t), roomID, "first words")
	if err != nil {
		t.Fatal(err)
	}
	second, err := bob.SendMessage(ctx(t), roomID, "second words")
	if err != nil {
		t.Fatal(err)
	}
	uitest.WaitFor(t, screen, "second words", waitLong)
	mark := "✓" + localLetter(alice)

	if err := alice.SendReceipt(ctx(t), roomID, first); err != nil {
		t.Fatal(err)
	}
	text := uitest.WaitUntil(t, screen, "alice's letter on the first message", waitLong, func(s string) bool {
		return strings.Contains(screenLine(s, "first words"), "first words "+mark)
	})
	if strings.Contains(screenLine(text, "second words"), "✓") {
		t.Fatalf("a receipt on the second message too:\n%s", text)
	}

	if err := alice.SendReceipt(ctx(t), roomID, second); err != nil {
		t.Fatal(err)
	}
	uitest.WaitUntil(t, screen, "alice's letter moved to the second message", waitLong, func(s string) bool {
		return strings.Contains(screenLine(s, "second words"), "second words "+mark) &&
			!strings.Contains(screenLine(s, "first words"), "✓")
	})

	u1.Stop()
	if err := ss.Close(); err != nil {
		t.Fatal(err)
	}
	ss2 := &app.Sessions{Profile: ss.Profile, Config: cfg}
	t.Cleanup(func() { _ = ss2.Close() })
	acct2, err := ss2.Resume(c)
	if err != nil {
		t.Fatal(err)
	}
	_, screen2 := runUI(t, ui.Options{Config: cfg, Client: acct2.Client, Calls: acct2.Calls})
	text = uitest.WaitUntil(t, screen2, "alice's letter restored from the store", waitLong, func(s string) bool {
		return strings.Contains(screenLine(s, "second words"), "second words "+mark)
	})
	if strings.Contains(screenLine(text, "first words"), "✓") {
		t.Fatalf("the old receipt came back:\n%s", text)
	}
}

// selectedRow says whether the screen row holding text is drawn
// highlighted as the selected message (under text's first character).
func selectedRow(s tcell.SimulationScreen, text string) bool {
	cells, w, h := uitest.Cells(s)
	for y := 0; y < h; y++ {
		var b strings.Builder
		var xs []int // the cell of each byte written
		for x := 0; x < w; x++ {
			r := cells[y*w+x].Runes
			if len(r) == 0 {
				continue
			}
			str := string(r)
			for range len(str) {
				xs = append(xs, x)
			}
			b.WriteString(str)
		}
		if i := strings.Index(b.String(), text); i >= 0 {
			_, bg, _ := cells[y*w+xs[i]].Style.Decompose()
			return bg == tcell.ColorDarkBlue
		}
	}
	return false
}
