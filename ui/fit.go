package ui

import "unicode/utf8"

// The layout follows the terminal's width: the room list narrows below
// 100 columns and hides below 70 (Ctrl+K still switches rooms, and the
// header names the open one), the member list takes less room, and the
// login form shrinks to the screen. Each is refitted when a draw sees a
// new width.

// sideWidths is how wide the room list and the member list are on a body
// width columns wide (members: whether the member list is open).
func sideWidths(width int, members bool) (list, mem int) {
	switch {
	case width >= 100:
		list = roomListWidth
	case width >= 80:
		list = 22
	case width >= 70 && !members:
		list = 18
	}
	if members {
		switch {
		case width >= 100:
			mem = membersWidth
		case width >= 80:
			mem = 24
		default:
			mem = min(24, width/3)
		}
	}
	return list, mem
}

// fitSides sizes the room and member lists for the body's width (0: not
// drawn yet, taken as wide).
func (u *UI) fitSides() {
	width := u.w.bodyWidth
	if width <= 0 {
		width = 160
	}
	list, mem := sideWidths(width, u.s.showMembers)
	u.w.body.ResizeItem(u.w.roomList, list, 0)
	u.w.body.ResizeItem(u.w.members, mem, 0)
}

// loginWidthFor is the login form's width on a screen width columns wide.
func loginWidthFor(width int) int {
	if width <= 0 {
		return loginWidth
	}
	return min(loginWidth, width)
}

// fitLogin sizes the login column and the texts under it for the screen.
func (u *UI) fitLogin() {
	w := loginWidthFor(u.w.loginWidth)
	u.w.loginPage.ResizeItem(u.w.loginCol, w, 0)
	u.w.loginCol.ResizeItem(u.w.loginHelp, textRows(loginHelpText, w), 0)
	u.setLoginMsg(u.w.loginMsg.GetText(false))
}

// topicCols caps the topic in the header: one row shows it, so a huge
// topic is never laid out whole.
const topicCols = 300

// headOf is the start of s, at most n bytes, cut at a rune boundary: a
// remote string is shortened before it is sanitized and measured.
func headOf(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
