package ui

import (
	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// Styles of end-to-end encryption marks.
var (
	// styleUndecryptable is the line shown in place of a message this
	// session cannot decrypt (yet).
	styleUndecryptable = tcell.StyleDefault.Foreground(tcell.ColorOlive).Italic(true)
	// styleUntrusted is the ⚠ before a message from a device its owner
	// has not verified.
	styleUntrusted = tcell.StyleDefault.Foreground(tcell.ColorRed).Bold(true)
)

// undecryptable renders an m.room.encrypted event this session could not
// decrypt: why, with the sender's name, in the event's place. When its
// key arrives the decrypted event replaces it (matrix.EventsDecrypted).
func (r *renderer) undecryptable() []Line {
	text := "Unable to decrypt this message"
	if u, ok := r.ev.Content.Parsed.(*matrix.Undecryptable); ok && u != nil {
		// The failure holds remote text (device ID, a withheld reason).
		if t := sanitize.Line(u.Failure.Text(r.sender())); t != "" {
			text = t
		}
	}
	return []Line{{timestamp(r.ev, r.rc), {r.sender(), senderStyle(r.ev.Sender)}, {": ", styleText}, {text, styleUndecryptable}}}
}

// trustMark tells how a decrypted message is marked for the device that
// sent it: warn puts a red ⚠ before the body when the device is not
// verified by its owner (as Element's red shield), and note is a short dim
// remark after it, also for keys that came from a key backup or were
// forwarded, whose authenticity cannot be guaranteed (Element's grey
// shield). Messages that were not encrypted, from a cross-signed device,
// or from this session get no mark.
func (r *renderer) trustMark() (warn bool, note string) {
	ev := r.ev
	if !ev.Mautrix.WasEncrypted {
		return false, ""
	}
	if src := ev.Mautrix.TrustSource; src != nil && ev.Sender == r.rc.Own && r.rc.OwnDevice != "" && src.DeviceID == r.rc.OwnDevice {
		return false, ""
	}
	switch ts := ev.Mautrix.TrustState; {
	case ts >= id.TrustStateCrossSignedTOFU:
		return false, ""
	case ts == id.TrustStateBackup:
		return false, "key from backup"
	case ts == id.TrustStateForwarded:
		return false, "forwarded key"
	case ts == id.TrustStateCrossSignedUntrusted:
		return true, "sender's identity changed"
	case ts == id.TrustStateUnknownDevice:
		return true, "unknown device"
	case ts == id.TrustStateBlacklisted:
		return true, "blocked device"
	case ts == id.TrustStateDeviceKeyMismatch:
		return true, "device keys do not match"
	default:
		return true, "unverified device"
	}
}
