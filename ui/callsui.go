package ui

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/calls/browser"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// callAction forwards a call key or command to the calls controller.
func (u *UI) callAction(act Action) {
	ctl := u.s.calls
	room := u.s.current
	if ctl == nil {
		u.say(true, "Calls are not available in this session.")
		return
	}
	if u.rtcCallAction(act) {
		return
	}
	active := u.s.call
	switch act {
	case ActVoice, ActVideo:
		if room == "" {
			u.say(true, "Open a room first.")
			return
		}
		if r, ok := u.w.roomList.Room(room); ok && r.Membership != "join" {
			u.say(true, "Join the room before calling.")
			return
		}
		if act == ActVoice {
			ctl.Voice(room)
		} else {
			ctl.Video(room)
		}
	case ActAnswer, ActReject:
		if active == nil || active.State != calls.CallRinging {
			u.say(false, "No call is ringing.")
			return
		}
		if act == ActAnswer {
			ctl.Answer(active.RoomID)
		} else {
			ctl.Reject(active.RoomID)
		}
	case ActMute:
		if active == nil {
			u.say(false, "No call in progress.")
			return
		}
		ctl.ToggleMute()
	case ActHangup:
		switch {
		case active != nil:
			ctl.Hangup(active.RoomID)
		case u.conference(room) != nil:
			u.confirmEnd()
		default:
			u.say(false, "No call in progress here.")
		}
	case ActJoin:
		conf := u.conference(room)
		switch {
		case conf == nil:
			u.say(false, "There is no conference in this room.")
		case conf.Suspicious:
			u.say(true, "This conference widget failed validation and cannot be joined: %s", sanitize.Line(conf.Reason))
		default:
			ctl.JoinConference(room)
		}
	case ActEndConference:
		if u.conference(room) == nil {
			u.say(false, "There is no conference in this room.")
			return
		}
		u.confirmEnd()
	}
}

// ignoreCall silences the ringing call: no bell and no call panel for it
// any more, and nothing is sent, so it rings on at the caller's side until it
// times out there. It can still be answered or rejected while it rings.
func (u *UI) ignoreCall() {
	c := u.s.call
	if c == nil || c.State != calls.CallRinging {
		if !u.ignoreRing() {
			u.say(false, "No call is ringing.")
		}
		return
	}
	u.s.ignoredCall = c.CallID
	msg := "Ignored the call from " + u.peerName(*c) + "; it rings on for them"
	if k := u.keys.Name(ActAnswer); k != "" {
		msg += ", and " + k + " or /answer still answers it"
	}
	u.say(false, "%s.", msg)
	u.refreshCallPanel()
}

// confirmEnd asks before removing the room's conference for everyone.
func (u *UI) confirmEnd() {
	room := u.s.current
	conf := u.conference(room)
	if conf == nil || u.s.calls == nil {
		return
	}
	ctl := u.s.calls
	u.confirm("End conference", []Line{
		plain("End the video conference on "+sanitize.Line(conf.Domain)+" for everyone in this room?", styleText),
		{},
		plain("This removes the room's Jitsi widget. Press y to end it, n or Esc to keep it.", styleDim),
	}, "y end for everyone · n cancel", func() {
		ctl.EndConference(room)
		u.say(false, "Ending the conference…")
	})
}

// refreshBanner shows the open room's conference, if any.
func (u *UI) refreshBanner() {
	bg := u.w.banner.bg
	var lines []Line
	if l, ok := u.rtcBannerLine(u.s.current); ok {
		lines = append(lines, l)
	}
	conf := u.conference(u.s.current)
	if conf == nil {
		u.setBanner(lines)
		return
	}
	by := u.callName(u.s.current, conf.CreatorID, conf.CreatorName)
	kind := "Video conference"
	if conf.IsAudioOnly {
		kind = "Voice conference"
	}
	var line Line
	if conf.Suspicious {
		line = Line{{"⚠ Suspicious conference widget", bg.Foreground(tcell.ColorYellow).Bold(true)},
			{" by " + by + ": " + sanitize.Line(conf.Reason) + " — it cannot be joined.", bg}}
	} else {
		line = Line{{kind + " started by " + by + " on " + sanitize.Line(conf.Domain), bg.Bold(true)},
			{" — press " + u.keys.Name(ActJoin) + " to join", bg}}
	}
	if k := u.keys.Name(ActEndConference); k != "" && u.mayEndConference(u.s.current) {
		line = append(line, Segment{", " + k + " to end it for everyone", bg})
	}
	u.setBanner(append(lines, line))
}

// setBanner shows lines in the banner row(s), or hides it.
func (u *UI) setBanner(lines []Line) {
	if len(lines) == 0 {
		u.w.banner.SetLines()
		u.w.center.ResizeItem(u.w.banner, 0, 0)
		return
	}
	u.w.banner.SetLines(lines...)
	_, _, w, _ := u.w.center.GetRect()
	u.w.center.ResizeItem(u.w.banner, bannerRows(u.w.banner.Rows(max(w, 40))), 0)
	if u.w.banner.fit == nil {
		// After a resize the banner wraps to more or fewer rows: refit.
		u.w.banner.fit = func(rows int) {
			_, _, _, h := u.w.banner.GetInnerRect()
			if bannerRows(rows) != h {
				go u.queue(func() {
					if len(u.w.banner.lines) > 0 {
						u.w.center.ResizeItem(u.w.banner, bannerRows(u.w.banner.Rows(max(u.w.banner.innerWidth(), 1))), 0)
					}
				})
			}
		}
	}
}

// bannerRows bounds the banner's height.
func bannerRows(n int) int { return max(min(n, 4), 1) }

// peerName is how a call's peer is shown: as everywhere in the call's
// room, disambiguated (a caller named like another member is not taken
// for them).
func (u *UI) peerName(info calls.CallInfo) string {
	return u.callName(info.RoomID, info.PeerID, info.PeerName)
}

// callName is how the calls part shows a user: as the room shows them
// when it knows them, else by the name the calls controller gave
// (already disambiguated by matrix.Client.DisplayName), else the ID.
func (u *UI) callName(roomID id.RoomID, uid id.UserID, given string) string {
	if uid != "" && u.memberNames(roomID).Known(uid) {
		return u.shownName(roomID, uid)
	}
	if n := sanitize.Cut(sanitize.Line(given), matrix.MaxNameColumns+matrix.MaxUserIDColumns+3); n != "" {
		return n
	}
	return matrix.ShownName(uid, "")
}

// refreshCallPanel shows the 1:1 call and the Element Call ringing us or
// running, whatever room is open.
func (u *UI) refreshCallPanel() {
	lines := append(u.oneToOneLines(), u.rtcPanelLines()...)
	u.w.callPanel.SetLines(lines...)
	rows := len(lines)
	if rows > 0 {
		// Long lines wrap: give the panel the rows they take.
		_, _, w, _ := u.w.center.GetRect()
		rows = max(rows, u.w.callPanel.Rows(max(w, 40)))
	}
	u.w.center.ResizeItem(u.w.callPanel, rows, 0)
}

// oneToOneLines tell the 1:1 call, if any (and not ignored).
func (u *UI) oneToOneLines() []Line {
	c := u.s.call
	if c == nil || c.State == calls.CallRinging && c.CallID == u.s.ignoredCall {
		return nil
	}
	bg := u.w.callPanel.bg
	kind := "voice"
	if c.Video {
		kind = "video"
	}
	peer := u.peerName(*c)
	where := ""
	if c.RoomID != u.s.current {
		if r, ok := u.w.roomList.Room(c.RoomID); ok {
			where = " in " + roomLabel(r)
		}
	}
	k := u.keys.Name
	var lines []Line
	switch c.State {
	case calls.CallRinging:
		hint := " — " + k(ActAnswer) + " answer, " + k(ActReject) + " reject"
		if k(ActIgnore) != "" {
			hint += ", " + k(ActIgnore) + " ignore"
		}
		lines = append(lines, Line{{"☎ Incoming " + kind + " call from " + peer + where, bg.Bold(true)}, {hint, bg}})
	case calls.CallInviting:
		lines = append(lines, Line{{"☎ Calling " + peer + " (" + kind + ")" + where + "… ringing", bg.Bold(true)},
			{" — " + k(ActHangup) + " hang up", bg}})
	case calls.CallConnecting:
		lines = append(lines, Line{{"☎ Connecting " + kind + " call with " + peer + where + "…", bg.Bold(true)},
			{" — " + k(ActHangup) + " hang up", bg}})
	case calls.CallConnected:
		d := time.Duration(0)
		if !c.ConnectedAt.IsZero() {
			d = time.Since(c.ConnectedAt).Truncate(time.Second)
		}
		info := fmt.Sprintf("☎ In %s call with %s%s  %02d:%02d", kind, peer, where, int(d.Minutes()), int(d.Seconds())%60)
		l := Line{{info, bg.Bold(true)}}
		if c.Codec != "" {
			l = append(l, Segment{" · " + sanitize.Line(c.Codec), bg})
		}
		if c.Path != "" {
			l = append(l, Segment{" · " + sanitize.Line(c.Path), bg})
		}
		if c.Muted {
			l = append(l, Segment{" · MUTED", bg.Foreground(tcell.ColorYellow).Bold(true)})
		}
		if c.Problem != "" {
			l = append(l, Segment{" · " + sanitize.Line(c.Problem), bg.Foreground(tcell.ColorRed).Bold(true)})
		}
		if c.PeerMuted {
			l = append(l, Segment{" · " + peer + " muted", bg.Foreground(tcell.ColorYellow)})
		}
		l = append(l, Segment{" — " + k(ActMute) + " mute, " + k(ActHangup) + " hang up", bg})
		lines = append(lines, l)
	default:
		lines = append(lines, plain("☎ Call "+string(c.State), bg))
	}
	if a := sanitize.Line(c.Audio); a != "" && c.State != calls.CallRinging {
		// Where the sound comes from and goes, or why a device failed.
		lines = append(lines, Line{{"  audio: " + a, bg}})
	}
	if c.Video && (c.RemoteVideo != "" || c.LocalVideo != "") {
		l := Line{{"  video:", bg}}
		if c.RemoteVideo != "" {
			l = append(l, Segment{" remote " + sanitize.Line(c.RemoteVideo), bg})
		}
		if c.LocalVideo != "" {
			l = append(l, Segment{"; local " + sanitize.Line(c.LocalVideo), bg})
		}
		lines = append(lines, l)
	}
	return lines
}

// showLink shows a URL the user opens themselves: as an OSC 8 link, with
// a key that copies it with OSC 52, and as a QR code.
func (u *UI) showLink(ev calls.ShowLink) {
	link := safeLink(ev.URL)
	if link == "" {
		u.say(true, "Refusing to show a link that is not http(s).")
		return
	}
	linkStyle := styleLink
	if u.cfg.UI.OSC8Links {
		linkStyle = linkStyle.Url(link)
	}
	lines := []Line{}
	if r := sanitize.Line(ev.Reason); r != "" {
		lines = append(lines, plain(r, styleDim), Line{})
	}
	lines = append(lines, plain("Open this link in a browser:", styleText), Line{{link, linkStyle}}, Line{})
	if qr, err := browser.QR(link, false); err == nil {
		lines = append(lines, plain("or scan it with a phone:", styleText))
		for _, q := range qr {
			lines = append(lines, plain(q, tcell.StyleDefault.Foreground(tcell.ColorWhite).Background(tcell.ColorBlack)))
		}
	}
	title := sanitize.Line(ev.Title)
	if title == "" {
		title = "Link"
	}
	d := newDialog(title, lines, "c copy link (OSC 52) · ↑↓ scroll · Esc close")
	d.onKey = func(k *tcell.EventKey) bool {
		if k.Key() == tcell.KeyRune && k.Rune() == 'c' {
			if err := u.copyToClipboard(link); err != nil {
				u.say(true, "Copying failed: %s", sanitize.Line(err.Error()))
			} else {
				u.say(false, "Link copied to your terminal's clipboard (OSC 52).")
			}
			return true
		}
		return false
	}
	u.showDialog("link", d)
}

// copyToClipboard writes the OSC 52 sequence for text to the terminal.
func (u *UI) copyToClipboard(text string) error {
	seq := browser.OSC52(text)
	if u.opts.Clipboard != nil {
		_, err := io.WriteString(u.opts.Clipboard, seq)
		return err
	}
	if u.screen != nil {
		if tty, ok := u.screen.Tty(); ok {
			_, err := io.WriteString(tty, seq)
			return err
		}
		u.screen.SetClipboard([]byte(text))
		return nil
	}
	return fmt.Errorf("no terminal to copy to")
}

// showDialog puts a dialog (or a prompt) over the main view until it
// closes.
func (u *UI) showDialog(name string, m modal) {
	d := m.base()
	u.w.dialogs++
	page := fmt.Sprintf("%s-%d", name, u.w.dialogs)
	prevFocus := u.app.GetFocus()
	d.onClose = func() {
		u.pages.RemovePage(page)
		if prevFocus != nil {
			u.app.SetFocus(prevFocus)
		}
	}
	u.pages.AddPage(page, m, true, true)
	u.app.SetFocus(m)
}

// showHelp lists the commands and keys, and says what the call keys do in
// the open room (which may ask the network whether Element Call is
// available, so it is worked out off the UI goroutine).
func (u *UI) showHelp() {
	ctl, room, keys, ctx := u.s.calls, u.s.current, u.keys, u.s.sessionCtx
	if ctl == nil || room == "" || ctx == nil {
		u.showHelpWith("")
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		text := keyPlanText(ctx, ctl, room, keys)
		u.queue(func() { u.showHelpWith(text) })
	}()
}

// showHelpWith shows the help dialog with the call keys' plan.
func (u *UI) showHelpWith(plan string) {
	var lines []Line
	if plan != "" {
		lines = append(lines, plain("Calls", styleText.Bold(true)), plain("  "+plan, styleText), Line{})
	}
	lines = append(lines, plain("Commands", styleText.Bold(true)))
	// The usage column fits the longest usage, with a space after it, so
	// a wrapped description continues under itself (see hangIndent).
	width := 0
	for _, c := range commandHelp {
		width = max(width, textWidth(c.usage))
	}
	for _, c := range commandHelp {
		lines = append(lines, Line{{fmt.Sprintf("  %-*s ", width, c.usage), styleCode}, {c.text, styleText}})
	}
	lines = append(lines, Line{}, plain("Keys", styleText.Bold(true)))
	for _, kv := range u.keys.Help() {
		lines = append(lines, Line{{fmt.Sprintf("  %-12s", kv[0]), styleCode}, {kv[1], styleText}})
	}
	lines = append(lines,
		Line{{"  Alt+1…9     ", styleCode}, {"open the room with that digit in the list", styleText}},
		Line{{"  Enter       ", styleCode}, {"send", styleText}},
		Line{{"  Tab         ", styleCode}, {"complete a member name", styleText}},
		Line{{"  //text      ", styleCode}, {"send a message starting with /", styleText}})
	u.showDialog("help", newDialog("Help", lines, "↑↓ scroll · Esc close"))
}

// showWidgets lists a room's widgets.
func (u *UI) showWidgets(list []calls.WidgetInfo) {
	var lines []Line
	if len(list) == 0 {
		lines = append(lines, plain("This room has no widgets.", styleDim))
	}
	for i, w := range list {
		name := sanitize.Line(w.Name)
		if name == "" {
			name = "(unnamed)"
		}
		l := Line{{fmt.Sprintf("%d. ", i+1), styleDim}, {name, styleText.Bold(true)},
			{" (" + sanitize.Line(w.Type) + ") " + sanitize.Line(w.Host), styleText},
			{"  id " + sanitize.Line(w.ID), styleDim}}
		if w.Suspicious {
			l = append(l, Segment{"  ⚠ suspicious: " + sanitize.Line(w.Reason), styleError})
		}
		lines = append(lines, l)
	}
	lines = append(lines, Line{}, plain("/widget open N opens one; /removewidget N removes it.", styleDim))
	u.showDialog("widgets", newDialog("Widgets", lines, "Esc close"))
}

// showSwitcher opens the fuzzy room switcher.
func (u *UI) showSwitcher() {
	s := newSwitcher(u.s.rooms.Slice(), u.openRoom)
	u.w.dialogs++
	page := fmt.Sprintf("switcher-%d", u.w.dialogs)
	s.onClose = func() {
		u.pages.RemovePage(page)
		u.app.SetFocus(u.w.composer)
	}
	u.pages.AddPage(page, s, true, true)
	u.app.SetFocus(s)
}

var _ tview.Primitive = (*dialog)(nil)
