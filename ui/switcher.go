package ui

import (
	"sort"
	"strings"
	"unicode"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
)

// fuzzyScore scores how well query matches name as a subsequence (case
// insensitive): -1 for no match, higher for tighter and earlier matches.
func fuzzyScore(query, name string) int {
	if query == "" {
		return 0
	}
	q := []rune(strings.ToLower(query))
	n := []rune(strings.ToLower(name))
	score, qi, last := 0, 0, -1
	for i, r := range n {
		if qi < len(q) && r == q[qi] {
			switch {
			case last == i-1:
				score += 5 // consecutive
			case i == 0 || !unicode.IsLetter(n[i-1]):
				score += 3 // word start
			default:
				score++
			}
			last = i
			qi++
		}
	}
	if qi < len(q) {
		return -1
	}
	return score*100 - len(n)
}

// switcher is the fuzzy room switcher (Ctrl+K).
type switcher struct {
	*dialog
	query    []rune
	rooms    []matrix.Room
	matches  []matrix.Room
	sel      int
	onChoose func(id.RoomID)
}

func newSwitcher(rooms []matrix.Room, onChoose func(id.RoomID)) *switcher {
	s := &switcher{dialog: newDialog("Switch room", nil, "type to filter · ↑↓ select · Enter open · Esc close"), rooms: rooms, onChoose: onChoose}
	s.maxW = 70
	s.dialog.onKey = s.key
	s.update()
	return s
}

func (s *switcher) update() {
	type scored struct {
		r matrix.Room
		s int
	}
	var list []scored
	for _, r := range s.rooms {
		if sc := fuzzyScore(string(s.query), roomLabel(r)); sc >= 0 {
			list = append(list, scored{r, sc})
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].s > list[j].s })
	s.matches = s.matches[:0]
	for _, x := range list {
		s.matches = append(s.matches, x.r)
	}
	if s.sel >= len(s.matches) {
		s.sel = max(len(s.matches)-1, 0)
	}
	lines := []Line{{{"> ", styleDim}, {string(s.query), styleText}, {"▏", styleDim}}, {}}
	for i, r := range s.matches {
		st := styleText
		if i == s.sel {
			st = st.Reverse(true)
		}
		lines = append(lines, Line{{roomLabel(r), st}})
	}
	if len(s.matches) == 0 {
		lines = append(lines, plain("no matching room", styleDim))
	}
	s.lines = lines
}

func (s *switcher) key(ev *tcell.EventKey) bool {
	switch ev.Key() {
	case tcell.KeyRune:
		s.query = append(s.query, ev.Rune())
		s.sel = 0
	case tcell.KeyBackspace, tcell.KeyBackspace2:
		if len(s.query) > 0 {
			s.query = s.query[:len(s.query)-1]
		}
	case tcell.KeyUp:
		if s.sel > 0 {
			s.sel--
		}
	case tcell.KeyDown, tcell.KeyTab:
		if s.sel < len(s.matches)-1 {
			s.sel++
		}
	case tcell.KeyEnter:
		if s.sel < len(s.matches) && s.onChoose != nil {
			s.onChoose(s.matches[s.sel].ID)
		}
		s.close()
		return true
	case tcell.KeyEscape:
		s.close()
		return true
	default:
		return true
	}
	s.update()
	return true
}

var _ tview.Primitive = (*switcher)(nil)
