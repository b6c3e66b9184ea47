package ui

import (
	"context"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// buildLogin makes the login form page.
func (u *UI) buildLogin() {
	f := tview.NewForm()
	f.AddInputField("User ID", "", 40, nil, nil)
	f.AddInputField("Homeserver", "", 40, nil, nil)
	f.AddPasswordField("Password", "", 40, '*', nil)
	f.AddButton("Log in", u.submitLogin)
	f.AddButton("Quit", u.Stop)
	f.SetBorder(true).SetTitle(" termatrix — log in ")
	msg := tview.NewTextView().SetDynamicColors(false).SetWrap(true).SetWordWrap(true)
	help := tview.NewTextView().SetDynamicColors(false).SetWrap(true).SetWordWrap(true).SetText(loginHelpText)
	help.SetTextColor(tcell.ColorGray)
	col := tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(nil, 0, 1, false).
		AddItem(f, 11, 0, true).
		AddItem(msg, 0, 0, false).
		AddItem(help, textRows(loginHelpText, loginWidth), 0, false).
		AddItem(nil, 0, 1, false)
	page := tview.NewFlex().
		AddItem(nil, 0, 1, false).
		AddItem(col, loginWidth, 0, true).
		AddItem(nil, 0, 1, false)
	u.w.login, u.w.loginMsg, u.w.loginCol, u.w.loginPage, u.w.loginHelp = f, msg, col, page, help
	page.SetDrawFunc(func(_ tcell.Screen, x, y, width, height int) (int, int, int, int) {
		if width != u.w.loginWidth {
			u.w.loginWidth = width
			u.fitLogin()
		}
		return x, y, width, height
	})
	// Enter in the password field logs in.
	f.GetFormItemByLabel("Password").(*tview.InputField).SetDoneFunc(func(k tcell.Key) {
		if k == tcell.KeyEnter {
			u.submitLogin()
		}
	})
	u.pages.AddPage("login", page, true, false)
}

// loginWidth is the width of the login form and the texts under it on a
// screen wide enough (fit.go narrows it on a smaller one).
const loginWidth = 64

// loginHelpText is shown under the login form.
const loginHelpText = "User ID like @alice:example.org, or a user name with a homeserver URL. " +
	"Leave the homeserver empty to discover it from the user ID. Tab moves between fields; Enter on the last field logs in."

// textRows is how many rows text takes when word-wrapped to width.
func textRows(text string, width int) int {
	n := 0
	for _, l := range strings.Split(text, "\n") {
		n += max(len(tview.WordWrap(tview.Escape(l), width)), 1)
	}
	return n
}

// setLoginMsg shows a message under the login form, all of it: the row
// it takes grows with the text (with a blank row before the help).
func (u *UI) setLoginMsg(msg string) {
	u.w.loginMsg.SetText(msg)
	rows := 0
	if msg != "" {
		rows = textRows(msg, loginWidthFor(u.w.loginWidth)) + 1
	}
	u.w.loginCol.ResizeItem(u.w.loginMsg, rows, 0)
}

// showLogin shows the login form with a message.
func (u *UI) showLogin(msg string) {
	u.setLoginMsg(msg)
	u.pages.SwitchToPage("login")
	u.w.login.SetFocus(0)
	u.app.SetFocus(u.w.login)
}

func (u *UI) loginField(label string) string {
	if in, ok := u.w.login.GetFormItemByLabel(label).(*tview.InputField); ok {
		return in.GetText()
	}
	return ""
}

// submitLogin logs in off the UI goroutine.
func (u *UI) submitLogin() {
	if u.s.loggingIn || u.opts.Login == nil {
		return
	}
	p := matrix.LoginParams{
		User:       strings.TrimSpace(u.loginField("User ID")),
		Homeserver: strings.TrimSpace(u.loginField("Homeserver")),
		Password:   u.loginField("Password"),
		DeviceName: "termatrix",
	}
	if p.User == "" || p.Password == "" {
		u.setLoginMsg("Enter a user ID and a password.")
		return
	}
	if !strings.HasPrefix(p.User, "@") && p.Homeserver == "" {
		u.setLoginMsg("With a bare user name, give the homeserver URL too.")
		return
	}
	u.s.loggingIn = true
	u.setLoginMsg("Logging in…")
	login := u.opts.Login
	go func() {
		ctx, cancel := context.WithTimeout(u.ctx, 2*time.Minute)
		defer cancel()
		c, ctl, err := login(ctx, p)
		u.queue(func() {
			u.s.loggingIn = false
			if err != nil {
				text := "Login failed: " + sanitize.Line(err.Error())
				if p.Homeserver == "" {
					text += "\nIf the homeserver was not found from the user ID, enter its URL under Homeserver."
				}
				u.setLoginMsg(text)
				// Clear the password and put the cursor back in it.
				if in, ok := u.w.login.GetFormItemByLabel("Password").(*tview.InputField); ok {
					in.SetText("")
				}
				u.w.login.SetFocus(u.w.login.GetFormItemIndex("Password"))
				u.app.SetFocus(u.w.login)
				return
			}
			if in, ok := u.w.login.GetFormItemByLabel("Password").(*tview.InputField); ok {
				in.SetText("")
			}
			u.attach(c, ctl)
		})
	}()
}

// logout ends the session (/logout) and returns to the login form, or
// quits when there is no login form.
func (u *UI) logout() {
	c := u.s.client
	if c == nil {
		return
	}
	u.say(false, "Logging out…")
	logout := u.opts.Logout
	go func() {
		var err error
		if logout != nil {
			ctx, cancel := context.WithTimeout(u.ctx, 30*time.Second)
			err = logout(ctx, c)
			cancel()
		}
		u.queue(func() {
			if err != nil {
				u.say(true, "Logout failed: %s", sanitize.Line(err.Error()))
				return
			}
			u.loggedOut(nil)
		})
	}()
}

// loggedOut drops the session's views and shows the login form.
func (u *UI) loggedOut(err error) {
	u.detach()
	u.w.slot.tv = nil
	u.resetState()
	u.w.roomList.SetRooms(matrix.RoomList{})
	msg := "Logged out."
	if err != nil {
		msg = "The session ended: " + sanitize.Line(err.Error())
	}
	if u.opts.Login == nil {
		u.Stop()
		return
	}
	u.showLogin(msg)
}
