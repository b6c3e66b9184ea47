package ui

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// encryptedMark follows an encrypted room's name in the header.
const encryptedMark = "🔒 encrypted"

// The status line's notices about this session's verification, and the
// short reminders shown while no other message is.
const (
	msgNotVerified  = "This session is not verified: /recovery to enter your recovery key or passphrase"
	msgNoCrossSign  = "End-to-end encryption: set up cross-signing and key backup with /crosssigning setup"
	msgVerified     = "This session is verified."
	markNotVerified = "⚠ unverified session: /recovery"
	markNoCrossSign = "no key backup: /crosssigning setup"
)

// e2eeUpdate applies the client's end-to-end encryption updates.
func (u *UI) e2eeUpdate(up matrix.Update) {
	switch up := up.(type) {
	case matrix.EventsDecrypted:
		if tv := u.s.timelines[up.RoomID]; tv != nil {
			tv.ReplaceDecrypted(up.Events)
		}
	case matrix.VerificationChanged:
		v := up.Verification
		prev := u.s.verification
		u.s.verification = &v
		if prev != nil && *prev == v {
			return
		}
		// The first state comes at login, unasked: it does not replace an
		// error answering what the user just did. Later changes follow
		// what the user did (/recovery, /verify) and are said.
		say := func(msg string) { u.say(false, "%s", msg) }
		if prev == nil {
			say = func(msg string) { u.notice("%s", msg) }
		}
		switch {
		case v.Verified:
			say(msgVerified)
		case v.CrossSigning:
			say(msgNotVerified)
		default:
			say(msgNoCrossSign)
		}
	case matrix.BackupProgress:
		switch {
		case up.Err != nil:
			u.say(true, "Restoring keys from backup failed: %s", sanitize.Line(up.Err.Error()))
		case up.Done:
			u.say(false, "Restored %s from backup.", plural(up.Keys, "key"))
		case up.Restoring:
			u.say(false, "Restoring keys from backup…")
		}
	}
}

// verificationMark is the lasting part of the status line that says this
// session is not verified, or that the account has no cross-signing. The
// notice itself goes after a while; this short reminder shows whenever no
// other message does, until it is done.
func (u *UI) verificationMark(bg tcell.Style) Line {
	v := u.s.verification
	switch {
	case v == nil || v.Verified:
		return nil
	case v.CrossSigning:
		return Line{{" · ", bg}, {markNotVerified, bg.Foreground(tcell.ColorYellow).Bold(true)}}
	default:
		return Line{{" · ", bg}, {markNoCrossSign, bg.Foreground(tcell.ColorSilver)}}
	}
}

// encryptFailure is the reason of an ErrEncryptedRoom send failure, as
// " (reason)", or "" when the error gives none.
func encryptFailure(err error) string {
	msg := err.Error()
	base := matrix.ErrEncryptedRoom.Error()
	i := strings.Index(msg, base)
	if i < 0 {
		return ""
	}
	detail := strings.TrimSpace(msg[i+len(base):])
	if strings.HasPrefix(detail, "(") && strings.HasSuffix(detail, ")") {
		detail = detail[1 : len(detail)-1]
	}
	if detail = sanitize.Line(detail); detail == "" {
		return ""
	}
	return " (" + detail + ")"
}

// plural is "1 key", "2 keys".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
