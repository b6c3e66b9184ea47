package ui

import (
	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// The composer can write a reply or an edit: a row above it says which
// ("Replying to alice: first line", "Editing your message"), Esc in the
// composer cancels, Enter sends it (matrix: SendReply, SendEdit). Up in an
// empty composer edits the user's newest message, as in Element.

// composeMode is what the composer writes.
type composeMode int

const (
	composePlain composeMode = iota
	composeReply
	composeEdit
)

// composeState is the reply or edit being written.
type composeState struct {
	mode   composeMode
	room   id.RoomID
	target *event.Event
	st     ItemState // the edited message's state (its newest edit)
	source string    // the edited text as the composer was filled
}

// startReply makes the composer write a reply to ev.
func (u *UI) startReply(ev *event.Event) {
	u.s.compose = composeState{mode: composeReply, room: u.s.current, target: ev}
	u.refreshComposeBar()
	u.app.SetFocus(u.w.composer)
}

// startEdit fills the composer with a message's text to edit it.
func (u *UI) startEdit(ev *event.Event, st ItemState) {
	if tv := u.focusTV(); tv != nil {
		ev, st = tv.Whole(ev, st) // the whole text, not a compact copy's
	}
	src, ok := editSource(ev, st)
	if !ok {
		u.say(true, "%s", cannotDo(ActEdit, ev))
		return
	}
	u.s.compose = composeState{mode: composeEdit, room: u.s.current, target: ev, st: st, source: src}
	u.w.composer.SetText(src, true)
	u.refreshComposeBar()
	u.app.SetFocus(u.w.composer)
}

// cancelCompose drops the reply or edit (the text typed for an edit too).
func (u *UI) cancelCompose() {
	if u.s.compose.mode == composeEdit {
		u.w.composer.SetText("", true)
	}
	u.s.compose = composeState{}
	u.refreshComposeBar()
}

// refreshComposeBar shows the reply or edit row above the composer, in
// the room it was started in only (another room drops it).
func (u *UI) refreshComposeBar() {
	cs := u.s.compose
	if cs.mode != composePlain && cs.room != u.s.current {
		u.s.compose, cs = composeState{}, composeState{}
	}
	var l Line
	switch cs.mode {
	case composeReply:
		text := clip(sanitize.Line(firstLine(messageBody(cs.target, ItemState{}))), 60)
		l = Line{{"Replying to ", styleDim}, {u.shownName(cs.room, cs.target.Sender), senderStyle(cs.target.Sender)},
			{": " + text, styleQuote}, {"  · Esc cancels", styleDim}}
	case composeEdit:
		l = Line{{"Editing your message", styleText.Bold(true)}, {"  · Enter saves · Esc cancels", styleDim}}
	}
	if l == nil {
		u.w.composeBar.SetLines()
		u.w.center.ResizeItem(u.w.composeBar, 0, 0)
		return
	}
	u.w.composeBar.SetLines(l)
	u.w.center.ResizeItem(u.w.composeBar, 1, 0)
}

// composerRelationKey handles Esc (cancel a reply or edit) and Up in an
// empty composer (edit the newest own message); false leaves the key to
// the composer.
func (u *UI) composerRelationKey(ev *tcell.EventKey) bool {
	switch {
	case ev.Key() == tcell.KeyEscape && u.s.compose.mode != composePlain:
		u.cancelCompose()
		return true
	case ev.Key() == tcell.KeyUp && ev.Modifiers() == 0 && u.w.composer.GetText() == "":
		return u.editLast()
	}
	return false
}

// editLast starts editing the user's newest message of the open room.
func (u *UI) editLast() bool {
	tv := u.focusTV()
	if tv == nil || u.s.client == nil {
		return false
	}
	if tv.OwnSending(u.s.client.UserID()) {
		u.say(false, "Your newest message is still being sent: Up edits it once it is sent.")
		return true
	}
	ev, st, ok := tv.LastOwnMessage(u.s.client.UserID())
	if !ok {
		return false
	}
	u.startEdit(ev, st)
	return true
}

// sendComposed sends the composer's text: as a reply or an edit when one
// is being written, else as a message.
func (u *UI) sendComposed(text string) {
	cs := u.s.compose
	c := u.s.client
	if cs.room != u.s.current {
		cs.mode = composePlain
	}
	if u.sendInThread(text, cs) {
		return
	}
	switch cs.mode {
	case composeReply:
		c.SendReply(u.s.current, text, cs.target.ID, cs.target.Sender)
	case composeEdit:
		if text == cs.source {
			u.say(false, "Nothing changed; the message stays as it was.")
		} else {
			c.SendEdit(u.s.current, editOf(cs.target, cs.st), text)
		}
	default:
		c.SendText(u.s.current, text, false)
	}
	if cs.mode != composePlain {
		u.s.compose = composeState{}
		u.refreshComposeBar()
	}
}

// editOf describes the message an edit replaces.
func editOf(ev *event.Event, st ItemState) matrix.Edit {
	e := matrix.Edit{Target: ev.ID}
	content, ok := newestContent(ev, st)
	if !ok {
		return e
	}
	e.Emote = content.strOr("msgtype", "") == "m.emote"
	if m, ok := content.sub("m.mentions"); ok {
		if users, ok := m["user_ids"].([]any); ok {
			for _, x := range users {
				if s, ok := x.(string); ok {
					e.Mentioned = append(e.Mentioned, id.UserID(s))
				}
			}
		}
	}
	return e
}

// messageCommand runs /reply, /edit, /react and /delete (/redact) on the
// selected message (/edit and /react without one: the user's newest
// message, the room's newest message). It returns whether the composer
// should be cleared.
func (u *UI) messageCommand(cmd Command) bool {
	tv := u.focusTV()
	if tv == nil {
		u.say(true, "No room open.")
		return false
	}
	var own id.UserID
	if u.s.client != nil {
		own = u.s.client.UserID()
	}
	ev, st, selected := tv.Selected()
	arg := cmd.Args
	sel := u.keys.Name(ActSelect)
	switch cmd.Name {
	case "reply":
		if !selected && u.s.compose.mode == composeReply && u.s.compose.room == u.s.current {
			ev, selected = u.s.compose.target, true
		}
		if arg == "" || !selected {
			u.say(true, "Usage: /reply TEXT, with a message selected (%s)", sel)
			return false
		}
		if !u.mayDo(ActReply, ev, st) || !u.canSend() {
			u.say(true, "%s", cannotDo(ActReply, ev))
			return false
		}
		tv.EndSelection()
		u.s.client.SendReply(u.s.current, arg, ev.ID, ev.Sender)
		u.s.compose = composeState{}
		u.refreshComposeBar()
	case "edit":
		if !selected {
			var ok bool
			if ev, st, ok = tv.LastOwnMessage(own); !ok || own == "" {
				u.say(true, "Usage: /edit [TEXT], on a message of yours selected (%s) or your newest", sel)
				return false
			}
		}
		if !u.mayDo(ActEdit, ev, st) || !u.canSend() {
			u.say(true, "%s", cannotDo(ActEdit, ev))
			return false
		}
		tv.EndSelection()
		if arg == "" {
			u.startEdit(ev, st)
			u.refreshFooter()
			return false // the composer now holds the text to edit
		}
		u.s.client.SendEdit(u.s.current, editOf(ev, st), arg)
	case "react":
		if !selected {
			var ok bool
			if ev, st, ok = tv.LastMessage(); !ok {
				u.say(true, "Usage: /react KEY (an emoji, :shortcode: or text), with a message selected (%s)", sel)
				return false
			}
		}
		if arg == "" {
			u.say(true, "Usage: /react KEY (an emoji, :shortcode: or text), with a message selected (%s)", sel)
			return false
		}
		if !u.mayDo(ActReact, ev, st) || !u.canSend() {
			u.say(true, "%s", cannotDo(ActReact, ev))
			return false
		}
		u.toggleReaction(ev, reactionKey(arg))
	case "delete", "redact":
		if !selected {
			u.say(true, "Usage: /delete [REASON], with a message selected (%s)", sel)
			return false
		}
		if !u.mayDo(ActDelete, ev, st) {
			u.say(true, "%s", cannotDo(ActDelete, ev))
			return false
		}
		room := u.s.current
		u.confirm("Delete message", []Line{plain("Delete this message for everyone?", styleText)}, "y delete · n or Esc keep it",
			func() { u.redact(room, ev.ID, arg, "Message deleted.") })
	}
	u.refreshFooter()
	return true
}
