package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mau.fi/util/random"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix/e2ee/sas"
)

// StartVerification asks userID to verify with emoji and returns the
// verification's transaction ID. For the user's own account the request
// goes to-device to all its other sessions (the first to answer takes it;
// the others are told so). For another user it goes into the DM with
// them when there is one, as Element does, else to-device to all their
// devices. VerificationRequested, then VerificationSAS and
// VerificationEnded updates follow; emoji verification starts as soon as
// the other side accepts.
func (c *Client) StartVerification(ctx context.Context, userID id.UserID) (string, error) {
	v := c.verif()
	if v == nil {
		return "", ErrClosed
	}
	if _, _, err := userID.Parse(); err != nil {
		return "", fmt.Errorf("verifying %q: not a user ID", userID)
	}
	f := &flow{them: userID, begun: time.Now()}
	if userID != c.sess.UserID {
		f.roomID = c.dmWith(userID)
	}
	if f.roomID != "" {
		return c.startInRoom(ctx, v, f)
	}
	devices, err := c.devicesToVerify(ctx, userID)
	if err != nil {
		return "", err
	}
	f.devices = devices
	f.txn = "tm" + random.String(30)
	f.m = sas.NewOutgoing(c.verifyConfig(ctx, f))
	v.mu.Lock()
	v.pruneLocked()
	v.flows[f.txn] = f
	v.mu.Unlock()
	req := sas.Message{Type: sas.TypeRequest, Content: sas.ToDeviceRequest(c.sess.DeviceID, f.txn, time.Now())}
	if err := c.sendToDevices(ctx, userID, devices, req); err != nil {
		c.finishFlow(v, f, false, err.Error())
		return "", fmt.Errorf("asking %s to verify: %w", userID, err)
	}
	c.flowDo(v, f, func(context.Context) { c.armTimer(v, f) })
	c.hub.Publish(VerificationRequested{TxnID: f.txn, UserID: userID})
	return f.txn, nil
}

// startInRoom sends the request into the DM; its event ID names the
// verification.
func (c *Client) startInRoom(ctx context.Context, v *verifier, f *flow) (string, error) {
	v.mu.Lock()
	v.sendingRoom++
	v.mu.Unlock()
	eventID, err := c.SendEvent(ctx, f.roomID, event.EventMessage, sas.RoomRequest(c.sess.DeviceID, f.them))
	var cfg sas.Config
	if err == nil {
		f.txn = string(eventID)
		cfg = c.verifyConfig(ctx, f)
	}
	v.mu.Lock()
	v.sendingRoom--
	if err != nil {
		v.mu.Unlock()
		return "", fmt.Errorf("asking %s to verify: %w", f.them, err)
	}
	f.m = sas.NewOutgoing(cfg)
	v.pruneLocked()
	v.flows[f.txn] = f
	var early []earlyEvent
	rest := v.early[:0]
	for _, e := range v.early {
		if sas.TxnID(json.RawMessage(e.ev.Content.VeryRaw)) == f.txn {
			early = append(early, e)
		} else {
			rest = append(rest, e)
		}
	}
	v.early = rest
	v.mu.Unlock()
	c.flowDo(v, f, func(context.Context) { c.armTimer(v, f) })
	c.hub.Publish(VerificationRequested{TxnID: f.txn, UserID: f.them, RoomID: f.roomID})
	for _, e := range early {
		c.routeVerification(e.ev, e.roomID)
	}
	return f.txn, nil
}

// devicesToVerify lists a user's devices (ours: our other sessions) as
// the server has them now.
func (c *Client) devicesToVerify(ctx context.Context, userID id.UserID) ([]id.DeviceID, error) {
	all, err := c.crypto.mach.FetchKeys(ctx, []id.UserID{userID}, true)
	if err != nil {
		return nil, fmt.Errorf("listing %s's sessions: %w", userID, c.scrub(err))
	}
	devs := all[userID]
	if devs == nil {
		devs, _ = c.crypto.store.GetDevices(ctx, userID)
	}
	var out []id.DeviceID
	for d, dev := range devs {
		if d != c.sess.DeviceID && dev != nil && !dev.Deleted {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		if userID == c.sess.UserID {
			return nil, errors.New("this account has no other session to verify with")
		}
		return nil, fmt.Errorf("%s has no session with encryption keys", userID)
	}
	slices.Sort(out)
	return out, nil
}

// dmWith picks the room to verify userID in: a joined DM (or two-member
// room) where they are joined, encrypted ones first, then the most
// recently active.
func (c *Client) dmWith(userID id.UserID) id.RoomID {
	var best Room
	bestScore := -1
	for _, r := range c.Rooms() {
		if r.Membership != event.MembershipJoin || (!r.IsDM && r.JoinedMembers != 2) || !c.isJoined(r.ID, userID) {
			continue
		}
		score := 0
		if r.IsDM {
			score += 2
		}
		if r.Encrypted {
			score++
		}
		if score > bestScore || (score == bestScore && r.LastActivity.After(best.LastActivity)) {
			best, bestScore = r, score
		}
	}
	return best.ID
}

// isJoined says whether the store has userID joined to a room.
func (c *Client) isJoined(roomID id.RoomID, userID id.UserID) bool {
	ev := c.StateEvent(roomID, event.StateMember, string(userID))
	if ev == nil {
		return false
	}
	var m struct {
		Membership event.Membership `json:"membership"`
	}
	return json.Unmarshal(ev.Content.VeryRaw, &m) == nil && m.Membership == event.MembershipJoin
}

// AcceptVerification accepts an incoming request (VerificationRequested
// with Incoming); emoji verification then starts. It returns at once.
func (c *Client) AcceptVerification(txnID string) error {
	v, f, err := c.flowFor(txnID)
	if err != nil {
		return err
	}
	if !f.incoming {
		return fmt.Errorf("verification %q was asked by this session, not of it", txnID)
	}
	c.flowDo(v, f, func(ctx context.Context) {
		if f.m == nil || f.m.State() != sas.Incoming {
			return
		}
		st, err := f.m.Accept()
		if err != nil {
			c.log.Debug().Err(err).Msg("accepting a verification")
			return
		}
		c.flowStep(ctx, v, f, st)
	})
	return nil
}

// ConfirmSAS says the emoji shown (VerificationSAS) match the other
// side's. Once the other side confirms too, each marks the other's keys
// verified and signs them. It returns at once.
func (c *Client) ConfirmSAS(txnID string) error {
	v, f, err := c.flowFor(txnID)
	if err != nil {
		return err
	}
	v.mu.Lock()
	shown := f.shown
	v.mu.Unlock()
	if !shown {
		return fmt.Errorf("verification %q shows no emoji yet", txnID)
	}
	c.flowDo(v, f, func(ctx context.Context) {
		st, err := f.m.Confirm()
		if err != nil {
			c.log.Debug().Err(err).Msg("confirming a verification")
			return
		}
		c.flowStep(ctx, v, f, st)
	})
	return nil
}

// CancelVerification cancels a verification (declines a request); with
// mismatch, the user said the emoji differ. It returns at once.
func (c *Client) CancelVerification(txnID string, mismatch bool) error {
	v, f, err := c.flowFor(txnID)
	if err != nil {
		return err
	}
	code, reason := sas.CodeUser, "cancelled"
	if mismatch {
		code, reason = sas.CodeMismatchedSAS, "the emoji did not match"
	}
	c.flowDo(v, f, func(ctx context.Context) {
		if f.m == nil {
			c.finishFlow(v, f, false, reason)
			return
		}
		c.flowStep(ctx, v, f, f.m.Cancel(code, reason))
	})
	return nil
}
