package ui

import (
	"context"
	"strings"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// Acting on one message: the select key (config "select") selects the
// newest message of the open room; Up/Down (k/j) and PgUp/PgDn move, a
// click selects, Esc (or the select key again) leaves. While a message is
// selected the composer takes no typing: the keys of the selection
// actions (config "reply", "edit", "react", "delete", "open", "copy",
// "save") act
// on it, and the footer lists those that can (edit only on the user's
// own messages, delete on their own or with the power to redact others').

// actLeaveSelection is the footer's "Esc back" item (Esc is fixed).
const actLeaveSelection Action = "leaveSelection"

// footerItem is one key of the footer.
type footerItem struct {
	key, text string
	act       Action
}

// footerItems are the keys the footer lists: the selection's actions
// while a message is selected, else the bound global keys.
func (u *UI) footerItems() []footerItem {
	var out []footerItem
	if ev, st, ok := u.selected(); ok {
		for _, a := range selectionHelp {
			if k := u.keys.Name(a.act); k != "" && u.mayDo(a.act, ev, st) {
				out = append(out, footerItem{k, a.text, a.act})
			}
		}
		return append(out, footerItem{"Esc", "back", actLeaveSelection})
	}
	for _, a := range actionHelp {
		if k := u.keys.Name(a.act); k != "" {
			out = append(out, footerItem{k, a.text, a.act})
		}
	}
	return out
}

// selected is the open room's selected message, if one is.
func (u *UI) selected() (*event.Event, ItemState, bool) {
	tv := u.focusTV()
	if tv == nil {
		return nil, ItemState{}, false
	}
	return tv.Selected()
}

// own says whether an event is the user's.
func (u *UI) own(ev *event.Event) bool {
	return u.s.client != nil && ev.Sender == u.s.client.UserID()
}

// sentID says whether an event has its server ID (it is not still being sent).
func sentID(ev *event.Event) bool { return strings.HasPrefix(string(ev.ID), "$") }

// mayDo says whether an action can act on a message.
func (u *UI) mayDo(a Action, ev *event.Event, st ItemState) bool {
	deleted := st.Redacted || ev.Unsigned.RedactedBecause != nil
	switch a {
	case ActReply, ActReact:
		return sentID(ev) && !deleted
	case ActEdit:
		_, ok := editSource(ev, st)
		return sentID(ev) && !deleted && u.own(ev) && ok
	case ActDelete:
		return sentID(ev) && !deleted && (u.own(ev) || (u.s.client != nil && u.s.client.MayRedactOthers(u.s.current, u.s.client.UserID())))
	case ActOpen:
		return !deleted && (messageLink(ev, st) != "" || isAttachment(ev, st) || u.opensThread(ev))
	case ActCopy:
		return !deleted && messageBody(ev, st) != ""
	case ActSave:
		return !deleted && isAttachment(ev, st)
	case ActThread:
		return sentID(ev) && !deleted && u.threadOpen() == nil
	}
	return false
}

// startSelection selects the open room's newest message.
func (u *UI) startSelection() {
	tv := u.focusTV()
	if tv == nil || !tv.StartSelection() {
		u.say(false, "No message to select here.")
		return
	}
	u.refreshFooter()
}

// endSelection leaves selection.
func (u *UI) endSelection() {
	if tv := u.focusTV(); tv != nil {
		tv.EndSelection()
	}
	u.refreshFooter()
}

// selectionKey handles a key while a message is selected: moving,
// the actions, Esc; a global key leaves selection and does its work;
// anything else is swallowed (it would otherwise type into the composer).
func (u *UI) selectionKey(ev *tcell.EventKey) *tcell.EventKey {
	tv := u.focusTV()
	defer u.refreshFooter()
	if act := u.keys.SelectionAction(ev); act != "" {
		u.selectionAction(act)
		return nil
	}
	switch ev.Key() {
	case tcell.KeyEscape:
		u.endSelection()
		return nil
	case tcell.KeyUp:
		tv.MoveSelection(-1)
		return nil
	case tcell.KeyDown:
		tv.MoveSelection(1)
		return nil
	case tcell.KeyPgUp:
		tv.PageSelection(-1)
		return nil
	case tcell.KeyPgDn:
		tv.PageSelection(1)
		return nil
	case tcell.KeyEnter:
		u.selectionAction(ActOpen)
		return nil
	case tcell.KeyRune:
		if ev.Modifiers()&(tcell.ModAlt|tcell.ModCtrl) == 0 {
			switch ev.Rune() {
			case 'k':
				tv.MoveSelection(-1)
			case 'j':
				tv.MoveSelection(1)
			}
			return nil
		}
	}
	if act := u.keys.Action(ev); act != "" {
		u.endSelection()
		if act != ActSelect {
			u.runAction(act)
		}
	}
	return nil
}

// selectionAction runs an action on the selected message. The actions
// that go on in the composer or a dialog (reply, edit, react, delete)
// leave selection; open and copy keep it.
func (u *UI) selectionAction(act Action) {
	if act == actLeaveSelection {
		u.endSelection()
		return
	}
	ev, st, ok := u.selected()
	if !ok {
		return
	}
	if !u.mayDo(act, ev, st) {
		u.say(true, "%s", cannotDo(act, ev))
		return
	}
	// The action gets the whole message, not the view's compact copy.
	ev, st = u.focusTV().Whole(ev, st)
	switch act {
	case ActReply:
		u.endSelection()
		u.startReply(ev)
	case ActEdit:
		u.endSelection()
		u.startEdit(ev, st)
	case ActReact:
		u.endSelection()
		u.showReactPicker(ev)
	case ActDelete:
		u.endSelection()
		u.confirmDelete(ev)
	case ActOpen:
		if messageLink(ev, st) == "" && !isAttachment(ev, st) {
			u.threadAction(ev)
			break
		}
		u.openMessage(ev, st)
	case ActCopy:
		u.copyMessage(ev, st)
	case ActSave:
		u.downloadEvent(ev, "")
	case ActThread:
		u.threadAction(ev)
	}
	u.refreshFooter()
}

// cannotDo explains why an action does not apply to a message.
func cannotDo(act Action, ev *event.Event) string {
	if !sentID(ev) {
		return "That message is still being sent."
	}
	switch act {
	case ActEdit:
		return "Only your own text messages can be edited."
	case ActDelete:
		return "You can delete only your own messages here (deleting others' needs the power to redact)."
	case ActOpen:
		return "That message has no link or attachment to open."
	case ActCopy:
		return "That message has no text to copy."
	case ActSave:
		return "That message has no file to save."
	case ActThread:
		return "That thread is open already (Esc in the composer closes it)."
	}
	return "That message was deleted."
}

// confirmDelete asks before deleting a message, then for an optional
// reason, and sends the redaction.
func (u *UI) confirmDelete(ev *event.Event) {
	room := u.s.current
	whose := "your message"
	if !u.own(ev) {
		whose = u.shownName(room, ev.Sender) + "'s message"
	}
	lines := []Line{
		plain("Delete "+whose+" for everyone?", styleText),
		Line{{"  " + clip(sanitize.Line(firstLine(messageBody(ev, ItemState{}))), 60), styleQuote}},
		Line{},
		plain("Others will see \"message deleted\".", styleDim),
	}
	u.confirm("Delete message", lines, "y delete · n or Esc keep it", func() {
		p := newPrompt("Delete message", []Line{plain("A reason, shown with the deletion (optional).", styleDim)},
			"Reason:", false, func(reason string) { u.redact(room, ev.ID, strings.TrimSpace(reason), "Message deleted.") })
		u.showDialog("reason", p)
	})
}

// redact sends a redaction in the background and says when it is done.
func (u *UI) redact(room id.RoomID, target id.EventID, reason, done string) {
	u.bg("Deleting", func(ctx context.Context, c *matrix.Client) error {
		_, err := c.Redact(ctx, room, target, reason)
		return err
	}, func() {
		if done != "" {
			u.say(false, "%s", done)
		}
	})
}

// firstLine is a text's first non-empty line.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			return l
		}
	}
	return ""
}

// newestContent is a message's content after its newest edit.
func newestContent(ev *event.Event, st ItemState) (obj, bool) {
	content, ok := contentOf(&ev.Content)
	if !ok {
		return nil, false
	}
	if st.Edit != nil {
		if ec, ok := contentOf(&st.Edit.Content); ok {
			if nc, ok := ec.sub("m.new_content"); ok {
				if _, ok := nc.str("body"); ok {
					return nc, true
				}
			}
		}
	}
	return content, true
}

// messageBody is a message's plain text after its newest edit, without a
// reply fallback; "" for anything else.
func messageBody(ev *event.Event, st ItemState) string {
	if ev.Type.Type != event.EventMessage.Type && ev.Type.Type != event.EventSticker.Type {
		return ""
	}
	content, ok := newestContent(ev, st)
	if !ok {
		return ""
	}
	body, _ := content.str("body")
	if content.replyTo() != "" {
		body = stripReplyFallback(body)
	}
	return body
}

// editSource is the text to edit a message from: its body after the
// newest edit (for a formatted message, the Markdown mautrix derives from
// its HTML), for text, notice and emote messages only.
func editSource(ev *event.Event, st ItemState) (string, bool) {
	if ev.Type.Type != event.EventMessage.Type {
		return "", false
	}
	content, ok := newestContent(ev, st)
	if !ok {
		return "", false
	}
	switch content.strOr("msgtype", "") {
	case "m.text", "m.notice", "m.emote":
	default:
		return "", false
	}
	body, ok := content.str("body")
	if content.replyTo() != "" {
		body = stripReplyFallback(body)
	}
	return body, ok
}
