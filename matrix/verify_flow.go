package matrix

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix/e2ee/sas"
)

// Emoji verification: the protocol is matrix/e2ee/sas; this file carries
// its events (to-device, or in a DM through the normal encrypted send
// path) and runs each verification's steps in order in the background.

// verifier is a Client's verifications.
type verifier struct {
	mu    sync.Mutex
	flows map[string]*flow // by transaction ID (in a room: the request's event ID)
	// sendingRoom counts in-room requests being sent: until their event
	// ID is known, events about an unknown request are kept in early.
	sendingRoom int
	early       []earlyEvent
	// noAutoStart leaves starting SAS to the other side (tests).
	noAutoStart atomic.Bool
}

type earlyEvent struct {
	ev     *event.Event
	roomID id.RoomID
	at     time.Time
}

// flow is one verification.
type flow struct {
	txn      string
	them     id.UserID
	roomID   id.RoomID     // in a DM; empty for to-device
	devices  []id.DeviceID // to-device: the devices the request went to
	incoming bool
	begun    time.Time

	// Only the flow's worker touches these.
	m         *sas.Verification
	theirKeys map[string]string

	// Guarded by verifier.mu.
	queue   []func(context.Context)
	running bool
	ended   bool
	endedAt time.Time
	device  id.DeviceID // the other device, once known
	shown   bool        // the SAS was published
	timer   *time.Timer // the deadline
}

// keepEnded is how long an ended verification is remembered, so that late
// events about it are ignored rather than taken for new ones.
const keepEnded = sas.Timeout

// verifiers holds each Client's verifier; it goes when the Client closes.
var verifiers = struct {
	sync.Mutex
	m map[*Client]*verifier
}{m: make(map[*Client]*verifier)}

// verif returns the Client's verifier (nil once it is closed).
func (c *Client) verif() *verifier {
	if c.closed.Load() {
		return nil
	}
	verifiers.Lock()
	defer verifiers.Unlock()
	if v := verifiers.m[c]; v != nil {
		return v
	}
	v := &verifier{flows: make(map[string]*flow)}
	verifiers.m[c] = v
	// Events whose room key came after them are decrypted later, in
	// EventsDecrypted: the in-room ones still count.
	updates, unsubscribe := c.hub.Subscribe()
	go func() {
		for u := range updates {
			if ed, ok := u.(EventsDecrypted); ok {
				for _, ev := range ed.Events {
					if isVerificationEvent(ev) {
						c.routeVerification(ev, ed.RoomID)
					}
				}
			}
		}
	}()
	context.AfterFunc(c.life, func() {
		unsubscribe()
		verifiers.Lock()
		delete(verifiers.m, c)
		verifiers.Unlock()
		v.mu.Lock()
		defer v.mu.Unlock()
		for _, f := range v.flows {
			if f.timer != nil {
				f.timer.Stop()
			}
		}
	})
	return v
}

// flowDo runs work on f's worker: one at a time, in the order queued.
func (c *Client) flowDo(v *verifier, f *flow, work func(ctx context.Context)) {
	v.mu.Lock()
	f.queue = append(f.queue, work)
	if f.running {
		v.mu.Unlock()
		return
	}
	f.running = true
	v.mu.Unlock()
	started := c.goBackground(func(ctx context.Context) {
		for {
			v.mu.Lock()
			if len(f.queue) == 0 {
				f.running = false
				v.mu.Unlock()
				return
			}
			w := f.queue[0]
			f.queue = f.queue[1:]
			v.mu.Unlock()
			w(ctx)
		}
	})
	if !started {
		v.mu.Lock()
		f.running, f.queue = false, nil
		v.mu.Unlock()
	}
}

// routeVerification hands one verification event to its flow (or starts
// one for a request). It runs on the sync goroutine: no network here.
func (c *Client) routeVerification(ev *event.Event, roomID id.RoomID) {
	v := c.verif()
	if v == nil || len(ev.Content.VeryRaw) == 0 {
		return
	}
	content := json.RawMessage(ev.Content.VeryRaw)
	evType := ev.Type.Type
	var txn string
	switch {
	case evType == event.EventMessage.Type:
		if roomID == "" {
			return
		}
		evType, txn = sas.TypeRequest, string(ev.ID)
	case roomID != "" && evType == sas.TypeRequest:
		return // requests in a room are messages
	default:
		txn = sas.TxnID(content)
	}
	if txn == "" {
		return
	}
	if roomID != "" && ev.Sender == c.sess.UserID {
		c.ownRoomEvent(v, evType, txn, content)
		return
	}
	if evType == sas.TypeRequest {
		c.onRequest(v, ev, roomID, txn, content)
		return
	}
	v.mu.Lock()
	f := v.flows[txn]
	if f == nil {
		if roomID != "" && v.sendingRoom > 0 && len(v.early) < 64 {
			v.early = append(v.early, earlyEvent{ev: ev, roomID: roomID, at: time.Now()})
		}
		v.mu.Unlock()
		return
	}
	if f.ended || ev.Sender != f.them || roomID != f.roomID {
		v.mu.Unlock()
		return
	}
	if evType == sas.TypeReady {
		var r struct {
			FromDevice id.DeviceID `json:"from_device"`
		}
		_ = json.Unmarshal(content, &r)
		if f.device != "" && r.FromDevice != f.device {
			// Another device answered too late: it is not needed.
			v.mu.Unlock()
			if roomID == "" && r.FromDevice != "" {
				c.flowDo(v, f, func(ctx context.Context) {
					c.sendOthers(ctx, f, []id.DeviceID{r.FromDevice}, sas.CodeAccepted)
				})
			}
			return
		}
		f.device = r.FromDevice
	}
	v.mu.Unlock()
	c.flowDo(v, f, func(ctx context.Context) {
		if f.m != nil {
			c.flowStep(ctx, v, f, f.m.Receive(evType, content))
		}
	})
}

// ownRoomEvent handles our own user's events in a room: our echoes, and
// another of our sessions answering a request made to us, which then no
// longer waits here.
func (c *Client) ownRoomEvent(v *verifier, evType, txn string, content json.RawMessage) {
	if evType != sas.TypeReady && evType != sas.TypeCancel {
		return
	}
	if evType == sas.TypeReady {
		var r struct {
			FromDevice id.DeviceID `json:"from_device"`
		}
		if json.Unmarshal(content, &r) != nil || r.FromDevice == c.sess.DeviceID {
			return
		}
	}
	v.mu.Lock()
	f := v.flows[txn]
	if f == nil || f.ended || !f.incoming {
		v.mu.Unlock()
		return
	}
	v.mu.Unlock()
	reason := "answered on another session"
	if evType == sas.TypeCancel {
		reason = "cancelled on another session"
	}
	c.flowDo(v, f, func(ctx context.Context) {
		if f.m != nil && f.m.State() == sas.Incoming {
			c.finishFlow(v, f, false, reason)
		}
	})
}

// onRequest starts an incoming verification.
func (c *Client) onRequest(v *verifier, ev *event.Event, roomID id.RoomID, txn string, content json.RawMessage) {
	req, err := sas.ParseRequest(content)
	if err != nil {
		c.log.Debug().Err(err).Str("txn", txn).Msg("ignoring a verification request")
		return
	}
	sentAt := time.UnixMilli(req.Timestamp)
	if roomID != "" {
		sentAt = time.UnixMilli(ev.Timestamp)
		if req.To != c.sess.UserID {
			return // between others
		}
	}
	if ev.Sender == c.sess.UserID && req.FromDevice == c.sess.DeviceID {
		return
	}
	if age := time.Since(sentAt); age > sas.Timeout || age < -5*time.Minute {
		c.log.Debug().Str("txn", txn).Time("sent", sentAt).Msg("ignoring a stale verification request")
		return
	}
	if !req.Offers(sas.MethodSAS) {
		c.log.Info().Stringer("user", ev.Sender).Strs("methods", req.Methods).Msg("verification request without emoji verification: ignored")
		return
	}
	f := &flow{txn: txn, them: ev.Sender, roomID: roomID, incoming: true, device: req.FromDevice, begun: time.Now()}
	v.mu.Lock()
	if v.flows[txn] != nil {
		v.mu.Unlock()
		return
	}
	// A new request from a device whose earlier one is still open
	// replaces it (the specification says to cancel such repeats).
	var replaced []*flow
	for _, o := range v.flows {
		if !o.ended && o.incoming && o.them == f.them && o.device == f.device {
			replaced = append(replaced, o)
		}
	}
	v.pruneLocked()
	v.flows[txn] = f
	v.mu.Unlock()
	for _, o := range replaced {
		c.flowDo(v, o, func(ctx context.Context) {
			if o.m != nil {
				c.flowStep(ctx, v, o, o.m.Cancel(sas.CodeUser, "a newer request from the same device replaced it"))
			}
		})
	}
	c.flowDo(v, f, func(ctx context.Context) {
		var err error
		f.m, err = sas.NewIncoming(c.verifyConfig(ctx, f), req, sentAt)
		if err != nil {
			c.log.Warn().Err(err).Str("txn", txn).Msg("cannot answer a verification request")
			c.finishFlow(v, f, false, err.Error())
			return
		}
		c.armTimer(v, f)
		c.hub.Publish(VerificationRequested{TxnID: txn, UserID: f.them, DeviceID: req.FromDevice, RoomID: roomID, Incoming: true})
	})
}

// pruneLocked forgets verifications that ended long ago, and early events
// nobody claimed.
func (v *verifier) pruneLocked() {
	now := time.Now()
	for txn, f := range v.flows {
		if f.ended && now.Sub(f.endedAt) > keepEnded {
			delete(v.flows, txn)
		}
	}
	kept := v.early[:0]
	for _, e := range v.early {
		if now.Sub(e.at) < time.Minute {
			kept = append(kept, e)
		}
	}
	v.early = kept
}

// armTimer cancels the verification with m.timeout at its deadline.
func (c *Client) armTimer(v *verifier, f *flow) {
	d := time.Until(f.m.Deadline()) + 100*time.Millisecond
	t := time.AfterFunc(d, func() {
		c.flowDo(v, f, func(ctx context.Context) {
			if f.m != nil {
				c.flowStep(ctx, v, f, f.m.Expire())
			}
		})
	})
	v.mu.Lock()
	f.timer = t
	v.mu.Unlock()
}

// finishFlow ends a verification once and says so.
func (c *Client) finishFlow(v *verifier, f *flow, done bool, reason string) {
	v.mu.Lock()
	if f.ended {
		v.mu.Unlock()
		return
	}
	f.ended, f.endedAt = true, time.Now()
	if f.timer != nil {
		f.timer.Stop()
	}
	v.mu.Unlock()
	c.log.Info().Str("txn", f.txn).Stringer("user", f.them).Bool("done", done).Str("reason", reason).
		Dur("took", time.Since(f.begun)).Msg("verification ended")
	c.hub.Publish(VerificationEnded{TxnID: f.txn, UserID: f.them, Done: done, Reason: reason})
}

// endReason says why a verification was cancelled, for the user.
func endReason(cn *sas.Cancellation) string {
	if !cn.Remote {
		switch cn.Code {
		case sas.CodeMismatchedSAS:
			return "the emoji did not match"
		case sas.CodeTimeout:
			return "timed out"
		}
		if cn.Reason != "" {
			return cn.Reason
		}
		return "cancelled (" + cn.Code + ")"
	}
	switch cn.Code {
	case sas.CodeAccepted:
		return "answered on another session"
	case sas.CodeMismatchedSAS:
		return "they cancelled: the emoji did not match"
	case sas.CodeTimeout:
		return "they cancelled: timed out"
	}
	if cn.Reason != "" {
		return "they cancelled: " + cn.Reason
	}
	if cn.Code == sas.CodeUser {
		return "they cancelled"
	}
	return "they cancelled: " + cn.Code
}

// flowFor finds a verification under way for the public methods.
func (c *Client) flowFor(txnID string) (*verifier, *flow, error) {
	v := c.verif()
	if v == nil {
		return nil, nil, ErrClosed
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	f := v.flows[txnID]
	if f == nil || f.ended {
		return nil, nil, fmt.Errorf("no verification %q is under way", txnID)
	}
	return v, f, nil
}
