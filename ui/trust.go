package ui

import (
	"context"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// trustRefreshEvery bounds how often a room's members' trust is re-read.
const trustRefreshEvery = 3 * time.Second

// memberTrust is what the UI knows of the members' identities: read from
// the crypto store off the UI goroutine, when an encrypted room is shown.
type memberTrust struct {
	users   map[id.UserID]matrix.UserTrust
	checked map[id.RoomID]time.Time
	warned  map[id.UserID]bool
}

// checkRoomTrust re-reads the trust of the open encrypted room's members
// in the background (at most every trustRefreshEvery) and then redraws
// the member list; a member whose identity changed is warned about once.
func (u *UI) checkRoomTrust() {
	c, roomID := u.s.client, u.s.current
	if c == nil || roomID == "" {
		return
	}
	if r, ok := u.w.roomList.Room(roomID); !ok || !r.Encrypted {
		return
	}
	t := &u.s.trust
	if t.checked == nil {
		t.users, t.checked, t.warned = map[id.UserID]matrix.UserTrust{}, map[id.RoomID]time.Time{}, map[id.UserID]bool{}
	}
	if time.Since(t.checked[roomID]) < trustRefreshEvery {
		return
	}
	t.checked[roomID] = time.Now()
	members := c.Members(roomID)
	ctx := u.s.sessionCtx
	go func() {
		found := make(map[id.UserID]matrix.UserTrust, len(members))
		for _, m := range members {
			if m.UserID == c.UserID() {
				continue
			}
			tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			ut, err := c.UserTrust(tctx, m.UserID)
			cancel()
			if err == nil {
				found[m.UserID] = ut
			}
		}
		u.queue(func() {
			if u.s.client != c {
				return
			}
			changed := false
			for uid, ut := range found {
				if old, ok := t.users[uid]; !ok || old != ut {
					t.users[uid], changed = ut, true
				}
				if ut.IdentityChanged && !t.warned[uid] {
					t.warned[uid] = true
					u.say(true, "⚠ %s's identity changed (new encryption keys) since you first saw it: if you did not expect it, check with them; /verify %s verifies them again.",
						sanitize.Line(string(uid)), sanitize.Line(string(uid)))
				}
			}
			if changed && u.s.showMembers {
				u.refreshMembers()
			}
		})
	}()
}

// trustSegment is a member's mark in the member list of an encrypted room.
func (u *UI) trustSegment(userID id.UserID) (Segment, bool) {
	ut, ok := u.s.trust.users[userID]
	switch {
	case !ok:
		return Segment{}, false
	case ut.IdentityChanged:
		return Segment{" ⚠ identity changed", tcell.StyleDefault.Foreground(tcell.ColorRed).Bold(true)}, true
	case ut.Verified:
		return Segment{" ✓", tcell.StyleDefault.Foreground(tcell.ColorGreen)}, true
	case ut.CrossSigning:
		return Segment{" (not verified)", styleDim}, true
	}
	return Segment{}, false
}

// trustChanged forgets when the open room's trust was read, and reads it
// again: after a verification, or news from the room.
func (u *UI) trustChanged() {
	if u.s.trust.checked != nil {
		delete(u.s.trust.checked, u.s.current)
	}
	u.checkRoomTrust()
}
