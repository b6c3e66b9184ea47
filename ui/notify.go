package ui

import (
	"github.com/termatrix/termatrix/internal/childenv"
	"strings"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// bell rings the terminal bell if the config allows it.
func (u *UI) bell() {
	if u.cfg.Notifications.Bell && u.screen != nil {
		_ = u.screen.Beep()
	}
}

// notify alerts the user about a highlight or DM message: the bell, and a
// desktop notification when configured.
func (u *UI) notify(n matrix.Notify) {
	if n.Event == nil || (u.s.client != nil && n.Event.Sender == u.s.client.UserID()) {
		return
	}
	u.bell()
	if !u.cfg.Notifications.Desktop {
		return
	}
	title := "termatrix"
	if r, ok := u.w.roomList.Room(n.RoomID); ok {
		title = roomLabel(r)
	}
	body := ""
	if c, ok := contentOf(&n.Event.Content); ok {
		body = c.strOr("body", "")
	}
	sender := u.shownName(n.RoomID, n.Event.Sender)
	body = sender + ": " + sanitize.Line(body)
	if r := []rune(body); len(r) > 200 {
		body = string(r[:199]) + "…"
	}
	u.desktopNotify(title, body)
}

// desktopNotify shows a desktop notification when the config asks for
// them. Callers sanitize the strings.
func (u *UI) desktopNotify(title, body string) {
	if !u.cfg.Notifications.Desktop {
		return
	}
	notifyFn := u.opts.Notify
	if notifyFn == nil {
		notifyFn = notifySend
	}
	title, body = notifyText(title, body)
	go func() { _ = notifyFn(title, body) }()
}

// notifyText makes a notification's summary and body safe for the
// desktop: control characters go, and since notification servers may read
// the body as markup (<b>, <a href>, <img src>), its &, < and > are
// escaped as the Desktop Notifications spec asks; in the summary, which
// some servers also format, they become look-alikes that mean nothing.
func notifyText(title, body string) (string, string) {
	title = strings.NewReplacer("&", "＆", "<", "‹", ">", "›").Replace(sanitize.Line(title))
	body = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(sanitize.Line(body))
	return title, body
}

// notifySend shows a desktop notification with notify-send. The strings
// are passed as arguments after "--", never through a shell.
func notifySend(title, body string) error {
	return childenv.Command("notify-send", "--app-name=termatrix", "--", title, body).Run()
}
