package e2ee

import (
	"errors"
	"strings"

	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/crypto/olm"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// FailureKind sorts the reasons an encrypted event stays unreadable.
type FailureKind string

const (
	// Waiting: this session has no key for the event yet; it may still
	// come (to-device, key backup, a key request answered, an import).
	Waiting FailureKind = "waiting"
	// Withheld: the sender's device said it will not share the key with
	// this session (m.room_key.withheld).
	Withheld FailureKind = "withheld"
	// Broken: the event can never be decrypted here (corrupt, replayed,
	// meant for another room, an unknown algorithm).
	Broken FailureKind = "broken"
)

// Failure says why an encrypted event could not be decrypted. It is kept
// with the event in the store and shown in its place until the key comes.
// Every string in it is remote data except Kind.
type Failure struct {
	Kind      FailureKind  `json:"kind"`
	SessionID id.SessionID `json:"session_id,omitempty"`
	SenderKey id.SenderKey `json:"sender_key,omitempty"`
	// Device is the sending device as the event names it (newer clients
	// leave it out).
	Device id.DeviceID `json:"device,omitempty"`
	// Code and Reason come from an m.room_key.withheld.
	Code   event.RoomKeyWithheldCode `json:"code,omitempty"`
	Reason string                    `json:"reason,omitempty"`
	// Err is the decryption error of a Broken event.
	Err string `json:"err,omitempty"`
}

// Retryable says whether a later key can still make the event readable.
// A withheld key can still come: the sender's device shares it once this
// session is verified, or another device forwards it.
func (f Failure) Retryable() bool { return f.Kind != Broken }

// Classify turns an error of DecryptMegolmEvent into a Failure for the
// event's content.
func Classify(err error, content *event.EncryptedEventContent) Failure {
	f := Failure{Kind: Broken}
	if content != nil {
		f.SessionID, f.SenderKey, f.Device = content.SessionID, content.SenderKey, content.DeviceID
	}
	switch {
	case errors.Is(err, crypto.ErrNoSessionFound), errors.Is(err, olm.ErrUnknownMessageIndex):
		f.Kind = Waiting
	case errors.Is(err, crypto.ErrGroupSessionWithheld):
		f.Kind = Withheld
	default:
		f.Err = shortError(err)
	}
	return f
}

// shortError keeps an error's text short and to one line.
func shortError(err error) string {
	if err == nil {
		return "unknown error"
	}
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// oneLine folds a remote string to one line of at most max bytes.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// Text is the line shown in the event's place. sender is the sender's
// name as the caller shows it (already made safe for display). It never
// contains key material.
func (f Failure) Text(sender string) string {
	switch f.Kind {
	case Waiting:
		if f.Device != "" {
			return "Unable to decrypt: waiting for the key from " + sender + "'s device " + string(f.Device)
		}
		return "Unable to decrypt: waiting for the key from " + sender + "'s device"
	case Withheld:
		return "Unable to decrypt: the sender's device did not share the key with this session: " + WithheldText(f.Code, f.Reason)
	default:
		return "Unable to decrypt: " + f.Err
	}
}

// WithheldText explains a withheld code in words; reason is the sender's
// own text, used only for codes we do not know.
func WithheldText(code event.RoomKeyWithheldCode, reason string) string {
	switch code {
	case event.RoomKeyWithheldUnverified:
		return "this session is not verified"
	case event.RoomKeyWithheldBlacklisted:
		return "this session is blocked"
	case event.RoomKeyWithheldUnauthorized:
		return "this session may not read it"
	case event.RoomKeyWithheldUnavailable:
		return "the key is not available"
	case event.RoomKeyWithheldNoOlmSession:
		return "no secure channel to this session could be set up"
	case event.RoomKeyWithheldBeeperRedacted:
		return "the message was deleted"
	}
	if reason = oneLine(reason, 100); reason == "" {
		return "no reason given (" + oneLine(string(code), 40) + ")"
	}
	return reason
}
