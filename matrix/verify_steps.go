package matrix

import (
	"context"
	"fmt"
	"slices"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix/e2ee/sas"
)

// verifySendTimeout bounds one send of a verification event; a failed
// send is tried again after a pause, then the verification is given up.
const (
	verifySendTimeout = 30 * time.Second
	verifySendTries   = 3
)

// flowStep carries out what a step of the protocol asks, on f's worker:
// sends its messages in order, then publishes and trusts.
func (c *Client) flowStep(ctx context.Context, v *verifier, f *flow, st sas.Step) {
	// done goes out after the trust is applied: when the other side hears
	// we are done, our signatures are on the server.
	var done []sas.Message
	send := st.Send[:0:0]
	for _, m := range st.Send {
		if m.Type == sas.TypeDone {
			done = append(done, m)
		} else {
			send = append(send, m)
		}
	}
	if !c.flowSendAll(ctx, v, f, send) {
		return
	}
	if st.Ready {
		them := f.m.Them()
		v.mu.Lock()
		f.device = them.DeviceID
		v.mu.Unlock()
		if !f.incoming && f.roomID == "" {
			others := slices.DeleteFunc(slices.Clone(f.devices), func(d id.DeviceID) bool { return d == them.DeviceID })
			c.sendOthers(ctx, f, others, sas.CodeAccepted)
		}
		c.fetchTheirKeys(ctx, f)
		if !v.noAutoStart.Load() && f.m.State() == sas.Ready {
			// Emoji is the only method both sides have: start it at
			// once, as the specification allows, whichever side asked.
			if st2, err := f.m.Start(); err == nil {
				c.flowStep(ctx, v, f, st2)
				return
			}
		}
	}
	if st.SAS != nil {
		u := VerificationSAS{TxnID: f.txn, UserID: f.them, Decimals: st.SAS.Decimals}
		for _, e := range st.SAS.Emoji {
			u.Emoji = append(u.Emoji, SASEmoji{Symbol: e.Symbol, Name: e.Name})
		}
		v.mu.Lock()
		f.shown = true
		v.mu.Unlock()
		c.log.Info().Str("txn", f.txn).Dur("after", time.Since(f.begun)).Msg("verification SAS shown")
		c.hub.Publish(u)
	}
	if st.Verified != nil {
		c.trustVerified(ctx, f, st.Verified)
	}
	if !c.flowSendAll(ctx, v, f, done) {
		return
	}
	if st.Done {
		c.finishFlow(v, f, true, "")
		if f.them == c.sess.UserID {
			c.goBackground(c.afterSelfVerification)
		}
	}
	if st.Cancelled != nil {
		if st.Cancelled.Remote && !f.incoming && f.roomID == "" && f.m.Them().DeviceID == "" && len(f.devices) > 1 {
			// Declined on one device before any answered: the others
			// need not ask their user any more.
			c.sendOthers(ctx, f, f.devices, sas.CodeUser)
		}
		c.finishFlow(v, f, false, endReason(st.Cancelled))
	}
}

// flowSendAll sends messages in order. If one (other than a cancel)
// cannot be sent, the verification is given up: it says false.
func (c *Client) flowSendAll(ctx context.Context, v *verifier, f *flow, msgs []sas.Message) bool {
	for _, m := range msgs {
		if err := c.flowSend(ctx, f, m); err != nil {
			c.log.Warn().Err(err).Str("txn", f.txn).Str("type", m.Type).Msg("sending a verification event")
			if m.Type != sas.TypeCancel {
				// The other side cannot go on without it: give up, and
				// try to tell them.
				if cs := f.m.Cancel(sas.CodeUser, "could not send a verification message"); len(cs.Send) > 0 {
					_ = c.flowSend(ctx, f, cs.Send[0])
				}
				c.finishFlow(v, f, false, "could not reach the other device: "+err.Error())
				return false
			}
		}
	}
	return true
}

// flowSend sends one verification event: in the DM (encrypted like any
// message there), or to-device to the other device (to every device the
// request went to while none has answered).
func (c *Client) flowSend(ctx context.Context, f *flow, m sas.Message) error {
	var err error
	for try := 1; try <= verifySendTries; try++ {
		sctx, cancel := context.WithTimeout(ctx, verifySendTimeout)
		if f.roomID != "" {
			_, err = c.SendEvent(sctx, f.roomID, event.Type{Type: m.Type, Class: event.MessageEventType}, m.Content)
		} else {
			devices := f.devices
			if d := f.m.Them().DeviceID; d != "" {
				devices = []id.DeviceID{d}
			}
			err = c.sendToDevices(sctx, f.them, devices, m)
		}
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(try) * time.Second):
		}
	}
	return err
}

// sendToDevices sends a verification event, in clear, to some devices of
// a user (verification to-device events are not encrypted).
func (c *Client) sendToDevices(ctx context.Context, user id.UserID, devices []id.DeviceID, m sas.Message) error {
	if len(devices) == 0 {
		return nil
	}
	msgs := make(map[id.DeviceID]*event.Content, len(devices))
	for _, d := range devices {
		msgs[d] = &event.Content{VeryRaw: m.Content}
	}
	_, err := c.cli.SendToDevice(ctx, event.Type{Type: m.Type, Class: event.ToDeviceEventType},
		&mautrix.ReqSendToDevice{Messages: map[id.UserID]map[id.DeviceID]*event.Content{user: msgs}})
	if err != nil {
		return fmt.Errorf("sending %s: %w", m.Type, c.scrub(err))
	}
	return nil
}

// sendOthers tells devices that are not (or no longer) part of the
// verification that it is settled: another device answered (m.accepted),
// or the request was declined (m.user).
func (c *Client) sendOthers(ctx context.Context, f *flow, devices []id.DeviceID, code string) {
	if len(devices) == 0 || f.m == nil {
		return
	}
	reason := "another session answered"
	if code == sas.CodeUser {
		reason = "the request was declined"
	}
	sctx, cancel := context.WithTimeout(ctx, verifySendTimeout)
	defer cancel()
	if err := c.sendToDevices(sctx, f.them, devices, f.m.CancelFor(code, reason)); err != nil {
		c.log.Debug().Err(err).Msg("telling the other devices the verification is settled")
	}
}

// verifyConfig describes a verification to the protocol machine: our keys
// to be verified (this device, and the master key we see) and the other
// side's keys, looked up when their MAC arrives.
func (c *Client) verifyConfig(ctx context.Context, f *flow) sas.Config {
	mach := c.crypto.mach
	ours := map[string]string{
		"ed25519:" + string(c.sess.DeviceID): string(mach.OwnIdentity().SigningKey),
	}
	if pk, err := mach.GetCrossSigningPublicKeys(ctx, c.sess.UserID); err == nil && pk != nil && pk.MasterKey != "" {
		ours["ed25519:"+string(pk.MasterKey)] = string(pk.MasterKey)
	}
	return sas.Config{
		Us:      sas.Party{UserID: c.sess.UserID, DeviceID: c.sess.DeviceID},
		Them:    sas.Party{UserID: f.them},
		TxnID:   f.txn,
		InRoom:  f.roomID != "",
		OurKeys: ours,
		TheirKeys: func(keyID string) string {
			return f.theirKeys[keyID]
		},
	}
}

// fetchTheirKeys learns the other device's key and the other user's master
// key from the server (the store if that fails), for checking their MAC.
func (c *Client) fetchTheirKeys(ctx context.Context, f *flow) {
	mach := c.crypto.mach
	them := f.m.Them()
	keys := make(map[string]string)
	fctx, cancel := context.WithTimeout(ctx, verifySendTimeout)
	defer cancel()
	if _, err := mach.FetchKeys(fctx, []id.UserID{them.UserID}, true); err != nil {
		c.log.Debug().Err(c.scrub(err)).Msg("fetching the keys of the device to verify")
	}
	dev, err := c.crypto.store.GetDevice(ctx, them.UserID, them.DeviceID)
	if err != nil || dev == nil {
		dev, err = mach.GetOrFetchDevice(fctx, them.UserID, them.DeviceID)
	}
	if err == nil && dev != nil {
		keys["ed25519:"+string(them.DeviceID)] = string(dev.SigningKey)
	} else {
		c.log.Warn().Err(err).Stringer("device", them.DeviceID).Msg("the device to verify has no known keys")
	}
	if xs, err := c.crypto.store.GetCrossSigningKeys(ctx, them.UserID); err == nil {
		if mk, ok := xs[id.XSUsageMaster]; ok {
			keys["ed25519:"+string(mk.Key)] = string(mk.Key)
		}
	}
	f.theirKeys = keys
}
