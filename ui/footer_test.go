package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/ui/uitest"
)

// TestFooterShowsWholeKeys: at 160 and 80 columns the footer shows its
// keys whole on up to two rows, never cut mid-item (F13), and a click on
// a key in the second row runs that key's action.
func TestFooterShowsWholeKeys(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	for _, width := range []int{160, 80} {
		u.queue(func() { screen.SetSize(width, 30) })
		var rows []string
		uitest.WaitUntil(t, screen, "the footer is laid out", 5*time.Second, func(text string) bool {
			all := strings.Split(text, "\n")
			rows = nil
			for _, r := range all[len(all)-2:] {
				if strings.Contains(r, "F1 help") || strings.HasPrefix(r, "  ") && !strings.Contains(r, "│") {
					rows = append(rows, r)
				}
			}
			return len(rows) == 2 && strings.HasPrefix(rows[0], "F1 help")
		})
		items := 0
		for _, r := range rows {
			for _, item := range strings.Split(strings.TrimSpace(r), "  ") {
				items++
				k, desc, ok := strings.Cut(item, " ")
				if !ok || desc == "" {
					t.Errorf("%d columns: item %q cut in %q", width, item, r)
					continue
				}
				found := false
				for _, kv := range u.keys.Help() {
					if kv[0] == k && kv[1] == desc {
						found = true
					}
				}
				if !found {
					t.Errorf("%d columns: %q is no whole key item (row %q)", width, item, r)
				}
			}
		}
		if items < 8 {
			t.Errorf("%d columns: only %d keys in the footer", width, items)
		}
	}
	// Click "members" wherever it is: the member list toggles.
	rows := uitest.Dump(screen)
	for y := len(rows) - 2; y < len(rows); y++ {
		if x := strings.Index(rows[y], "F2 members"); x >= 0 {
			screen.InjectMouse(x+1, y, tcell.Button1, tcell.ModNone)
			screen.InjectMouse(x+1, y, tcell.ButtonNone, tcell.ModNone)
			uitest.WaitFor(t, screen, "Members", 5*time.Second)
			return
		}
	}
	t.Fatalf("no members key in the footer:\n%s", strings.Join(rows, "\n"))
}
