package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// /search TEXT searches the open room (matrix.Client.Search: the server
// for a plain room, the stored decrypted messages for an encrypted one)
// and lists what it found, newest first, in a dialog: Up/Down select,
// Enter jumps to the message in the room's timeline and selects it.

// searchUsage answers /search without text.
const searchUsage = "Usage: /search TEXT"

// searchCommand runs /search.
func (u *UI) searchCommand(arg string) bool {
	room := u.s.current
	if arg == "" {
		u.say(true, searchUsage)
		return false
	}
	if room == "" {
		u.say(true, "No room open.")
		return false
	}
	var res matrix.SearchResults
	u.say(false, "Searching…")
	u.bg("Searching", func(ctx context.Context, c *matrix.Client) error {
		var err error
		res, err = c.Search(ctx, room, arg)
		return err
	}, func() { u.showSearchResults(room, arg, res) })
	return true
}

// searchDialog lists search results with one selected.
type searchDialog struct {
	*dialog
	head []Line
	rows []Line
	ids  []id.EventID
	sel  int
}

// showSearchResults shows what /search found in room.
func (u *UI) showSearchResults(room id.RoomID, text string, res matrix.SearchResults) {
	var head []Line
	switch {
	case res.Local:
		head = append(head, plain(fmt.Sprintf("Searched %d stored messages (the server cannot search encrypted rooms): %d found.",
			res.Searched, len(res.Events)), styleDim))
	case res.Count > len(res.Events):
		head = append(head, plain(fmt.Sprintf("%d found, the newest %d shown.", res.Count, len(res.Events)), styleDim))
	default:
		head = append(head, plain(fmt.Sprintf("%d found.", len(res.Events)), styleDim))
	}
	head = append(head, Line{})
	sd := &searchDialog{head: head}
	for _, ev := range res.Events {
		sd.rows = append(sd.rows, u.searchRow(room, ev))
		sd.ids = append(sd.ids, ev.ID)
	}
	if len(sd.rows) == 0 {
		sd.head = append(sd.head, plain("No message holds that text.", styleText))
	}
	title := "Search: " + sanitize.Cut(sanitize.Line(text), 40)
	sd.dialog = newDialog(title, sd.lines(), "↑↓ select · Enter jump to it · Esc close")
	sd.onKey = func(ev *tcell.EventKey) bool {
		switch ev.Key() {
		case tcell.KeyUp:
			sd.move(-1)
		case tcell.KeyDown:
			sd.move(1)
		case tcell.KeyEnter:
			sd.close()
			if len(sd.ids) > 0 {
				u.jumpTo(room, sd.ids[sd.sel])
			}
		default:
			return false
		}
		return true
	}
	u.showDialog("search", sd)
}

// lines are the dialog's lines, the selected result highlighted.
func (sd *searchDialog) lines() []Line {
	out := append([]Line(nil), sd.head...)
	for i, r := range sd.rows {
		if i == sd.sel {
			hl := make(Line, len(r))
			for k, s := range r {
				hl[k] = Segment{s.Text, s.Style.Background(tcell.ColorDarkBlue)}
			}
			r = hl
		}
		out = append(out, r)
	}
	return out
}

// move moves the selection and keeps it in view.
func (sd *searchDialog) move(n int) {
	if len(sd.rows) == 0 {
		return
	}
	sd.sel = min(max(sd.sel+n, 0), len(sd.rows)-1)
	sd.dialog.lines = sd.lines()
	row := len(sd.head) + sd.sel
	if row < sd.offset {
		sd.offset = row
	}
	// A result is one row in all but very narrow boxes; 8 rows is the
	// least a dialog shows.
	if row >= sd.offset+8 {
		sd.offset = row - 7
	}
}

// searchRow is one result: when, who (shown as in the timeline) and the
// first line of the body, sanitized and cut.
func (u *UI) searchRow(room id.RoomID, ev *event.Event) Line {
	when := time.UnixMilli(ev.Timestamp).Format("2 Jan 15:04")
	body := ""
	if c, ok := contentOf(&ev.Content); ok {
		body, _, _ = strings.Cut(c.strOr("body", ""), "\n")
	}
	return Line{
		{when + " ", styleDim},
		{u.shownName(room, ev.Sender) + ": ", styleText.Bold(true)},
		{sanitize.Cut(sanitize.Line(body), 200), styleText},
	}
}

// jumpTo shows a message of a room in its timeline, selected; a message
// not loaded is said to be so.
func (u *UI) jumpTo(room id.RoomID, evID id.EventID) {
	if u.s.current != room {
		u.openRoom(room)
	}
	tv := u.timeline(room)
	tv.whenBuilt(func() {
		if !tv.SelectEvent(evID) {
			u.say(false, "That message is not loaded: scroll up to load older messages.")
			return
		}
		u.refreshFooter()
	})
}

// SelectEvent selects a loaded message by ID and scrolls it into view;
// false if it is not loaded or cannot be selected.
func (t *TimelineView) SelectEvent(evID id.EventID) bool {
	it := t.byID[evID]
	if it == nil || !t.selectable(it) {
		return false
	}
	t.sel.on, t.sel.it = true, it
	t.ensureVisible(t.indexOf(it))
	return true
}
