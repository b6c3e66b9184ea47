package ui_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/app"
	"github.com/termatrix/termatrix/ui"
	"github.com/termatrix/termatrix/ui/uitest"
)

var gapLine = regexp.MustCompile(`(before|gap) message (\d+)\b`)

// gapOrder numbers the test's messages in the order they were sent.
func gapOrder(kind string, n int) int {
	if kind == "before" {
		return n
	}
	return 100 + n
}

// TestGapAfterRestartShowsEveryMessageInOrder is the every-morning case
// (F24): the client is closed, more messages than one sync delivers arrive,
// the client starts again. Paging from the top of the room to the bottom
// must show every message exactly in the order it was sent.
func TestGapAfterRestartShowsEveryMessageInOrder(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "gbob")
	alice := st.MustRegister(t, "galice")
	roomID := roomOfTwo(t, "Gap Room", bob, alice)
	const before, gap = 3, 80 // more than one sync's 50 events
	for i := 1; i <= before; i++ {
		if _, err := bob.SendMessage(ctx(t), roomID, fmt.Sprintf("before message %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	cfg := testConfig(t)
	profile := storedProfile(t, cfg, st.BaseURL, alice.UserID, fmt.Sprintf("before message %d", before))
	c, cancel := context.WithTimeout(context.Background(), 2*waitLong)
	defer cancel()

	for i := 1; i <= gap; i++ {
		if _, err := bob.SendMessage(c, roomID, fmt.Sprintf("gap message %d", i)); err != nil {
			t.Fatal(err)
		}
	}

	ss2 := &app.Sessions{Profile: profile, Config: cfg}
	t.Cleanup(func() { _ = ss2.Close() })
	acct2, err := ss2.Resume(c)
	if err != nil {
		t.Fatal(err)
	}
	_, screen2 := runUI(t, ui.Options{Config: cfg, Client: acct2.Client, Calls: acct2.Calls})
	uitest.WaitFor(t, screen2, fmt.Sprintf("gap message %d", gap), waitLong)

	// Page up to the room's beginning.
	deadline := time.Now().Add(waitLong)
	for !strings.Contains(uitest.Text(screen2), "beginning of the room") {
		if time.Now().After(deadline) {
			t.Fatalf("never reached the beginning of the room:\n%s", uitest.Text(screen2))
		}
		screen2.InjectKey(tcell.KeyPgUp, 0, tcell.ModNone)
		time.Sleep(50 * time.Millisecond)
	}
	// Page down to the bottom: on every page, each message is directly
	// followed by the next one sent.
	seen := map[int]bool{}
	text := uitest.Text(screen2)
	for page := 0; page < 30; page++ {
		if page > 0 {
			// Read the next page only once it is drawn: a fixed sleep
			// can read the old page on a loaded machine, and the next
			// PgDn would then skip a page unseen.
			text = nextPage(screen2, text)
		}
		prev := -1
		for _, m := range gapLine.FindAllStringSubmatch(text, -1) {
			n, _ := strconv.Atoi(m[2])
			o := gapOrder(m[1], n)
			switch {
			case prev == -1:
			case o == prev+1, prev == before && o == gapOrder("gap", 1):
			default:
				t.Fatalf("message %s %d is drawn right after message #%d:\n%s", m[1], n, prev, text)
			}
			seen[o] = true
			prev = o
		}
		if seen[gapOrder("gap", gap)] && !strings.Contains(text, "↓ newer") {
			break
		}
		screen2.InjectKey(tcell.KeyPgDn, 0, tcell.ModNone)
	}
	var missing []string
	for i := 1; i <= before; i++ {
		if !seen[gapOrder("before", i)] {
			missing = append(missing, fmt.Sprintf("before %d", i))
		}
	}
	for i := 1; i <= gap; i++ {
		if !seen[gapOrder("gap", i)] {
			missing = append(missing, fmt.Sprintf("gap %d", i))
		}
	}
	if len(missing) > 0 {
		t.Fatalf("messages never shown: %v", missing)
	}
}

// nextPage waits until the messages on screen differ from those in prev
// (a page key has been handled and drawn) and returns the screen's text;
// after a few seconds without change (the bottom) it returns it anyway.
func nextPage(screen tcell.SimulationScreen, prev string) string {
	was := fmt.Sprint(gapLine.FindAllString(prev, -1))
	deadline := time.Now().Add(5 * time.Second)
	for {
		text := uitest.Text(screen)
		if fmt.Sprint(gapLine.FindAllString(text, -1)) != was || time.Now().After(deadline) {
			return text
		}
		time.Sleep(20 * time.Millisecond)
	}
}
