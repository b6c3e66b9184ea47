package ui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// secretTimeout bounds the work of one encryption command (a passphrase
// is stretched on purpose slowly, a backup may hold many keys).
const secretTimeout = 2 * time.Minute

// e2eeCommand runs /recovery, /crosssigning, /keys and /devices. Every
// secret they need is asked for in a masked prompt, never taken from the
// composer, where it would show. It returns whether the composer should
// be cleared.
func (u *UI) e2eeCommand(cmd Command) bool {
	if u.s.client == nil {
		u.say(true, "Not logged in.")
		return false
	}
	switch cmd.Name {
	case "recovery":
		if cmd.Args != "" {
			// Clear it from the composer, and do not use it.
			u.say(true, "The recovery key goes in the masked field only: what followed /recovery was not used.")
		}
		u.askRecovery()
	case "crosssigning":
		switch cmd.Args {
		case "setup":
			u.setupCrossSigning(false)
		case "reset":
			u.confirmReset()
		default:
			u.say(true, "Usage: /crosssigning setup, or /crosssigning reset")
			return false
		}
	case "keys":
		verb, file, _ := strings.Cut(cmd.Args, " ")
		file = expandHome(strings.TrimSpace(file))
		switch {
		case verb == "export" && file != "":
			u.exportKeys(file)
		case verb == "import" && file != "":
			u.importKeys(file)
		default:
			u.say(true, "Usage: /keys export FILE, or /keys import FILE")
			return false
		}
	case "devices":
		verb, rest, _ := strings.Cut(strings.TrimSpace(cmd.Args), " ")
		devID, name, _ := strings.Cut(strings.TrimSpace(rest), " ")
		switch {
		case verb == "":
			u.showDevices()
		case verb == "rename" && devID != "" && strings.TrimSpace(name) != "":
			u.renameDevice(id.DeviceID(devID), strings.TrimSpace(name))
		case verb == "logout" && devID != "" && name == "":
			u.logoutDevice(id.DeviceID(devID))
		default:
			u.say(true, "Usage: /devices, /devices rename ID NAME, or /devices logout ID")
			return false
		}
	}
	return true
}

// askRecovery verifies this session with the recovery key or passphrase
// (/recovery), which also restores the key backup.
func (u *UI) askRecovery() {
	if v := u.s.verification; v != nil && !v.CrossSigning {
		u.say(true, "This account has no cross-signing yet, so no recovery key: set it up with /crosssigning setup.")
		return
	}
	u.showDialog("recovery", newPrompt("Verify this session", []Line{
		plain("Enter your account's recovery key, or its passphrase: what Element or termatrix gave you when secure backup was set up.", styleText),
		{},
		plain("It verifies this session and restores your message keys from the key backup. What you type is not shown.", styleDim),
	}, "Recovery key:", true, func(secret string) {
		if strings.TrimSpace(secret) == "" {
			u.say(false, "Nothing entered: this session stays unverified.")
			return
		}
		u.say(false, "Checking the recovery key…")
		u.secretWork(func(ctx context.Context, c *matrix.Client) error {
			return c.VerifyWithRecoveryKey(ctx, secret)
		}, func(err error) {
			switch {
			case errors.Is(err, matrix.ErrWrongRecoveryKey):
				u.say(true, "Wrong recovery key or passphrase: this session is not verified. Try /recovery again.")
			case err != nil:
				u.say(true, "Verifying this session failed: %s", errText(err, secret))
			case u.s.verification == nil || !u.s.verification.Verified:
				u.say(false, "%s", msgVerified)
			}
			// Else the update said so already, and maybe the backup's progress since.
		})
	}))
}

// confirmReset asks before making new cross-signing keys (/crosssigning reset).
func (u *UI) confirmReset() {
	u.confirm("Reset cross-signing", []Line{
		plain("Make new cross-signing keys, a new recovery key and a new key backup for this account?", styleText),
		{},
		plain("Your other sessions, and everyone who verified you, must verify again; the old recovery key stops working. Do this only when the old recovery key is lost.", styleError),
		{},
		plain("Press y to go on (your password is asked next), n or Esc to keep everything as it is.", styleDim),
	}, "y reset · n cancel", func() { u.setupCrossSigning(true) })
}

// setupCrossSigning asks for the account password and sets up (or with
// reset, replaces) cross-signing, secret storage and the key backup, then
// shows the new recovery key once.
func (u *UI) setupCrossSigning(reset bool) {
	if v := u.s.verification; !reset && v != nil && v.CrossSigning {
		u.say(true, "This account has cross-signing already: verify this session with /recovery (or start over with /crosssigning reset).")
		return
	}
	title := "Set up cross-signing"
	if reset {
		title = "Reset cross-signing"
	}
	u.showDialog("password", newPrompt(title, []Line{
		plain("Enter your account password: the homeserver asks for it to publish new cross-signing keys.", styleText),
		{},
		plain("This makes the keys that verify your sessions, a recovery key that unlocks them, and a key backup for your messages. What you type is not shown.", styleDim),
	}, "Password:", true, func(password string) {
		if password == "" {
			u.say(false, "No password entered: nothing was changed.")
			return
		}
		u.say(false, "Setting up cross-signing and key backup…")
		var key string
		u.secretWork(func(ctx context.Context, c *matrix.Client) error {
			var err error
			key, err = c.SetupCrossSigning(ctx, password, reset)
			return err
		}, func(err error) {
			if err != nil {
				u.say(true, "Setting up cross-signing failed: %s", errText(err, password))
				return
			}
			u.say(false, "Cross-signing and key backup are set up, and this session is verified.")
			u.showRecoveryKey(key)
		})
	}))
}

// showRecoveryKey shows a new recovery key, the one time it is shown. Only
// Esc closes it, so a stray Enter does not lose the key.
func (u *UI) showRecoveryKey(key string) {
	key = sanitize.Line(key)
	d := newDialog("Your recovery key", []Line{
		plain("This is the recovery key of your account:", styleText),
		{},
		{{key, styleCode.Bold(true)}},
		{},
		plain("Store it somewhere safe, such as a password manager: termatrix shows it only this once. "+
			"With it, /recovery (or Element) verifies your other sessions and gives them your encrypted history.", styleText),
	}, "c copy (OSC 52) · Esc close: it is not shown again")
	d.maxW = 76
	d.onKey = func(ev *tcell.EventKey) bool {
		if ev.Key() == tcell.KeyRune && ev.Rune() == 'c' {
			if err := u.copyToClipboard(key); err != nil {
				u.say(true, "Copying failed: %s", errText(err, key))
			} else {
				u.say(false, "Recovery key copied to your terminal's clipboard (OSC 52).")
			}
			return true
		}
		return ev.Key() == tcell.KeyEnter || ev.Key() == tcell.KeyRune && ev.Rune() == 'q'
	}
	u.showDialog("recoverykey", d)
}

// exportKeys writes this session's room keys to path (/keys export),
// with a passphrase asked twice; an existing file is replaced only when
// the user says so.
func (u *UI) exportKeys(path string) {
	shown := sanitize.Line(path)
	ask := func() {
		u.showDialog("passphrase", newPrompt("Export room keys", []Line{
			plain("Choose a passphrase for "+shown+".", styleText),
			{},
			plain("The file holds the keys to your encrypted messages: the passphrase protects it, and importing it (here or in Element) needs it. What you type is not shown.", styleDim),
		}, "Passphrase:", true, func(first string) {
			if first == "" {
				u.say(true, "No passphrase entered: nothing was exported.")
				return
			}
			u.showDialog("passphrase", newPrompt("Export room keys", []Line{
				plain("Enter the same passphrase again.", styleText),
			}, "Again:", true, func(second string) {
				if second != first {
					u.say(true, "The passphrases differ: nothing was exported.")
					return
				}
				u.say(false, "Exporting room keys…")
				var n int
				u.secretWork(func(ctx context.Context, c *matrix.Client) error {
					var err error
					n, err = c.ExportKeys(ctx, path, first)
					return err
				}, func(err error) {
					if err != nil {
						u.say(true, "%s", capitalize(errText(err, first)))
						return
					}
					u.say(false, "Exported %s to %s.", plural(n, "room key"), shown)
				})
			}))
		}))
	}
	if _, err := os.Stat(path); err == nil {
		u.confirm("Export room keys", []Line{plain(shown+" exists. Replace it with the export?", styleText)}, "y replace · n cancel", ask)
		return
	}
	ask()
}

// importKeys reads room keys from an export file (/keys import); the
// messages they open are decrypted in place.
func (u *UI) importKeys(path string) {
	shown := sanitize.Line(path)
	if _, err := os.Stat(path); err != nil {
		u.say(true, "Cannot import %s: %s", shown, errText(err))
		return
	}
	u.showDialog("passphrase", newPrompt("Import room keys", []Line{
		plain("Enter the passphrase "+shown+" was exported with. What you type is not shown.", styleText),
	}, "Passphrase:", true, func(pass string) {
		if pass == "" {
			u.say(true, "No passphrase entered: nothing was imported.")
			return
		}
		u.say(false, "Importing room keys…")
		var imported, total int
		u.secretWork(func(ctx context.Context, c *matrix.Client) error {
			var err error
			imported, total, err = c.ImportKeys(ctx, path, pass)
			return err
		}, func(err error) {
			switch {
			case err != nil:
				u.say(true, "%s", capitalize(errText(err, pass)))
			case imported == total:
				u.say(false, "Imported %s from %s.", plural(imported, "room key"), shown)
			default:
				u.say(false, "Imported %s of the %d in %s (this session had the others).", plural(imported, "new room key"), total, shown)
			}
		})
	}))
}

// secretWork runs f off the UI goroutine with the session's client and
// context, then done with f's error on the UI goroutine (unless the
// session ended meanwhile).
func (u *UI) secretWork(f func(ctx context.Context, c *matrix.Client) error, done func(err error)) {
	c, ctx := u.s.client, u.s.sessionCtx
	if c == nil {
		return
	}
	go func() {
		cctx, cancel := context.WithTimeout(ctx, secretTimeout)
		defer cancel()
		err := f(cctx, c)
		if ctx.Err() != nil {
			return
		}
		u.queue(func() {
			if u.s.client == c {
				done(err)
			}
		})
	}()
}

// errText is an error's text for the status line, with the secrets the
// user typed cut out, in case any part of it ever quoted one.
func errText(err error, secrets ...string) string {
	msg := err.Error()
	for _, s := range secrets {
		for _, form := range []string{s, strings.Join(strings.Fields(s), "")} {
			if len(form) >= 4 {
				msg = strings.ReplaceAll(msg, form, "***")
			}
		}
	}
	return sanitize.Line(msg)
}

// capitalize starts a sentence with a capital letter.
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// expandHome turns a leading ~ into the home directory, as a shell would.
func expandHome(path string) string {
	if path != "~" && !strings.HasPrefix(path, "~/") {
		return path
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return path
	}
	return filepath.Join(home, strings.TrimPrefix(path, "~"))
}
