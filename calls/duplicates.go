package calls

import (
	"context"
	"time"

	"maunium.net/go/mautrix/id"
)

// preventMultipleJitsiWithin is Element's window (RoomView
// PREVENT_MULTIPLE_JITSI_WITHIN): two conferences started this close
// together were started at the same time by accident.
const preventMultipleJitsiWithin = 30 * time.Second

// maybeRemoveOwnDuplicate does what Element's doMaybeRemoveOwnJitsiWidget
// does when the room's widgets change: if the room has more than one
// Jitsi widget and the newest is ours, created less than 30 s after the
// newest of the others, ours is removed so everyone meets in one
// conference.
func (c *Controller) maybeRemoveOwnDuplicate(roomID id.RoomID) {
	me := string(c.mx.UserID())
	var mineID string
	var mineTS, othersTS int64
	n := 0
	for _, ev := range c.mx.StateEvents(roomID, WidgetEventType) {
		if ev == nil || ev.StateKey == nil {
			continue
		}
		w := parseWidget(*ev.StateKey, ev)
		if !w.Active || !w.IsJitsi {
			continue
		}
		n++
		if w.Sender == me && w.Timestamp > mineTS {
			mineID, mineTS = w.ID, w.Timestamp
		}
	}
	if n < 2 || mineID == "" {
		return
	}
	for _, ev := range c.mx.StateEvents(roomID, WidgetEventType) {
		if ev == nil || ev.StateKey == nil || *ev.StateKey == mineID {
			continue
		}
		if w := parseWidget(*ev.StateKey, ev); w.Active && w.IsJitsi && w.Timestamp > othersTS {
			othersTS = w.Timestamp
		}
	}
	if othersTS == 0 || mineTS <= othersTS || time.Duration(mineTS-othersTS)*time.Millisecond >= preventMultipleJitsiWithin {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		if err := c.removeWidget(ctx, roomID, mineID); err != nil {
			c.log.Warn().Err(err).Msg("calls: could not remove our duplicate conference")
			return
		}
		c.status(roomID, false, "Someone else started a conference at the same moment: yours was removed; join theirs.")
	}()
}
