package elementpeer

import (
	"context"
	"errors"
	"fmt"
)

// A peer handles one verification request at a time, as it does calls: the
// current one is the last incoming request handed out by
// WaitVerificationRequest or the last one this peer sent. A second incoming
// request while one is under way is cancelled (a "verification.busy" event).

// VerificationRequest is a verification request.
type VerificationRequest struct {
	// VID is the page's ID of the request.
	VID string `json:"vid"`
	// TxnID is the transaction ID (to-device) or the request event's ID
	// (in a room).
	TxnID    string `json:"txnId"`
	UserID   string `json:"userId"`
	DeviceID string `json:"deviceId"`
	// RoomID is set for an in-room (DM) request.
	RoomID string `json:"roomId"`
	// Self: a verification between two devices of one user.
	Self bool `json:"self"`
}

// Emoji is one of the seven SAS emoji: the symbol and its English name.
type Emoji struct {
	Symbol string
	Name   string
}

// ErrVerificationCancelled is returned (wrapped, with the cancel code and
// reason) when the current verification is cancelled.
var ErrVerificationCancelled = errors.New("the verification was cancelled")

// WaitVerificationRequest waits for an incoming verification request not
// yet returned by an earlier call and makes it the current one.
func (p *Peer) WaitVerificationRequest(ctx context.Context) (VerificationRequest, error) {
	if err := p.needCrypto("waiting for a verification request"); err != nil {
		return VerificationRequest{}, err
	}
	p.mu.Lock()
	from := p.verifs
	p.mu.Unlock()
	idx := 0
	e, err := p.waitEvent(ctx, func(e Event) bool {
		idx++
		return idx > from && e.Event == "verification.request"
	})
	if err != nil {
		return VerificationRequest{}, err
	}
	p.mu.Lock()
	if idx > p.verifs {
		p.verifs = idx
	}
	p.vid = e.VID
	p.mu.Unlock()
	return VerificationRequest{VID: e.VID, TxnID: e.TxnID, UserID: e.UserID, DeviceID: e.DeviceID, RoomID: e.RoomID, Self: e.Self}, nil
}

// AcceptVerification accepts the current (incoming) request: the other side
// may then start SAS, which the peer follows (verifier.verify()).
func (p *Peer) AcceptVerification(ctx context.Context) error {
	return p.verifCmd(ctx, "acceptVerification")
}

// StartSAS starts emoji verification (m.sas.v1) on the current request once
// the other side has accepted it.
func (p *Peer) StartSAS(ctx context.Context) error { return p.verifCmd(ctx, "startSas") }

// ConfirmSAS says the emoji match.
func (p *Peer) ConfirmSAS(ctx context.Context) error { return p.verifCmd(ctx, "confirmSas") }

// MismatchSAS says the emoji do not match, which cancels the verification
// (m.mismatched_sas).
func (p *Peer) MismatchSAS(ctx context.Context) error { return p.verifCmd(ctx, "mismatchSas") }

// CancelVerification cancels the current request unless it has finished.
func (p *Peer) CancelVerification(ctx context.Context) error {
	return p.verifCmd(ctx, "cancelVerification")
}

func (p *Peer) verifCmd(ctx context.Context, cmd string) error {
	if err := p.needCrypto(cmd); err != nil {
		return err
	}
	return p.do(ctx, cmd, nil, nil)
}

// WaitSAS waits until the current verification shows its SAS and returns
// the seven emoji.
func (p *Peer) WaitSAS(ctx context.Context) ([]Emoji, error) {
	vid, err := p.currentVerification()
	if err != nil {
		return nil, err
	}
	var cancelled *Event
	e, err := p.waitEvent(ctx, func(e Event) bool {
		if e.VID != vid {
			return false
		}
		if e.Event == "verification.cancel" {
			cancelled = &e
			return true
		}
		return e.Event == "verification.sas"
	})
	if err != nil {
		return nil, err
	}
	if cancelled != nil {
		return nil, p.cancelError(*cancelled)
	}
	out := make([]Emoji, 0, len(e.Emoji))
	for _, pair := range e.Emoji {
		if len(pair) != 2 {
			return nil, fmt.Errorf("elementpeer: malformed SAS emoji %q", pair)
		}
		out = append(out, Emoji{Symbol: pair[0], Name: pair[1]})
	}
	if len(out) != 7 {
		return out, fmt.Errorf("elementpeer: %d SAS emoji, want 7", len(out))
	}
	return out, nil
}

// WaitVerificationDone waits until the current verification is done on this
// side: the request's phase is Done and, for SAS, the verifier has finished
// (verify() resolved, so the other side's keys are marked verified). It
// fails with ErrVerificationCancelled, the cancel code and reason, if it is
// cancelled instead.
//
// The Rust SAS can report the request Done while its verifier never
// finishes: when the other side's m.key.verification.done overtakes its
// m.key.verification.mac (two requests in flight at once). WaitVerificationDone
// then times out saying so.
func (p *Peer) WaitVerificationDone(ctx context.Context) error {
	vid, err := p.currentVerification()
	if err != nil {
		return err
	}
	phase := ""
	e, err := p.waitEvent(ctx, func(e Event) bool {
		if e.VID == vid && e.Event == "verification.phase" {
			phase = e.Phase
		}
		return e.VID == vid && (e.Event == "verification.done" || e.Event == "verification.cancel")
	})
	if err != nil && ctx.Err() != nil {
		what := "the request is " + phase
		if phase == "Done" {
			what = "the request is Done but its SAS never finished"
		}
		return p.failure("waiting for verification "+vid+" to finish ("+what+")", ctx.Err())
	}
	if err != nil {
		return err
	}
	if e.Event == "verification.cancel" {
		return p.cancelError(e)
	}
	return nil
}

func (p *Peer) cancelError(e Event) error {
	return p.failure("verification", fmt.Errorf("%w: code %q by %q, reason %q", ErrVerificationCancelled, e.Code, e.Sender, e.Reason))
}

func (p *Peer) currentVerification() (string, error) {
	if err := p.needCrypto("verification"); err != nil {
		return "", err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.vid == "" {
		return "", errors.New("elementpeer: no current verification request")
	}
	return p.vid, nil
}

// RequestOwnVerification asks the user's other devices to verify this one
// (requestOwnUserVerification, to-device) and makes it the current request.
func (p *Peer) RequestOwnVerification(ctx context.Context) (VerificationRequest, error) {
	return p.request(ctx, "requestOwnVerification", nil)
}

// RequestDeviceVerification asks one device of userID to verify (to-device)
// and makes it the current request.
func (p *Peer) RequestDeviceVerification(ctx context.Context, userID, deviceID string) (VerificationRequest, error) {
	return p.request(ctx, "requestDeviceVerification", map[string]any{"userId": userID, "deviceId": deviceID})
}

// RequestVerificationDM asks userID to verify in the (encrypted) DM roomID,
// as Element's "Verify user" does, and makes it the current request.
func (p *Peer) RequestVerificationDM(ctx context.Context, userID, roomID string) (VerificationRequest, error) {
	return p.request(ctx, "requestVerificationDM", map[string]any{"userId": userID, "roomId": roomID})
}

func (p *Peer) request(ctx context.Context, cmd string, args map[string]any) (VerificationRequest, error) {
	if err := p.needCrypto(cmd); err != nil {
		return VerificationRequest{}, err
	}
	var r VerificationRequest
	if err := p.do(ctx, cmd, args, &r); err != nil {
		return VerificationRequest{}, err
	}
	p.mu.Lock()
	p.vid = r.VID
	p.mu.Unlock()
	return r, nil
}
