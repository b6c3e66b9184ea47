package ui

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// showDevices lists the account's sessions (/devices): ID, name, when it
// was last seen, whether its owner verified it, and which is this one.
func (u *UI) showDevices() {
	u.say(false, "Listing your sessions…")
	var devs []matrix.Device
	u.bg("Listing your sessions", func(ctx context.Context, c *matrix.Client) error {
		var err error
		devs, err = c.OwnDevices(ctx)
		return err
	}, func() {
		u.say(false, "")
		u.showDialog("devices", newDialog("Your sessions", deviceLines(devs, time.Now()), "↑↓ scroll · Esc close"))
	})
}

// deviceLines lays out the sessions: this one first, then the most
// recently seen.
func deviceLines(devs []matrix.Device, now time.Time) []Line {
	devs = append([]matrix.Device(nil), devs...)
	sort.SliceStable(devs, func(i, j int) bool {
		if devs[i].Current != devs[j].Current {
			return devs[i].Current
		}
		return devs[i].LastSeen.After(devs[j].LastSeen)
	})
	var lines []Line
	unverified := 0
	for _, d := range devs {
		name := sanitize.Line(d.Name)
		if name == "" {
			name = "(no name)"
		}
		l := Line{{fmt.Sprintf("%-12s ", sanitize.Line(string(d.ID))), styleCode}, {name, styleText.Bold(true)}}
		if d.Verified {
			l = append(l, Segment{"  ✓ verified", tcell.StyleDefault.Foreground(tcell.ColorGreen)})
		} else {
			unverified++
			l = append(l, Segment{"  ⚠ not verified", tcell.StyleDefault.Foreground(tcell.ColorYellow)})
		}
		l = append(l, Segment{"  " + lastSeen(d.LastSeen, now), styleDim})
		if d.Current {
			l = append(l, Segment{"  (this session)", styleText.Bold(true)})
		}
		lines = append(lines, l)
	}
	if len(devs) == 0 {
		lines = append(lines, plain("The homeserver lists no sessions.", styleDim))
	}
	if unverified > 0 {
		lines = append(lines, Line{}, plain("A session is verified by one that is: /recovery verifies this one with the recovery key; "+
			"verify others there (or in Element's security settings).", styleDim))
	}
	return lines
}

// lastSeen says when a session was last active.
func lastSeen(t, now time.Time) string {
	switch {
	case t.IsZero():
		return "last seen: unknown"
	case t.Year() == now.Year() && t.YearDay() == now.YearDay():
		return "last seen today " + t.Format("15:04")
	default:
		return "last seen " + t.Format("2 Jan 2006 15:04")
	}
}

// renameDevice names one of the account's sessions (/devices rename).
func (u *UI) renameDevice(devID id.DeviceID, name string) {
	u.bg("Renaming the session", func(ctx context.Context, c *matrix.Client) error {
		return c.RenameDevice(ctx, devID, name)
	}, func() {
		u.say(false, "Session %s is now called %s.", sanitize.Line(string(devID)), sanitize.Line(name))
	})
}

// logoutDevice logs another of the account's sessions out (/devices
// logout), after asking the account password, masked.
func (u *UI) logoutDevice(devID id.DeviceID) {
	u.showDialog("password", newPrompt("Log out session "+sanitize.Line(string(devID)), []Line{
		plain("The homeserver asks for your account password to log another session out. What you type is not shown.", styleText),
	}, "Password:", true, func(password string) {
		if password == "" {
			u.say(false, "Nothing entered: the session stays logged in.")
			return
		}
		u.secretWork(func(ctx context.Context, c *matrix.Client) error {
			return c.LogoutDevice(ctx, devID, password)
		}, func(err error) {
			if err != nil {
				u.say(true, "Logging the session out failed: %s", errText(err, password))
				return
			}
			u.say(false, "Session %s is logged out.", sanitize.Line(string(devID)))
		})
	}))
}
