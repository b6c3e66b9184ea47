package rtc

import (
	"context"
	"time"

	"maunium.net/go/mautrix/event"
)

// ghostSweepDelay is how long after the start clearGhosts waits.
const ghostSweepDelay = 2 * time.Second

// clearGhosts leaves, for this device, the calls a previous run of it was
// still in when it ended without leaving (a crash, a kill): on a
// homeserver without delayed events nothing else takes such a membership
// away before it expires, and meanwhile others see us in a call we are
// not in. It reads the stored state only and never touches the call of
// this run.
func (mg *Manager) clearGhosts(ctx context.Context) {
	// Not on the start's critical path: the first frame and the first
	// sync come first (this reads two state rows per room).
	select {
	case <-time.After(ghostSweepDelay):
	case <-ctx.Done():
		return
	}
	me, dev := mg.m.UserID(), mg.m.DeviceID()
	key := MemberStateKey(me, dev)
	now := time.Now()
	for _, r := range mg.m.Rooms() {
		if ctx.Err() != nil {
			return
		}
		if r.Membership != event.MembershipJoin {
			continue
		}
		for _, k := range []string{key, key[1:]} {
			ev := mg.m.StateEvent(r.ID, MemberStateType, k)
			if ev == nil || ev.Sender != me {
				continue
			}
			if m, err := ParseMember(r.ID, ev); err != nil || !m.Valid(now) {
				continue
			}
			mg.mu.Lock()
			inCall := mg.sess != nil && mg.sess.roomID == r.ID
			mg.mu.Unlock()
			if inCall {
				continue
			}
			sctx, cancel := context.WithTimeout(ctx, netTimeout)
			if _, err := mg.m.SendState(sctx, r.ID, MemberStateType, k, map[string]any{}); err != nil {
				mg.opts.Log.Warn().Err(err).Str("room", string(r.ID)).Msg("leaving a call a previous run did not leave")
			} else {
				mg.opts.Log.Info().Str("room", string(r.ID)).Msg("left a call a previous run did not leave")
			}
			cancel()
		}
	}
}
