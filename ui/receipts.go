package ui

import (
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/rivo/uniseg"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// Read receipts are shown at the end of a message's last line as the
// first letters of the readers' shown names, newest reader first:
// " ✓AB" for two, " ✓ABC+4" for seven. Each reader is shown on the newest
// loaded event they have read (a hidden one, a reaction say, gives its
// mark to the nearest shown event above it); a receipt on an event not
// loaded is not shown. Our own receipt is not shown (as Element).

// maxReceiptLetters is how many readers a mark names; the rest are counted.
const maxReceiptLetters = 3

// maxReceiptWalk bounds the walk from a hidden event to a shown one.
const maxReceiptWalk = 50

// receiptState is what the timeline knows of a room's read receipts.
type receiptState struct {
	all map[id.UserID]matrix.Receipt
	// marks are the readers placed on each loaded item, newest first.
	marks map[*tlItem][]id.UserID
	// placed is the shape of the timeline the marks were placed on.
	placed placedShape
	stale  bool
}

// placedShape tells when loaded events changed since receipts were placed.
type placedShape struct {
	n, ids      int
	first, last *tlItem
}

func (t *TimelineView) shape() placedShape {
	s := placedShape{n: len(t.items), ids: len(t.byID)}
	if len(t.items) > 0 {
		s.first, s.last = t.items[0], t.items[len(t.items)-1]
	}
	return s
}

// SetReceipts replaces the room's read receipts (from Client.Receipts when
// the view is built).
func (t *TimelineView) SetReceipts(all map[id.UserID]matrix.Receipt) {
	t.receipts.all = make(map[id.UserID]matrix.Receipt, len(all))
	for u, r := range all {
		t.receipts.all[u] = r
	}
	t.receipts.stale = true
}

// UpdateReceipts takes the receipts that moved (matrix.ReceiptsChanged).
func (t *TimelineView) UpdateReceipts(changed map[id.UserID]matrix.Receipt) {
	if t.receipts.all == nil {
		t.receipts.all = make(map[id.UserID]matrix.Receipt, len(changed))
	}
	for u, r := range changed {
		t.receipts.all[u] = r
	}
	t.receipts.stale = true
}

// placeReceipts puts each reader on the item that shows their receipt,
// if the receipts or the loaded events changed since the last time, and
// has the items whose mark changed rendered again.
func (t *TimelineView) placeReceipts() {
	rs := &t.receipts
	if !rs.stale && rs.placed == t.shape() {
		return
	}
	rs.stale = false
	marks := map[*tlItem][]id.UserID{}
	anchors := map[*tlItem]*tlItem{}
	for user, r := range rs.all {
		if user == t.rc.Own {
			continue
		}
		it := t.byID[r.EventID]
		if it == nil {
			continue
		}
		a, ok := anchors[it]
		if !ok {
			a = t.receiptAnchor(it)
			anchors[it] = a
		}
		if a != nil {
			marks[a] = append(marks[a], user)
		}
	}
	for _, users := range marks {
		slices.SortFunc(users, func(a, b id.UserID) int {
			if c := rs.all[b].TS.Compare(rs.all[a].TS); c != 0 {
				return c
			}
			return strings.Compare(string(a), string(b))
		})
	}
	for it, old := range rs.marks {
		if !slices.Equal(old, marks[it]) {
			it.rendered, it.rows = false, nil
		}
	}
	for it := range marks {
		if _, had := rs.marks[it]; !had {
			it.rendered, it.rows = false, nil
		}
	}
	rs.marks = marks
	rs.placed = t.shape()
}

// receiptAnchor is the item a receipt on it is shown on: itself if shown,
// else the nearest shown item above it; nil if none is near.
func (t *TimelineView) receiptAnchor(it *tlItem) *tlItem {
	t.render(it)
	if len(it.lines) > 0 {
		return it
	}
	i := t.indexOf(it)
	for j := i - 1; j >= 0 && j >= i-maxReceiptWalk; j-- {
		t.render(t.items[j])
		if len(t.items[j].lines) > 0 {
			return t.items[j]
		}
	}
	return nil
}

// withReceipts appends an item's receipt mark to its last line.
func (t *TimelineView) withReceipts(it *tlItem, lines []Line) []Line {
	users := t.receipts.marks[it]
	if len(users) == 0 || len(lines) == 0 {
		return lines
	}
	mark := t.receiptMark(users)
	last := append(append(Line(nil), lines[len(lines)-1]...), Segment{mark, styleDim})
	return append(lines[:len(lines)-1:len(lines)-1], last)
}

// receiptMark is " ✓" and the first letters of up to three readers, then
// "+N" for the others.
func (t *TimelineView) receiptMark(users []id.UserID) string {
	var b strings.Builder
	b.WriteString(" ✓")
	for _, u := range users[:min(len(users), maxReceiptLetters)] {
		name := ""
		if t.rc.Name != nil {
			name = t.rc.Name(u)
		}
		b.WriteString(initial(matrix.ShownName(u, name, t.rc.Members, t.history)))
	}
	if n := len(users) - maxReceiptLetters; n > 0 {
		b.WriteString("+" + strconv.Itoa(n))
	}
	return b.String()
}

// initial is the letter an avatar of a shown name would carry: its first
// grapheme after sigils and punctuation (the @ of a user ID), upper case,
// one or two columns wide; "?" when there is none.
func initial(shown string) string {
	s := sanitize.Line(shown)
	s = strings.TrimLeftFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) && r < 0x2000
	})
	g, _, w, _ := uniseg.FirstGraphemeClusterInString(s, -1)
	if g == "" || w < 1 || w > 2 {
		return "?"
	}
	return strings.ToUpper(g)
}

// loadReceipts gives a view being built its room's stored receipts.
func (u *UI) loadReceipts(tv *TimelineView, roomID id.RoomID) {
	all, err := u.s.client.Receipts(roomID)
	if err != nil {
		u.say(true, "Reading read receipts failed: %s", sanitize.Line(err.Error()))
		return
	}
	tv.SetReceipts(all)
}
