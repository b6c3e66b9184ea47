package elementpeer

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// SetupTimes is how long one call took to set up.
type SetupTimes struct {
	// InviteToConnected runs from the caller's invite_sent state (the
	// m.call.invite's send has returned) until the caller is "connected"
	// (ICE connected): the figure voip's set-up benchmarks report.
	InviteToConnected time.Duration
	// PlaceToConnected runs from the caller placing the call (entering
	// placeVoiceCall) until the caller is connected.
	PlaceToConnected time.Duration
	// PlaceToBothConnected runs from placing until both sides are connected.
	PlaceToBothConnected time.Duration
}

// MeasureSetup places a voice call from caller to callee in roomID, with
// callee answering at once in the browser (auto-answer), waits until both
// are connected, hangs up and waits for both sides to end. Both peers must
// be idle.
func MeasureSetup(ctx context.Context, caller, callee *Peer, roomID string) (SetupTimes, error) {
	if err := callee.SetAutoAnswer(ctx, true); err != nil {
		return SetupTimes{}, err
	}
	defer callee.SetAutoAnswer(context.WithoutCancel(ctx), false)
	placed, err := caller.PlaceCall(ctx, roomID, false)
	if err != nil {
		return SetupTimes{}, err
	}
	a, err := caller.WaitState(ctx, StateConnected)
	if err != nil {
		return SetupTimes{}, err
	}
	in, err := callee.WaitIncoming(ctx)
	if err != nil {
		return SetupTimes{}, err
	}
	if in.CallID != placed.CallID {
		return SetupTimes{}, fmt.Errorf("elementpeer: callee rang for call %s, not %s", in.CallID, placed.CallID)
	}
	b, err := callee.WaitState(ctx, StateConnected)
	if err != nil {
		return SetupTimes{}, err
	}
	both := a.Time()
	if b.Time().After(both) {
		both = b.Time()
	}
	inviteSent, ok := caller.StateTime(StateInviteSent)
	if !ok {
		return SetupTimes{}, fmt.Errorf("elementpeer: caller never reported %s", StateInviteSent)
	}
	t := SetupTimes{
		InviteToConnected:    a.Time().Sub(inviteSent),
		PlaceToConnected:     a.Time().Sub(time.UnixMilli(placed.PlacedAt)),
		PlaceToBothConnected: both.Sub(time.UnixMilli(placed.PlacedAt)),
	}
	if err := caller.Hangup(ctx); err != nil {
		return t, err
	}
	if _, err := caller.WaitHangup(ctx); err != nil {
		return t, err
	}
	if _, err := callee.WaitHangup(ctx); err != nil {
		return t, err
	}
	return t, nil
}

// Median returns the median of ds (0 for none).
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
