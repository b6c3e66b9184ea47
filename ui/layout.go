package ui

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// widgets are the main view's parts.
type widgets struct {
	root        *tview.Flex
	body        *tview.Flex
	center      *tview.Flex
	composerRow *tview.Flex
	roomList    *RoomList
	header      *linesView
	banner      *linesView
	callPanel   *linesView
	slot        *timelineSlot
	typing      *linesView
	composeBar  *linesView // "Replying to…", "Editing…" (compose_relation.go)
	composer    *tview.TextArea
	voiceBtn    *tview.Button
	videoBtn    *tview.Button
	members     *linesView
	status      *linesView
	footer      *linesView
	login       *tview.Form
	loginMsg    *tview.TextView
	loginCol    *tview.Flex
	loginPage   *tview.Flex     // the login column, centred
	loginHelp   *tview.TextView // the help under the form
	loginWidth  int             // the screen width the login page was fitted at
	bodyWidth   int             // the width the body was last fitted at
	dialogs     int

	// The status message shown and since when, so that it expires:
	// statusTTL[0] for notes, statusTTL[1] for errors.
	statusMsg   string
	statusMsgAt time.Time
	statusTTL   [2]time.Duration

	footerSpans [][]footerSpan // the keys in each footer row, for clicks
	footerWidth int            // the width the footer was last refitted at
}

// How long a status message stays when nothing replaces it.
const (
	statusNoteTTL  = 15 * time.Second
	statusErrorTTL = 60 * time.Second
)

// timelineSlot shows the open room's timeline, or a placeholder.
type timelineSlot struct {
	*tview.Box
	tv          *TimelineView
	placeholder *linesView
	thread      *threadPane // the open thread (thread_pane.go)
}

func (s *timelineSlot) current() tview.Primitive {
	if s.tv != nil {
		return s.tv
	}
	return s.placeholder
}

// Draw draws the open room's timeline or the placeholder.
func (s *timelineSlot) Draw(screen tcell.Screen) {
	x, y, w, h := s.GetRect()
	if s.drawThread(screen, x, y, w, h) {
		return
	}
	p := s.current()
	p.SetRect(x, y, w, h)
	p.Draw(screen)
}

// MouseHandler passes mouse events to what is shown.
func (s *timelineSlot) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (consumed bool, capture tview.Primitive) {
	if s.thread != nil && s.tv != nil {
		return s.threadMouse()
	}
	return s.current().MouseHandler()
}

const (
	roomListWidth = 28
	membersWidth  = 30
)

// build makes the widgets and the pages.
func (u *UI) build() {
	w := &u.w
	w.roomList = NewRoomList()
	w.roomList.SetBorderPadding(0, 0, 1, 1)
	w.roomList.onSelect = u.openRoom
	w.header = newLinesView()
	w.header.bg = tcell.StyleDefault.Background(tcell.ColorNavy).Foreground(tcell.ColorWhite)
	w.banner = newLinesView()
	w.banner.wrap = true
	w.banner.bg = tcell.StyleDefault.Background(tcell.ColorDarkGreen).Foreground(tcell.ColorWhite)
	w.callPanel = newLinesView()
	w.callPanel.wrap = true
	w.callPanel.bg = tcell.StyleDefault.Background(tcell.ColorMaroon).Foreground(tcell.ColorWhite)
	w.slot = &timelineSlot{Box: tview.NewBox(), placeholder: newLinesView()}
	w.slot.placeholder.wrap = true
	w.typing = newLinesView()
	w.composeBar = newLinesView()
	w.composer = tview.NewTextArea()
	w.composer.SetPlaceholder("Type a message, or /help")
	w.composer.SetInputCapture(u.composerKey)
	w.composer.SetChangedFunc(u.composerChanged)
	w.composer.SetDrawFunc(func(_ tcell.Screen, x, y, width, height int) (int, int, int, int) {
		u.fitComposerOffset(height)
		return x, y, width, height
	})
	// A click focuses a button; give the focus back to the composer.
	w.voiceBtn = tview.NewButton(u.buttonLabel("Voice", ActVoice)).SetSelectedFunc(func() {
		u.callAction(ActVoice)
		u.app.SetFocus(u.w.composer)
	})
	w.videoBtn = tview.NewButton(u.buttonLabel("Video", ActVideo)).SetSelectedFunc(func() {
		u.callAction(ActVideo)
		u.app.SetFocus(u.w.composer)
	})
	for _, b := range []*tview.Button{w.voiceBtn, w.videoBtn} {
		b.SetStyle(tcell.StyleDefault.Background(tcell.ColorDarkCyan).Foreground(tcell.ColorWhite))
		b.SetActivatedStyle(tcell.StyleDefault.Background(tcell.ColorTeal).Foreground(tcell.ColorWhite))
	}
	w.composerRow = tview.NewFlex().
		AddItem(w.composer, 0, 1, true).
		AddItem(nil, 1, 0, false).
		AddItem(w.voiceBtn, len(u.buttonLabel("Voice", ActVoice))+2, 0, false).
		AddItem(nil, 1, 0, false).
		AddItem(w.videoBtn, len(u.buttonLabel("Video", ActVideo))+2, 0, false)
	w.center = tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(w.header, 1, 0, false).
		AddItem(w.banner, 0, 0, false).
		AddItem(w.callPanel, 0, 0, false).
		AddItem(w.slot, 0, 1, false).
		AddItem(w.typing, 1, 0, false).
		AddItem(w.composeBar, 0, 0, false).
		AddItem(w.composerRow, 1, 0, true)
	w.members = newLinesView()
	w.members.SetBorder(true).SetTitle(" Members ")
	w.body = tview.NewFlex().
		AddItem(w.roomList, roomListWidth, 0, false).
		AddItem(w.center, 0, 1, true).
		AddItem(w.members, 0, 0, false)
	w.body.SetDrawFunc(func(_ tcell.Screen, x, y, width, height int) (int, int, int, int) {
		if width != w.bodyWidth {
			w.bodyWidth = width
			u.fitSides()
		}
		return x, y, width, height
	})
	w.status = newLinesView()
	w.status.bg = tcell.StyleDefault.Background(tcell.ColorDarkSlateGray).Foreground(tcell.ColorWhite)
	w.footer = newLinesView()
	w.footer.onClick = u.footerClick
	// At another width the footer is laid out again; when that changes
	// its height, the next draw shows it.
	w.footer.SetDrawFunc(func(_ tcell.Screen, x, y, width, height int) (int, int, int, int) {
		if width != w.footerWidth {
			w.footerWidth = width
			u.refreshFooter()
			if len(w.footerSpans) != height {
				go u.queue(func() {})
			}
		}
		return x, y, width, height
	})
	w.root = tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(w.body, 0, 1, true).
		AddItem(w.status, 1, 0, false).
		AddItem(w.footer, 1, 0, false)
	u.pages = tview.NewPages().AddPage("main", w.root, true, true)
	u.buildLogin()
	u.app.SetRoot(u.pages, true)
	u.refreshFooter()
	u.refreshMembers()
}

func (u *UI) buttonLabel(name string, a Action) string {
	if k := u.keys.Name(a); k != "" {
		return name + " " + k
	}
	return name
}

// setRooms shows a new room list and keeps the open room.
func (u *UI) setRooms(rooms matrix.RoomList) {
	u.s.rooms = rooms
	u.w.roomList.SetRooms(rooms)
	if u.s.current == "" && rooms.Len() > 0 {
		// The first joined room (invites come first), else the first invite.
		u.openRoom(rooms.At(min(rooms.Invites(), rooms.Len()-1)).ID)
	}
	u.w.roomList.SetSelected(u.s.current)
	u.refreshHeader()
	if r, ok := u.w.roomList.Room(u.s.current); ok {
		switch {
		case r.Membership == event.MembershipInvite:
			u.refreshPlaceholder()
		case u.w.slot.tv == nil:
			// An invite was accepted (here or elsewhere): show the timeline.
			u.w.slot.tv = u.timeline(u.s.current)
			u.markRead()
		}
	}
	if _, ok := u.w.roomList.Room(u.s.current); !ok && u.s.current != "" {
		// The room is gone (left): open another.
		u.s.current = ""
		u.w.slot.tv = nil
		if first, ok := u.w.roomList.At(0); ok {
			u.openRoom(first)
		} else {
			u.refreshAll()
		}
	}
}

// renderContext is how a room's events are rendered.
func (u *UI) renderContext(roomID id.RoomID) RenderContext {
	c := u.s.client
	names := u.memberNames(roomID)
	var own id.UserID
	var device id.DeviceID
	if c != nil {
		own, device = c.UserID(), c.DeviceID()
	}
	var mayRedact func(id.UserID) bool
	if c != nil {
		mayRedact = func(uid id.UserID) bool { return c.MayRedactOthers(roomID, uid) }
	}
	return RenderContext{
		Own:       own,
		OwnDevice: device,
		MayRedact: mayRedact,
		OSC8:      u.cfg.UI.OSC8Links,
		Name:      names.Name,
		Members:   names,
	}
}

// memberNames is the index of a room's members' names, read from the
// store the first time and kept current by noteState.
func (u *UI) memberNames(roomID id.RoomID) *matrix.NameIndex {
	names := u.s.names[roomID]
	if names == nil {
		names = matrix.NewNameIndex()
		if c := u.s.client; c != nil {
			names = c.MemberNames(roomID)
		}
		// Without a client (tests), StateChanged alone fills it; a
		// session's attach starts afresh.
		u.s.names[roomID] = names
	}
	return names
}

// shownName is how a user is shown in a room's typing line, member list,
// call panel, banner and notifications: as in its timeline, their current
// name, disambiguated and cut (matrix.ShownName).
func (u *UI) shownName(roomID id.RoomID, uid id.UserID) string {
	names := u.memberNames(roomID)
	return matrix.ShownName(uid, names.Name(uid), names)
}

// timeline returns a room's timeline view; a new one is built from the
// store after the next frame (timeline_load.go).
func (u *UI) timeline(roomID id.RoomID) *TimelineView {
	if tv := u.s.timelines[roomID]; tv != nil {
		return tv
	}
	defer u.touchView(roomID)
	tv := NewTimelineView(u.renderContext(roomID))
	tv.SetRetryKey(u.keys.Name(ActRetry))
	if u.s.client != nil {
		u.buildTimeline(roomID, tv)
	}
	tv.SetOnReachTop(func() { u.loadHistory(roomID, tv) })
	tv.SetOnMissingQuote(func(e id.EventID) { u.fetchQuoted(roomID, tv, e) })
	tv.SetReload(u.storedEvent(roomID))
	tv.SetOnSelectClick(u.refreshFooter)
	u.s.timelines[roomID] = tv
	return tv
}

// loadHistory asks the client for older events; they come back as HistoryLoaded.
func (u *UI) loadHistory(roomID id.RoomID, tv *TimelineView) {
	u.bg("Loading history", func(ctx context.Context, c *matrix.Client) error {
		err := c.LoadHistory(ctx, roomID, 50)
		if err != nil {
			u.queue(func() { tv.SetLoading(false) })
		}
		return err
	}, nil)
}

// openRoom shows a room.
func (u *UI) openRoom(roomID id.RoomID) {
	if roomID == "" {
		return
	}
	if u.s.current != roomID && u.s.typingRoom != "" {
		u.sendTyping(false)
	}
	if prev := u.w.slot.tv; prev != nil && u.s.current != roomID {
		prev.DropRows()
	}
	if u.s.current != roomID {
		u.closeThread()
	}
	u.s.current = roomID
	u.w.roomList.SetSelected(roomID)
	r, _ := u.w.roomList.Room(roomID)
	if r.Membership == event.MembershipInvite {
		u.w.slot.tv = nil
		u.refreshPlaceholder()
	} else {
		u.w.slot.tv = u.timeline(roomID)
		u.touchView(roomID)
		u.markRead()
	}
	u.refreshAll()
}

// refreshPlaceholder explains an invite (or that no room is open).
func (u *UI) refreshPlaceholder() {
	r, ok := u.w.roomList.Room(u.s.current)
	switch {
	case ok && r.Membership == event.MembershipInvite:
		inviter := sanitize.Line(string(r.Inviter))
		if inviter == "" {
			inviter = "someone"
		}
		u.w.slot.placeholder.SetLines(
			Line{},
			Line{{"You are invited to ", styleText}, {roomLabel(r), styleText.Bold(true)}, {" by " + inviter + ".", styleText}},
			Line{},
			Line{{"Press " + u.keys.Name(ActAcceptInvite) + " to accept, " + u.keys.Name(ActDeclineInvite) + " to decline.", styleDim}},
		)
	default:
		u.w.slot.placeholder.SetLines(Line{}, plain("No room open. Join one with /join #room:server, or wait for an invite.", styleDim))
	}
}

// markRead sends a read receipt for the newest event of the open room,
// when the newest events are on screen.
func (u *UI) markRead() {
	tv := u.s.timelines[u.s.current]
	if tv == nil || u.s.client == nil || !tv.Following() {
		return // scrolled up: the newest events are not seen yet
	}
	last := tv.LastEventID()
	roomID := u.s.current
	if last == "" || u.s.lastRead[roomID] == last {
		return
	}
	u.s.lastRead[roomID] = last
	// A failed receipt is not worth a status error (it names a room ID and
	// says nothing the sync status does not): forget it, so the next
	// chance to mark the room read sends it again. None is sent when our
	// own receipt, as the server echoed it, already covers the event (the
	// open room at every start): the room's counts cannot tell, as the
	// server may count later than the events arrive.
	c, ctx := u.s.client, u.s.sessionCtx
	go func() {
		cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if read, err := c.HasRead(cctx, roomID, last); err == nil && read {
			return
		}
		if err := c.MarkRead(cctx, roomID, last); err != nil {
			u.queue(func() {
				if u.s.lastRead[roomID] == last {
					delete(u.s.lastRead, roomID)
				}
			})
		}
	}()
}

// refreshAll redraws every part that depends on the open room.
func (u *UI) refreshAll() {
	u.refreshHeader()
	u.refreshBanner()
	u.refreshCallPanel()
	u.refreshTyping()
	u.refreshMembers()
	u.refreshStatus()
	u.refreshComposeBar()
	u.refreshFooter()
	if u.w.slot.tv == nil {
		u.refreshPlaceholder()
	}
}

func (u *UI) refreshHeader() {
	r, ok := u.w.roomList.Room(u.s.current)
	if !ok {
		u.w.header.SetText(" termatrix", u.w.header.bg.Bold(true))
		return
	}
	line := Line{{" " + roomLabel(r), u.w.header.bg.Bold(true)}}
	if r.Encrypted {
		// Next to the name, so a long topic never cuts it off.
		line = append(line, Segment{" " + encryptedMark, u.w.header.bg})
	}
	if t := sanitize.Cut(sanitize.Line(headOf(r.Topic, 4096)), topicCols); t != "" {
		line = append(line, Segment{" — " + t, u.w.header.bg})
	}
	u.w.header.SetLines(line)
}

func (u *UI) refreshTyping() {
	users := u.s.typing[u.s.current]
	if len(users) == 0 {
		u.w.typing.SetLines()
		return
	}
	var names []string
	for _, uid := range users {
		names = append(names, u.shownName(u.s.current, uid))
	}
	verb := " is typing…"
	if len(names) > 1 {
		verb = " are typing…"
	}
	if len(names) > 3 {
		names = append(names[:3], fmt.Sprintf("%d others", len(names)-3))
	}
	u.w.typing.SetText(strings.Join(names, ", ")+verb, styleDim)
}

func (u *UI) refreshMembers() {
	u.checkRoomTrust()
	u.fitSides()
	if !u.s.showMembers {
		return
	}
	if u.s.client == nil || u.s.current == "" {
		u.w.members.SetLines()
		return
	}
	members := u.s.client.Members(u.s.current)
	sort.SliceStable(members, func(i, j int) bool {
		if members[i].PowerLevel != members[j].PowerLevel {
			return members[i].PowerLevel > members[j].PowerLevel
		}
		return strings.ToLower(members[i].DisplayName) < strings.ToLower(members[j].DisplayName)
	})
	lines := []Line{}
	names := u.memberNames(u.s.current)
	for _, m := range members {
		// The list is narrow: a disambiguated name keeps its user ID in
		// view (the name is cut first).
		raw := names.Name(m.UserID)
		if !names.Known(m.UserID) && m.DisplayName != string(m.UserID) {
			raw = m.DisplayName
		}
		name := matrix.MemberNameFit(m.UserID, raw, matrix.NeedsDisambiguation(m.UserID, raw, names), membersWidth-5)
		l := Line{}
		if m.PowerLevel != 0 {
			l = append(l, Segment{fmt.Sprintf("%3d ", m.PowerLevel), styleDim})
		} else {
			l = append(l, Segment{"    ", styleDim})
		}
		l = append(l, Segment{name, senderStyle(m.UserID).Bold(false)})
		if seg, ok := u.trustSegment(m.UserID); ok {
			l = append(l, seg)
		}
		if m.Membership == event.MembershipInvite {
			l = append(l, Segment{" (invited)", styleDim})
		}
		lines = append(lines, l)
	}
	u.w.members.SetLines(lines...)
}

func (u *UI) refreshStatus() {
	st := u.s.sync
	var line Line
	bg := u.w.status.bg
	switch {
	case u.s.client == nil && st.State == matrix.StateOffline && st.Err == nil:
		line = append(line, Segment{" not logged in", bg})
	case st.State == matrix.StateSynced:
		line = append(line, Segment{" synced", bg.Foreground(tcell.ColorLightGreen)})
	case st.State == matrix.StateStalled:
		txt := fmt.Sprintf(" homeserver not answering (%ds)…", max(int(time.Since(st.Due).Seconds()), 0))
		line = append(line, Segment{txt, bg.Foreground(tcell.ColorRed)})
	case st.State == matrix.StateReconnecting:
		line = append(line, Segment{" reconnecting" + u.retryText(st, "", "…"), bg.Foreground(tcell.ColorYellow)})
	case st.State == matrix.StateConnecting && st.Err != nil:
		line = append(line, Segment{" retrying… (" + sanitize.Line(st.Err.Error()) + ")", bg.Foreground(tcell.ColorYellow)})
	case st.State == matrix.StateConnecting:
		line = append(line, Segment{" connecting…", bg.Foreground(tcell.ColorYellow)})
	default:
		line = append(line, Segment{" offline" + u.retryText(st, ", retrying", ", retrying…"), bg.Foreground(tcell.ColorRed)})
	}
	line = append(line, u.transferSegments(bg)...)
	u.expireMessage()
	if u.s.message == "" {
		line = append(line, u.verificationMark(bg)...)
	} else {
		ms := bg
		if u.s.messageErr {
			ms = bg.Foreground(tcell.ColorRed).Bold(true)
		}
		line = append(line, Segment{" │ ", bg}, Segment{u.s.message, ms})
	}
	u.w.status.SetLines(line)
}

// retryText says when the next attempt comes and why: " in 3s (error)".
// The countdown rounds up and never shows 0 s: at its end it says the
// retry is starting (the client then says it has started). started is
// the phrase for that moment.
func (u *UI) retryText(st matrix.StatusChanged, prefix, started string) string {
	txt := ""
	if st.RetryIn > 0 {
		left := st.RetryIn - time.Since(u.s.syncAt)
		if secs := int(math.Ceil(left.Seconds())); secs > 0 {
			txt = fmt.Sprintf("%s in %ds", prefix, secs)
		} else {
			txt = started
		}
	}
	if st.Err != nil {
		txt += " (" + sanitize.Line(st.Err.Error()) + ")"
	}
	return txt
}

// expireMessage drops the status message once it has been shown for its
// time: a note or an error that nothing replaced does not stay for good.
func (u *UI) expireMessage() {
	msg := u.s.message
	if msg == "" {
		u.w.statusMsg = ""
		return
	}
	ttl := u.w.statusTTL[0]
	if u.s.messageErr {
		ttl = u.w.statusTTL[1]
	}
	if ttl <= 0 {
		ttl = statusNoteTTL
		if u.s.messageErr {
			ttl = statusErrorTTL
		}
	}
	if msg != u.w.statusMsg {
		u.w.statusMsg, u.w.statusMsgAt = msg, time.Now()
		time.AfterFunc(ttl, func() { u.queue(u.refreshStatus) })
		return
	}
	if time.Since(u.w.statusMsgAt) >= ttl {
		u.s.message, u.s.messageErr, u.w.statusMsg = "", false, ""
	}
}

// footerMaxRows is the most rows the footer takes; keys that do not fit
// are left out whole (F1 help lists them all).
const footerMaxRows = 2

// footerSpan is the columns of one key in a footer row.
type footerSpan struct {
	from, to int
	act      Action
}

// refreshFooter lists the key bindings, laid out whole item by item on
// up to footerMaxRows rows of the footer's width: an item is never cut.
func (u *UI) refreshFooter() {
	width := u.w.footerWidth
	if width <= 0 {
		width = 160 // not drawn yet: the first draw lays it out again
	}
	var lines []Line
	var spans [][]footerSpan
	var line Line
	var rowSpans []footerSpan
	x := 0
	for _, a := range u.footerItems() {
		key := a.key
		w := textWidth(key) + 1 + textWidth(a.text)
		start := x
		if x > 0 {
			start += 2
		}
		if x > 0 && start+w > width {
			if len(lines)+1 == footerMaxRows {
				break
			}
			lines, spans = append(lines, line), append(spans, rowSpans)
			line, rowSpans, start = Line{{"  ", styleText}}, nil, 2
		} else if x > 0 {
			line = append(line, Segment{"  ", styleText})
		}
		line = append(line, Segment{key, styleText.Bold(true).Foreground(tcell.ColorTeal)}, Segment{" " + a.text, styleDim})
		rowSpans = append(rowSpans, footerSpan{start, start + w, a.act})
		x = start + w
	}
	if len(line) > 0 {
		lines, spans = append(lines, line), append(spans, rowSpans)
	}
	u.w.footer.SetLines(lines...)
	u.w.footerSpans = spans
	u.w.root.ResizeItem(u.w.footer, max(len(lines), 1), 0)
}

// footerClick runs the action whose key is clicked in the footer.
func (u *UI) footerClick(row, col int) {
	if row < 0 || row >= len(u.w.footerSpans) {
		return
	}
	for _, sp := range u.w.footerSpans[row] {
		if col >= sp.from && col < sp.to {
			u.runAction(sp.act)
			return
		}
	}
}
