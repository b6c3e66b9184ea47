package rtc

import (
	"context"
	"errors"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
)

// Timing of the delayed leave (MSC4140), as Element Call has it.
const (
	// DefaultLeaveDelay: a client that stops restarting its delayed leave
	// is out of the call this long after (EC's delayed_leave_event_delay_ms).
	DefaultLeaveDelay = 10 * time.Second
	// DefaultRestartEvery is how often we restart it (js-sdk: 5 s).
	DefaultRestartEvery = 5 * time.Second
)

// delayedAPI is what the delayed leave needs of the client.
type delayedAPI interface {
	SendStateDelayed(ctx context.Context, roomID id.RoomID, t event.Type, stateKey string, content any, delay time.Duration) (string, error)
	UpdateDelayed(ctx context.Context, delayID string, action matrix.DelayedAction) error
	SendState(ctx context.Context, roomID id.RoomID, t event.Type, stateKey string, content any) (id.EventID, error)
}

// delayedLeave is our scheduled leave ({} under our membership's state
// key): sent by the homeserver if we stop restarting it (we died), sent
// at once when we leave. Where the homeserver has no delayed events we
// send {} ourselves on leave, and a dead client's membership lasts until
// it expires. Not safe for concurrent use.
type delayedLeave struct {
	api      delayedAPI
	roomID   id.RoomID
	stateKey string
	delay    time.Duration

	id          string // "" when none is scheduled
	unsupported bool
	restarted   time.Time
}

// schedule schedules the leave; it must come before our membership (a
// server that applies it at once then only "leaves" before we join). It
// returns an error only for failures other than no support.
func (d *delayedLeave) schedule(ctx context.Context, now time.Time) error {
	if d.unsupported {
		return nil
	}
	delayID, err := d.api.SendStateDelayed(ctx, d.roomID, MemberStateType, d.stateKey, struct{}{}, d.delay)
	if errors.Is(err, matrix.ErrDelayedUnsupported) {
		d.unsupported, d.id = true, ""
		return nil
	}
	if err != nil {
		return err
	}
	d.id, d.restarted = delayID, now
	return nil
}

// restartDue restarts the scheduled leave when every has passed since the
// last restart. lost says the homeserver no longer knows it (it fired:
// we were out of contact too long): schedule again and re-send the
// membership.
func (d *delayedLeave) restartDue(ctx context.Context, now time.Time, every time.Duration) (lost bool, err error) {
	if d.id == "" || now.Sub(d.restarted) < every {
		return false, nil
	}
	err = d.api.UpdateDelayed(ctx, d.id, matrix.DelayedRestart)
	switch {
	case err == nil:
		d.restarted = now
		return false, nil
	case errors.Is(err, matrix.ErrDelayedUnsupported):
		d.unsupported, d.id = true, ""
		return false, nil
	case isNotFound(err):
		d.id = ""
		return true, nil
	}
	return false, err
}

// leave sends the leave now: the scheduled one if there is one, else (or
// if that fails) {} directly.
func (d *delayedLeave) leave(ctx context.Context) error {
	if d.id != "" {
		err := d.api.UpdateDelayed(ctx, d.id, matrix.DelayedSend)
		d.id = ""
		if err == nil {
			return nil
		}
	}
	_, err := d.api.SendState(ctx, d.roomID, MemberStateType, d.stateKey, struct{}{})
	return err
}

// isNotFound says a Matrix request failed with M_NOT_FOUND.
func isNotFound(err error) bool { return errors.Is(err, mautrix.MNotFound) }
