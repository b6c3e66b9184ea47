package ui

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// typingInterval throttles typing notifications while composing.
const typingInterval = 4 * time.Second

// composerMaxRows is the most rows the composer grows to.
const composerMaxRows = 5

// globalKey handles bound keys before the focused widget sees them.
func (u *UI) globalKey(ev *tcell.EventKey) *tcell.EventKey {
	u.userInput()
	front, _ := u.pages.GetFrontPage()
	if front == "login" {
		if u.keys.Is(ev, ActQuit) {
			u.Stop()
			return nil
		}
		return ev
	}
	if front != "main" {
		return ev // a dialog has the keys
	}
	if tv := u.focusTV(); tv != nil && tv.Selecting() {
		return u.selectionKey(ev)
	}
	if ev.Key() == tcell.KeyRune && ev.Modifiers()&tcell.ModAlt != 0 && ev.Rune() >= '1' && ev.Rune() <= '9' {
		if act := u.keys.Action(ev); act == "" {
			if roomID, ok := u.w.roomList.At(int(ev.Rune() - '1')); ok {
				u.openRoom(roomID)
			}
			return nil
		}
	}
	act := u.keys.Action(ev)
	if act == "" {
		return ev
	}
	if act == ActNewline {
		if u.app.GetFocus() == u.w.composer {
			u.insertNewline()
			return nil
		}
		return ev
	}
	u.runAction(act)
	return nil
}

// runAction performs a bound action.
func (u *UI) runAction(act Action) {
	room := u.s.current
	switch act {
	case ActQuit:
		u.Stop()
	case ActHelp:
		u.showHelp()
	case ActRoomSwitcher:
		u.showSwitcher()
	case ActVoice, ActVideo, ActAnswer, ActReject, ActHangup, ActMute, ActJoin, ActEndConference:
		u.guardedCallAction(act)
	case ActIgnore:
		u.ignoreCall()
	case ActToggleMembers:
		u.s.showMembers = !u.s.showMembers
		u.refreshMembers()
	case ActNextRoom:
		u.openRoom(u.w.roomList.Neighbour(1))
	case ActPrevRoom:
		u.openRoom(u.w.roomList.Neighbour(-1))
	case ActScrollUp:
		if tv := u.focusTV(); tv != nil {
			tv.PageUp()
		}
	case ActScrollDown:
		if tv := u.focusTV(); tv != nil {
			tv.PageDown()
			if tv.Following() {
				u.markRead()
			}
		}
	case ActRetry:
		u.retryFailed(room)
	case ActSelect:
		u.startSelection()
	case ActReply, ActEdit, ActReact, ActDelete, ActOpen, ActCopy, ActThread, actLeaveSelection:
		u.selectionAction(act)
	case ActAcceptInvite, ActDeclineInvite:
		r, ok := u.w.roomList.Room(room)
		if !ok || r.Membership != event.MembershipInvite {
			u.say(false, "The open room is not an invite.")
			return
		}
		if act == ActAcceptInvite {
			u.say(false, "Joining %s…", roomLabel(r))
			u.bg("Accepting the invite", func(ctx context.Context, c *matrix.Client) error {
				_, err := c.JoinRoom(ctx, string(room))
				return err
			}, func() {
				u.say(false, "Joined %s.", roomLabel(r))
				u.w.slot.tv = u.timeline(room)
				u.refreshAll()
			})
		} else {
			u.bg("Declining the invite", func(ctx context.Context, c *matrix.Client) error {
				return c.LeaveRoom(ctx, room)
			}, func() { u.say(false, "Declined the invite to %s.", roomLabel(r)) })
		}
	}
}

// widgetsEvent is the state event type of room widgets (conferences).
var widgetsEvent = event.Type{Type: "im.vector.modular.widgets", Class: event.StateEventType}

// mayEndConference says whether the user's power level lets them remove
// the open room's conference widget, which ends it for everyone.
func (u *UI) mayEndConference(room id.RoomID) bool {
	return u.s.client == nil || room == "" || u.s.client.CanSendState(room, widgetsEvent)
}

// guardedCallAction is callAction, but ending a conference for everyone
// is refused at once, without asking first, when the user may not.
func (u *UI) guardedCallAction(act Action) {
	room := u.s.current
	ending := act == ActEndConference || (act == ActHangup && u.s.call == nil && u.s.rtc.call == nil)
	if ending && u.conference(room) != nil && !u.mayEndConference(room) {
		if act == ActHangup {
			u.say(false, "No call of yours here. Only members allowed to change widgets can end the room's conference for everyone.")
		} else {
			u.say(true, "You cannot end this conference for everyone: that needs the power to change widgets in this room.")
		}
		return
	}
	u.callAction(act)
}

// composerKey handles Enter (send) and Tab (complete) in the composer.
func (u *UI) composerKey(ev *tcell.EventKey) *tcell.EventKey {
	if u.composerRelationKey(ev) {
		return nil
	}
	switch {
	case ev.Key() == tcell.KeyEnter && ev.Modifiers()&(tcell.ModAlt|tcell.ModShift|tcell.ModCtrl) == 0:
		u.submit()
		return nil
	case ev.Key() == tcell.KeyTab && ev.Modifiers() == 0:
		u.complete()
		return nil
	case ev.Key() == tcell.KeyEscape && u.cancelTransfer():
		return nil
	case ev.Key() == tcell.KeyEscape && u.closeThread():
		return nil
	}
	return ev
}

func (u *UI) insertNewline() {
	_, start, end := u.w.composer.GetSelection()
	u.w.composer.Replace(start, end, "\n")
}

// composerChanged grows the composer and sends typing notifications.
func (u *UI) composerChanged() {
	text := u.w.composer.GetText()
	_, _, width, _ := u.w.composer.GetInnerRect()
	rows := 0
	for _, l := range strings.Split(text, "\n") {
		n := 1
		if width > 1 {
			n = max((textWidth(l)+width-1)/width, 1) // wrapped rows of this line
		}
		rows += n
	}
	// The text area wraps at words, so it may need more rows than the
	// estimate: its cursor row tells, when the cursor is at the end.
	_, _, curRow, _ := u.w.composer.GetCursor()
	if _, _, end := u.w.composer.GetSelection(); end >= len(text) && curRow >= rows {
		rows = curRow + 1
	}
	height := min(rows, composerMaxRows)
	u.w.center.ResizeItem(u.w.composerRow, height, 0)
	u.fitComposerOffset(height)
	if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "/") {
		if u.s.typingRoom != "" {
			u.sendTyping(false)
		}
		return
	}
	if u.s.typingRoom != u.s.current || time.Since(u.s.typingSent) > typingInterval {
		u.sendTyping(true)
	}
}

// fitComposerOffset undoes a scroll the text area made for a smaller
// height: when the cursor is at the end of the text (typing, a paste), the
// rows above it are shown rather than blank rows below it. It runs when
// the text changes and before each draw of the composer (a paste places
// the cursor only after the change is reported).
func (u *UI) fitComposerOffset(height int) {
	c := u.w.composer
	_, _, curRow, _ := c.GetCursor()
	if _, _, end := c.GetSelection(); curRow < 0 || end < c.GetTextLength() {
		return
	}
	if off, _ := c.GetOffset(); off > max(curRow-height+1, 0) {
		c.SetOffset(max(curRow-height+1, 0), 0)
	}
}

// sendTyping sends a typing notification for the open room (on) or the
// room typed in last (off).
func (u *UI) sendTyping(on bool) {
	room := u.s.current
	if !on {
		room = u.s.typingRoom
		u.s.typingRoom = ""
	} else {
		if r, ok := u.w.roomList.Room(room); !ok || r.Membership != event.MembershipJoin {
			return
		}
		u.s.typingRoom = room
		u.s.typingSent = time.Now()
	}
	if room == "" {
		return
	}
	u.bg("Typing notification", func(ctx context.Context, c *matrix.Client) error {
		return c.SetTyping(ctx, room, on)
	}, nil)
}

// submit sends the composer's text or runs its command.
func (u *UI) submit() {
	text := strings.TrimRight(u.w.composer.GetText(), " \n\t")
	if strings.TrimSpace(text) == "" {
		return
	}
	if p, ok := droppedFile(text); ok && u.canSend() {
		u.confirmUpload(p)
		return
	}
	if cmd, ok := ParseCommand(text); ok {
		if u.runCommand(cmd) {
			u.w.composer.SetText("", true)
		}
		return
	}
	if !u.canSend() {
		return
	}
	u.sendComposed(messageText(text))
	u.w.composer.SetText("", true)
	if u.s.typingRoom != "" {
		u.sendTyping(false)
	}
	if tv := u.w.slot.tv; tv != nil && !tv.Following() {
		tv.ScrollDown(1 << 30)
	}
}

// canSend says (and explains) whether a message can go to the open room.
func (u *UI) canSend() bool {
	if u.s.client == nil {
		return false
	}
	r, ok := u.w.roomList.Room(u.s.current)
	switch {
	case !ok:
		u.say(true, "No room open; nothing was sent.")
		return false
	case r.Membership == event.MembershipInvite:
		u.say(true, "Accept the invite (%s) before writing here; nothing was sent.", u.keys.Name(ActAcceptInvite))
		return false
	}
	return true
}

// complete completes the member name before the cursor.
func (u *UI) complete() {
	if u.s.client == nil || u.s.current == "" {
		return
	}
	_, start, end := u.w.composer.GetSelection()
	if start != end {
		return
	}
	text := u.w.composer.GetText()
	before := text[:min(start, len(text))]
	i := strings.LastIndexAny(before, " \n") + 1
	word := before[i:]
	if word == "" {
		return
	}
	lw := strings.ToLower(strings.TrimPrefix(word, "@"))
	var matches []string
	for _, m := range u.s.client.Members(u.s.current) {
		name := sanitize.Line(m.DisplayName)
		local := strings.TrimPrefix(string(m.UserID), "@")
		switch {
		case name != "" && strings.HasPrefix(strings.ToLower(name), lw):
			matches = append(matches, name)
		case strings.HasPrefix(strings.ToLower(local), lw):
			if name == "" {
				name = sanitize.Line(string(m.UserID))
			}
			matches = append(matches, name)
		}
	}
	if len(matches) == 0 {
		return
	}
	repl := matches[0]
	if len(matches) > 1 {
		repl = commonPrefix(matches)
		if len([]rune(repl)) <= len([]rune(word)) {
			u.say(false, "Matches: %s", strings.Join(matches, ", "))
			return
		}
	} else if i == 0 {
		repl += ": "
	} else {
		repl += " "
	}
	u.w.composer.Replace(i, start, repl)
}

func commonPrefix(ss []string) string {
	p := []rune(ss[0])
	for _, s := range ss[1:] {
		r := []rune(s)
		n := 0
		for n < len(p) && n < len(r) && strings.EqualFold(string(p[n]), string(r[n])) {
			n++
		}
		p = p[:n]
	}
	return string(p)
}

// runCommand runs a slash command. It returns whether the composer should
// be cleared (false keeps the text to fix it).
func (u *UI) runCommand(cmd Command) bool {
	room := u.s.current
	arg := cmd.Args
	switch cmd.Name {
	case "help":
		u.showHelp()
	case "quit":
		u.Stop()
	case "logout":
		u.confirmLogout()
	case "join":
		if arg == "" {
			u.say(true, "Usage: /join #alias:server or !id:server")
			return false
		}
		u.say(false, "Joining %s…", sanitize.Line(arg))
		var joined id.RoomID
		u.bg("Joining "+sanitize.Line(arg), func(ctx context.Context, c *matrix.Client) error {
			var err error
			joined, err = c.JoinRoom(ctx, arg)
			return err
		}, func() {
			u.say(false, "Joined %s.", sanitize.Line(arg))
			u.openRoom(joined)
		})
	case "leave":
		return u.leaveCommand(arg)
	case "expand":
		u.expandFolded()
	case "invite":
		uid := id.UserID(arg)
		if _, _, err := uid.Parse(); err != nil || !strings.HasPrefix(arg, "@") {
			u.say(true, "Usage: /invite @user:server")
			return false
		}
		u.bg("Inviting "+sanitize.Line(arg), func(ctx context.Context, c *matrix.Client) error { return c.Invite(ctx, room, uid) },
			func() { u.say(false, "Invited %s.", sanitize.Line(arg)) })
	case "me":
		if arg == "" {
			u.say(true, "Usage: /me text")
			return false
		}
		if !u.canSend() {
			return false
		}
		u.s.client.SendText(room, arg, true)
	case "discard":
		return u.discardFailed(room)
	case "topic":
		return u.topicCommand(arg)
	case "nick":
		if arg == "" {
			u.say(true, "Usage: /nick name")
			return false
		}
		u.bg("Setting your name", func(ctx context.Context, c *matrix.Client) error { return c.SetDisplayName(ctx, arg) },
			func() { u.say(false, "Display name set to %s.", sanitize.Line(arg)) })
	case "voice":
		u.callAction(ActVoice)
	case "video":
		u.callAction(ActVideo)
	case "call":
		return u.callCommand(arg)
	case "answer":
		u.callAction(ActAnswer)
	case "reject":
		u.callAction(ActReject)
	case "ignore":
		u.ignoreCall()
	case "hangup":
		u.guardedCallAction(ActHangup)
	case "mute":
		u.callAction(ActMute)
	case "jitsi", "widgets", "widget", "addwidget", "removewidget":
		return u.widgetCommand(cmd)
	case "recovery", "crosssigning", "keys", "devices":
		return u.e2eeCommand(cmd)
	case "verify":
		return u.verifyCommand(cmd)
	case "reply", "edit", "react", "delete", "redact":
		return u.messageCommand(cmd)
	case "upload":
		return u.uploadCommand(arg)
	case "download":
		return u.downloadCommand(arg)
	case "cancel":
		return u.cancelCommand()
	case "create":
		return u.createCommand(arg)
	case "dm":
		return u.dmCommand(arg)
	case "search":
		return u.searchCommand(arg)
	case "thread":
		return u.threadCommand()
	default:
		u.say(true, "Unknown command /%s — nothing was sent. Type /help for the list.", sanitize.Line(cmd.Name))
		return false
	}
	return true
}

// widgetCommand runs /jitsi, /widgets, /widget, /addwidget and /removewidget.
func (u *UI) widgetCommand(cmd Command) bool {
	ctl := u.s.calls
	room := u.s.current
	if ctl == nil {
		u.say(true, "Calls and widgets are not available in this session.")
		return false
	}
	arg := cmd.Args
	switch cmd.Name {
	case "jitsi":
		switch arg {
		case "":
			d := ctl.JitsiDomain()
			u.say(false, "New conferences use %s (%s).", sanitize.Line(d.Domain), sanitize.Line(d.Source))
			ctx, keys := u.s.sessionCtx, u.keys
			go func() {
				ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				if plan := keyPlanText(ctx, ctl, room, keys); plan != "" {
					u.sayLater(false, "New conferences use %s (%s). %s", sanitize.Line(d.Domain), sanitize.Line(d.Source), plan)
				}
			}()
		case "refresh":
			u.say(false, "Re-reading the homeserver's Jitsi settings…")
			ctx := u.s.sessionCtx
			go func() {
				err := ctl.RefreshJitsi(ctx)
				d := ctl.JitsiDomain()
				if err != nil {
					u.sayLater(true, "Jitsi refresh failed: %s; using %s (%s)", sanitize.Line(err.Error()), sanitize.Line(d.Domain), sanitize.Line(d.Source))
					return
				}
				u.sayLater(false, "New conferences use %s (%s).", sanitize.Line(d.Domain), sanitize.Line(d.Source))
			}()
		default:
			u.say(true, "Usage: /jitsi or /jitsi refresh")
			return false
		}
	case "widgets":
		list := ctl.Widgets(room)
		u.s.widgets[room] = list
		u.showWidgets(list)
	case "widget":
		n := strings.TrimSpace(strings.TrimPrefix(arg, "open"))
		w, ok := u.widgetByRef(room, n)
		if !ok {
			u.say(true, "Usage: /widget open N (N from /widgets)")
			return false
		}
		ctl.OpenWidget(room, w.ID)
	case "addwidget":
		if safeLink(arg) == "" {
			u.say(true, "Usage: /addwidget https://... (http or https URLs only)")
			return false
		}
		ctl.AddWidget(room, arg)
	case "removewidget":
		w, ok := u.widgetByRef(room, arg)
		if !ok {
			u.say(true, "Usage: /removewidget ID (or N from /widgets)")
			return false
		}
		ctl.RemoveWidget(room, w.ID)
	}
	return true
}

// widgetByRef finds a widget by its number in /widgets or its ID.
func (u *UI) widgetByRef(room id.RoomID, ref string) (struct{ ID string }, bool) {
	if ref == "" || u.s.calls == nil {
		return struct{ ID string }{}, false
	}
	list := u.s.widgets[room]
	if list == nil {
		list = u.s.calls.Widgets(room)
		u.s.widgets[room] = list
	}
	if n, err := strconv.Atoi(ref); err == nil && n >= 1 && n <= len(list) {
		return struct{ ID string }{list[n-1].ID}, true
	}
	for _, w := range u.s.calls.Widgets(room) {
		if w.ID == ref {
			return struct{ ID string }{w.ID}, true
		}
	}
	return struct{ ID string }{ref}, strings.TrimSpace(ref) != "" && !strings.ContainsAny(ref, " \n")
}
