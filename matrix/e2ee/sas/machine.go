package sas

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"maunium.net/go/mautrix/id"
)

// Timeout is how long a verification may take, from its request (the
// specification's ten minutes).
const Timeout = 10 * time.Minute

// maxFuture is how far in the future a request's timestamp may be.
const maxFuture = 5 * time.Minute

// Party is one side of a verification.
type Party struct {
	UserID   id.UserID
	DeviceID id.DeviceID
}

// Config describes a verification.
type Config struct {
	// Us is this device; Them the other side (its DeviceID may be empty
	// for an outgoing request until a device answers).
	Us, Them Party
	// TxnID is the transaction ID (to-device) or the request event's ID
	// (in a room).
	TxnID string
	// InRoom: the events travel in a room (m.relates_to) rather than
	// to-device (transaction_id).
	InRoom bool
	// OurKeys are the keys we ask the other side to verify, by key ID
	// ("ed25519:DEVICEID" for our device, "ed25519:<key>" for our master
	// key), each as unpadded base64.
	OurKeys map[string]string
	// TheirKeys returns the other side's key with this key ID as we know
	// it, or "" if we do not know it; their MAC is checked against it.
	TheirKeys func(keyID string) string
	// Now and Rand default to time.Now and crypto/rand.
	Now  func() time.Time
	Rand io.Reader
}

// State is where a verification stands.
type State int

// The states, in the order a successful verification passes them.
const (
	// Requested: we asked; waiting for the other side to accept.
	Requested State = iota
	// Incoming: they asked; waiting for our user to accept.
	Incoming
	// Ready: both sides are ready; no SAS started yet.
	Ready
	// Started: a start is in play; the keys are being exchanged.
	Started
	// KeysExchanged: the SAS is shown; waiting for the confirmations and
	// the MACs.
	KeysExchanged
	// Done: both sides verified each other and said done.
	Done
	// Cancelled: either side cancelled, or it timed out.
	Cancelled
)

func (s State) String() string {
	return [...]string{"requested", "incoming", "ready", "started", "keys exchanged", "done", "cancelled"}[s]
}

// SAS is the short authentication string to show both users.
type SAS struct {
	// Emoji are the seven emoji (nil if the other side does not do emoji).
	Emoji    []Emoji
	Decimals [3]int
}

// VerifiedKey is one of the other side's keys that their MAC verified.
type VerifiedKey struct {
	KeyID string // "ed25519:DEVICEID" or "ed25519:<master key>"
	Key   string
}

// Cancellation says why a verification ended without success.
type Cancellation struct {
	Code   string
	Reason string
	// Remote: the other side cancelled (else we did, or it timed out).
	Remote bool
}

// Step is what a call produced: messages to send, in order, and what
// changed.
type Step struct {
	Send []Message
	// Ready: the request was accepted; Them().DeviceID is known.
	Ready bool
	// SAS is set once, when the short authentication string can be shown.
	SAS *SAS
	// Verified is set once, when both users confirmed and their MAC
	// checked out: these keys of theirs are verified.
	Verified []VerifiedKey
	// Done: the verification completed on both sides.
	Done bool
	// Cancelled: the verification ended without success.
	Cancelled *Cancellation
}

// Verification is one verification between this device and another. It
// is not safe for concurrent use.
type Verification struct {
	cfg      Config
	state    State
	deadline time.Time

	weStarted  bool
	startCanon []byte // canonical JSON of the start in play
	commit     []byte // their commitment (we started)
	mac        string
	sasMethods []string
	priv       *ecdh.PrivateKey
	ourKey     string // our ephemeral public key, unpadded base64
	theirKey   string
	secret     []byte

	confirmed    bool
	verified     []VerifiedKey // set once their MAC checked out
	reported     bool          // Verified was returned
	doneSent     bool
	doneReceived bool
	cancel       *Cancellation
}

// ErrStale says a request is too old (or too far in the future) to answer.
var ErrStale = errors.New("the verification request is more than ten minutes old")

// ErrNoSAS says a request does not offer m.sas.v1.
var ErrNoSAS = errors.New("the other device offers no emoji verification (m.sas.v1)")

func (cfg *Config) defaults() {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.TheirKeys == nil {
		cfg.TheirKeys = func(string) string { return "" }
	}
}

// NewOutgoing starts a verification we request. The caller sends the
// request itself (ToDeviceRequest or RoomRequest) and, in a room, uses its
// event ID as TxnID.
func NewOutgoing(cfg Config) *Verification {
	cfg.defaults()
	return &Verification{cfg: cfg, state: Requested, deadline: cfg.Now().Add(Timeout)}
}

// NewIncoming answers a request the other side sent at sentAt (its
// timestamp, or the room event's origin_server_ts). Them.DeviceID is taken
// from the request. It fails for a request that is stale or offers no
// m.sas.v1.
func NewIncoming(cfg Config, req Request, sentAt time.Time) (*Verification, error) {
	cfg.defaults()
	now := cfg.Now()
	if sentAt.Before(now.Add(-Timeout)) || sentAt.After(now.Add(maxFuture)) {
		return nil, ErrStale
	}
	if !req.Offers(MethodSAS) {
		return nil, ErrNoSAS
	}
	cfg.Them.DeviceID = req.FromDevice
	if sentAt.After(now) {
		sentAt = now
	}
	return &Verification{cfg: cfg, state: Incoming, deadline: sentAt.Add(Timeout)}, nil
}

// State says where the verification stands.
func (v *Verification) State() State { return v.state }

// Them is the other side (its device is known once it answered).
func (v *Verification) Them() Party { return v.cfg.Them }

// Deadline is when the verification times out.
func (v *Verification) Deadline() time.Time { return v.deadline }

// Ended says whether the verification is done or cancelled.
func (v *Verification) Ended() bool { return v.state == Done || v.state == Cancelled }

// Cancellation says why it was cancelled (nil unless Cancelled).
func (v *Verification) Cancellation() *Cancellation { return v.cancel }

// Accept accepts an incoming request: it sends ready.
func (v *Verification) Accept() (Step, error) {
	if v.state != Incoming {
		return Step{}, fmt.Errorf("cannot accept: the verification is %s", v.state)
	}
	v.state = Ready
	return Step{Ready: true, Send: []Message{v.build(TypeReady, map[string]any{
		"from_device": v.cfg.Us.DeviceID,
		"methods":     []string{MethodSAS},
	})}}, nil
}

// Start begins emoji verification on a ready request: it sends start.
func (v *Verification) Start() (Step, error) {
	if v.state != Ready {
		return Step{}, fmt.Errorf("cannot start emoji verification: the verification is %s", v.state)
	}
	msg := v.build(TypeStart, map[string]any{
		"from_device":                  v.cfg.Us.DeviceID,
		"method":                       MethodSAS,
		"key_agreement_protocols":      []string{keyAgreementHKDF},
		"hashes":                       []string{hashSHA256},
		"message_authentication_codes": []string{macV2, macV1},
		"short_authentication_string":  []string{sasDecimal, sasEmoji},
	})
	v.state, v.weStarted, v.startCanon = Started, true, msg.Content
	return Step{Send: []Message{msg}}, nil
}

// Confirm says our user saw the same emoji: it sends our MAC (and done,
// if their MAC has checked out already).
func (v *Verification) Confirm() (Step, error) {
	if v.state != KeysExchanged || v.confirmed {
		return Step{}, fmt.Errorf("nothing to confirm: the verification is %s", v.state)
	}
	v.confirmed = true
	st := Step{Send: []Message{v.ourMAC()}}
	v.finish(&st)
	return st, nil
}

// Cancel ends the verification and tells the other side (code is one of
// the Code constants, m.user or m.mismatched_sas for a user's decision).
func (v *Verification) Cancel(code, reason string) Step {
	if v.Ended() {
		return Step{}
	}
	return v.fail(code, reason)
}

// CancelFor is a cancel of this verification for a device that is not
// (or no longer) part of it, without ending it: the other devices a
// to-device request went to, once one answered (m.accepted) or declined
// (m.user).
func (v *Verification) CancelFor(code, reason string) Message {
	return v.build(TypeCancel, map[string]any{"code": code, "reason": reason})
}

// Expire cancels the verification with m.timeout once its deadline has
// passed.
func (v *Verification) Expire() Step {
	if v.Ended() || v.cfg.Now().Before(v.deadline) {
		return Step{}
	}
	return v.fail(CodeTimeout, "the verification timed out")
}

func (v *Verification) fail(code, reason string) Step {
	v.state = Cancelled
	v.cancel = &Cancellation{Code: code, Reason: reason}
	return Step{
		Send:      []Message{v.build(TypeCancel, map[string]any{"code": code, "reason": reason})},
		Cancelled: v.cancel,
	}
}

// Receive handles an event content from the other side. Events after the
// end are ignored; a malformed or unexpected one cancels.
func (v *Verification) Receive(evType string, content json.RawMessage) Step {
	if v.Ended() {
		return Step{}
	}
	switch evType {
	case TypeCancel:
		var c cancelContent
		_ = json.Unmarshal(content, &c)
		if c.Code == "" {
			c.Code = CodeUser
		}
		v.state = Cancelled
		v.cancel = &Cancellation{Code: c.Code, Reason: c.Reason, Remote: true}
		return Step{Cancelled: v.cancel}
	case TypeReady:
		return v.onReady(content)
	case TypeStart:
		return v.onStart(content)
	case TypeAccept:
		return v.onAccept(content)
	case TypeKey:
		return v.onKey(content)
	case TypeMAC:
		return v.onMAC(content)
	case TypeDone:
		return v.onDone()
	case TypeRequest:
		return v.fail(CodeUnexpectedMessage, "a second request in the same verification")
	default:
		return Step{} // some other method's event: not ours to judge
	}
}

func (v *Verification) onReady(content json.RawMessage) Step {
	if v.state != Requested {
		return v.fail(CodeUnexpectedMessage, "unexpected ready")
	}
	var r readyContent
	if err := json.Unmarshal(content, &r); err != nil || r.FromDevice == "" {
		return v.fail(CodeInvalidMessage, "malformed ready")
	}
	if !contains(r.Methods, MethodSAS) {
		return v.fail(CodeUnknownMethod, "the other device offers no emoji verification")
	}
	v.cfg.Them.DeviceID = r.FromDevice
	v.state = Ready
	return Step{Ready: true}
}
