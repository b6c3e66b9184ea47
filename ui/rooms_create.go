package ui

import (
	"context"
	"strings"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// createCommand runs /create NAME [--public].
func (u *UI) createCommand(arg string) bool {
	public := false
	var words []string
	for _, w := range strings.Fields(arg) {
		if w == "--public" {
			public = true
			continue
		}
		words = append(words, w)
	}
	name := strings.Join(words, " ")
	if name == "" || strings.HasPrefix(name, "--") {
		u.say(true, "Usage: /create NAME [--public]")
		return false
	}
	shown := sanitize.Line(name)
	u.say(false, "Creating %s…", shown)
	var roomID id.RoomID
	u.bg("Creating "+shown, func(ctx context.Context, c *matrix.Client) error {
		var err error
		roomID, err = c.CreateRoom(ctx, name, public)
		return err
	}, func() {
		if public {
			u.say(false, "Created %s: anyone can join it. /invite people.", shown)
		} else {
			u.say(false, "Created %s (encrypted, invite only). /invite people.", shown)
		}
		u.openRoom(roomID)
	})
	return true
}

// dmCommand runs /dm @user:server.
func (u *UI) dmCommand(arg string) bool {
	user := id.UserID(strings.TrimSpace(arg))
	if _, _, err := user.Parse(); err != nil || !strings.HasPrefix(arg, "@") || strings.ContainsAny(arg, " \t") {
		u.say(true, "Usage: /dm @user:server")
		return false
	}
	shown := sanitize.Line(string(user))
	var roomID id.RoomID
	var created bool
	u.bg("Opening a DM with "+shown, func(ctx context.Context, c *matrix.Client) error {
		var err error
		roomID, created, err = c.DirectMessage(ctx, user)
		return err
	}, func() {
		if created {
			u.say(false, "Started a DM with %s; they are invited.", shown)
		} else {
			u.say(false, "Your DM with %s.", shown)
		}
		u.openRoom(roomID)
	})
	return true
}
