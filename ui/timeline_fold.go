package ui

import (
	"fmt"
	"unicode/utf8"
)

// A message costs screen rows, and memory for them, in proportion to what
// is shown of it, not to what was sent: a long one is folded after
// foldRows rows with a line that says how much more there is; /expand
// shows it (up to expandedRows rows, beyond which a message is only
// readable elsewhere). Wrapping stops at the fold, so a 1 MB line costs
// the rows shown, not a million laid-out cells.
const (
	foldRows     = 30
	expandedRows = 2000
)

// wrapFolded wraps lines to width (continuation rows indented) into at
// most maxRows rows and says about how many more rows the rest would
// take.
func wrapFolded(lines []Line, width, indent, maxRows int) (rows []row, more int) {
	inner := max(width-indent, 1)
	for _, l := range lines {
		left := maxRows - len(rows)
		if left <= 0 {
			more += estimateRows(l, width, inner)
			continue
		}
		// Enough text for the rows left (a cluster is at least one
		// column, combining marks aside), the rest only estimated.
		cut, rest := cutLine(l, (left+1)*width*2)
		wrapped := wrapLine(cut, width, indent)
		if len(wrapped) > left {
			for _, r := range wrapped[left:] {
				more += (rowWidth(r) + inner - 1) / inner
			}
			wrapped = wrapped[:left]
		}
		rows = append(rows, wrapped...)
		more += (rest + inner - 1) / inner
	}
	return rows, more
}

// cutLine keeps the first maxRunes runes of a line and says how many were
// left out.
func cutLine(l Line, maxRunes int) (Line, int) {
	var out Line
	rest := 0
	for _, seg := range l {
		if maxRunes <= 0 {
			rest += utf8.RuneCountInString(seg.Text)
			continue
		}
		n := 0
		for i := range seg.Text {
			if n == maxRunes {
				rest += utf8.RuneCountInString(seg.Text[i:])
				seg.Text = seg.Text[:i]
				break
			}
			n++
		}
		maxRunes -= n
		out = append(out, seg)
	}
	return out, rest
}

// estimateRows is about how many rows a line takes at width columns,
// its continuation rows inner columns wide (the line's own text holds its
// first row's indent).
func estimateRows(l Line, width, inner int) int {
	n := 0
	for _, seg := range l {
		n += utf8.RuneCountInString(seg.Text)
	}
	if n <= width {
		return 1
	}
	return 1 + (n-width+inner-1)/inner
}

// rowWidth is the columns a row's cells take.
func rowWidth(r row) int {
	w := 0
	for _, c := range r {
		w += int(c.width)
	}
	return w
}

// foldRow is the line under a folded message.
func foldRow(more int, expanded bool) row {
	text := fmt.Sprintf("      … %s more — /expand shows it", plural(more, "line"))
	if expanded {
		text = fmt.Sprintf("      … %s more: too long to show here", plural(more, "line"))
	}
	return cells(Line{{text, styleDim}})
}

// ExpandFolded unfolds every folded message of the view and says how
// many there were.
func (t *TimelineView) ExpandFolded() int {
	n := 0
	for _, it := range t.items {
		if it.folded && !it.expanded {
			it.expanded, it.rows = true, nil
			if it.cut != nil || t.editCut(it) != nil {
				t.expandWhole(it)
				it.rendered = false
			}
			n++
		}
	}
	return n
}

// itemRows lays out an item's lines, folded unless expanded.
func (t *TimelineView) itemRows(it *tlItem, rows []row) []row {
	limit := foldRows
	if it.expanded {
		limit = expandedRows
	}
	body, tail := it.lines, []Line(nil)
	if it.tail > 0 && it.tail <= len(body) {
		body, tail = body[:len(body)-it.tail], body[len(body)-it.tail:]
	}
	wrapped, more := wrapFolded(body, t.width, 6, limit)
	// Text the compact event left out is more too (timeline_compact.go).
	more += t.shownCut(it).rows(max(t.width-6, 1))
	rows = append(rows, wrapped...)
	it.folded = more > 0
	if it.folded {
		rows = append(rows, foldRow(more, it.expanded))
	}
	// Reactions and the thread summary stay in view under a folded message.
	tailRows, _ := wrapFolded(tail, t.width, 6, foldRows)
	return append(rows, tailRows...)
}

// expandFolded runs /expand in the open room.
func (u *UI) expandFolded() {
	tv := u.w.slot.tv
	if tv == nil {
		u.say(true, "No room open.")
		return
	}
	if n := tv.ExpandFolded(); n > 0 {
		u.say(false, "Showing %s in full.", plural(n, "long message"))
	} else {
		u.say(false, "No message is folded here.")
	}
}

// capLines keeps at most n lines of a message body and says how many more
// there were: what cannot be shown even expanded is not kept.
func capLines(lines []Line, n int) []Line {
	if len(lines) <= n {
		return lines
	}
	more := len(lines) - n
	out := make([]Line, n, n+1) // a copy: the whole body's lines can go
	copy(out, lines)
	return append(out, Line{{fmt.Sprintf("… %s more: too long to show here", plural(more, "line")), styleDim}})
}
