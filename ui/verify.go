package ui

import (
	"context"

	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// verifyDialogs are the open dialogs of emoji verifications, by
// transaction, so the end of one closes its dialog.
type verifyDialogs map[string]*dialog

// verifyCommand runs /verify (this session, with another of the user's
// sessions) and /verify @user (another user, in the DM with them as
// Element does it, else with their sessions directly).
func (u *UI) verifyCommand(cmd Command) bool {
	c := u.s.client
	if c == nil {
		u.say(true, "Not logged in.")
		return false
	}
	target := c.UserID()
	if arg := strings.TrimSpace(cmd.Args); arg != "" {
		uid := id.UserID(arg)
		if _, _, err := uid.ParseAndValidateRelaxed(); err != nil || !strings.HasPrefix(arg, "@") {
			u.say(true, "Usage: /verify (this session), or /verify @user:server")
			return false
		}
		target = uid
	}
	own := target == c.UserID()
	ctx := u.s.sessionCtx
	go func() {
		vctx, cancel := context.WithTimeout(ctx, secretTimeout)
		defer cancel()
		_, err := c.StartVerification(vctx, target)
		u.queue(func() {
			if u.s.client != c {
				return
			}
			switch {
			case err != nil:
				u.say(true, "Verification not started: %s", sanitize.Line(err.Error()))
			case own:
				u.say(false, "Verification request sent to your other sessions: accept it in one of them (Element: the request pops up).")
			default:
				u.say(false, "Verification request sent to %s: they accept it in their client.", u.verifyName(target))
			}
		})
	}()
	return true
}

// verifyUpdate applies the client's verification updates: an incoming
// request asks the user, the emoji are shown to compare, the end says how
// it went.
func (u *UI) verifyUpdate(up matrix.Update) {
	if u.s.verifyDialogs == nil {
		u.s.verifyDialogs = make(verifyDialogs)
	}
	switch up := up.(type) {
	case matrix.VerificationRequested:
		if up.Incoming {
			u.askVerification(up)
		}
	case matrix.VerificationSAS:
		u.showSAS(up)
	case matrix.VerificationEnded:
		u.closeVerifyDialog(up.TxnID)
		who := u.verifyName(up.UserID)
		if up.Done {
			u.say(false, "Verified %s.", who)
			u.trustChanged()
			return
		}
		u.say(true, "Verification with %s ended: %s", who, sanitize.Line(up.Reason))
	}
}

// verifyName names the other side of a verification for display.
func (u *UI) verifyName(userID id.UserID) string {
	if c := u.s.client; c != nil && userID == c.UserID() {
		return "your other session"
	}
	return sanitize.Line(string(userID))
}

// askVerification asks whether to accept an incoming request.
func (u *UI) askVerification(up matrix.VerificationRequested) {
	who := u.verifyName(up.UserID)
	if up.DeviceID != "" {
		who += " (" + sanitize.Line(string(up.DeviceID)) + ")"
	}
	lines := textLines(fmt.Sprintf("%s wants to verify with emoji. You will both compare seven emoji; they must match.", capitalize(who)), styleText)
	u.verifyDialog(up.TxnID, "Verification request", lines, "y accept · n decline", func(yes bool) {
		c := u.s.client
		if c == nil {
			return
		}
		if yes {
			if err := c.AcceptVerification(up.TxnID); err != nil {
				u.say(true, "Verification: %s", sanitize.Line(err.Error()))
			} else {
				u.say(false, "Accepted: the emoji come next.")
			}
			return
		}
		_ = c.CancelVerification(up.TxnID, false)
	})
}

// showSAS shows the emoji to compare, with their names and the numbers.
func (u *UI) showSAS(up matrix.VerificationSAS) {
	u.closeVerifyDialog(up.TxnID)
	var symbols, names strings.Builder
	for _, e := range up.Emoji {
		name := sanitize.Line(e.Name)
		w := max(len([]rune(name)), 2) + 2
		fmt.Fprintf(&symbols, "%-*s", w-1, sanitize.Line(e.Symbol))
		fmt.Fprintf(&names, "%-*s", w, name)
	}
	lines := []Line{
		plain(fmt.Sprintf("Compare with what %s shows:", u.verifyName(up.UserID)), styleText),
		{},
		plain(symbols.String(), styleText.Bold(true)),
		plain(names.String(), styleDim),
		{},
		plain(fmt.Sprintf("Numbers: %d %d %d", up.Decimals[0], up.Decimals[1], up.Decimals[2]), styleDim),
	}
	u.verifyDialog(up.TxnID, "Do the emoji match?", lines, "y they match · n they differ", func(yes bool) {
		c := u.s.client
		if c == nil {
			return
		}
		if yes {
			if err := c.ConfirmSAS(up.TxnID); err != nil {
				u.say(true, "Verification: %s", sanitize.Line(err.Error()))
			} else {
				u.say(false, "Confirmed: waiting for the other side…")
			}
			return
		}
		_ = c.CancelVerification(up.TxnID, true)
	})
}

// verifyDialog shows a verification's question: y answers yes, n or Esc
// no; Enter does neither, so nothing is confirmed by accident.
func (u *UI) verifyDialog(txnID, title string, lines []Line, hint string, answer func(yes bool)) {
	d := newDialog(title, lines, hint)
	d.maxW = 80
	d.onKey = func(ev *tcell.EventKey) bool {
		switch {
		case ev.Key() == tcell.KeyRune && (ev.Rune() == 'y' || ev.Rune() == 'Y'):
			u.closeVerifyDialog(txnID)
			answer(true)
		case ev.Key() == tcell.KeyRune && (ev.Rune() == 'n' || ev.Rune() == 'N'), ev.Key() == tcell.KeyEscape:
			u.closeVerifyDialog(txnID)
			answer(false)
		default:
			return ev.Key() == tcell.KeyEnter
		}
		return true
	}
	u.s.verifyDialogs[txnID] = d
	u.showDialog("verify", d)
}

// closeVerifyDialog closes a verification's open dialog, if any.
func (u *UI) closeVerifyDialog(txnID string) {
	if d, ok := u.s.verifyDialogs[txnID]; ok {
		delete(u.s.verifyDialogs, txnID)
		d.close()
	}
}
