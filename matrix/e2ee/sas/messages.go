package sas

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"maunium.net/go/mautrix/crypto/canonicaljson"
	"maunium.net/go/mautrix/id"
)

// The verification event types (to-device, and in a room as message
// events; an in-room request is an m.room.message with MsgTypeRequest).
const (
	TypeRequest = "m.key.verification.request"
	TypeReady   = "m.key.verification.ready"
	TypeStart   = "m.key.verification.start"
	TypeAccept  = "m.key.verification.accept"
	TypeKey     = "m.key.verification.key"
	TypeMAC     = "m.key.verification.mac"
	TypeDone    = "m.key.verification.done"
	TypeCancel  = "m.key.verification.cancel"

	// MsgTypeRequest is the msgtype of an in-room request.
	MsgTypeRequest = "m.key.verification.request"
)

// Cancel codes of the specification.
const (
	CodeUser               = "m.user"
	CodeTimeout            = "m.timeout"
	CodeUnknownTransaction = "m.unknown_transaction"
	CodeUnknownMethod      = "m.unknown_method"
	CodeUnexpectedMessage  = "m.unexpected_message"
	CodeKeyMismatch        = "m.key_mismatch"
	CodeUserMismatch       = "m.user_mismatch"
	CodeInvalidMessage     = "m.invalid_message"
	CodeAccepted           = "m.accepted"
	CodeMismatchedSAS      = "m.mismatched_sas"
	CodeMismatchedCommit   = "m.mismatched_commitment"
)

// Message is a verification event to send: its type and its complete
// content (transaction_id for to-device, m.relates_to in a room).
type Message struct {
	Type    string
	Content json.RawMessage
}

type relation struct {
	RelType string `json:"rel_type,omitempty"`
	EventID string `json:"event_id,omitempty"`
}

// envelope holds the fields that tie an event to its verification.
type envelope struct {
	TransactionID string    `json:"transaction_id,omitempty"`
	RelatesTo     *relation `json:"m.relates_to,omitempty"`
}

// TxnID returns the verification an event content belongs to: its
// transaction_id (to-device) or the event its m.relates_to references (in
// a room). It is empty if the content names none.
func TxnID(content json.RawMessage) string {
	var e envelope
	if json.Unmarshal(content, &e) != nil {
		return ""
	}
	if e.TransactionID != "" {
		return e.TransactionID
	}
	if e.RelatesTo != nil {
		return e.RelatesTo.EventID
	}
	return ""
}

// Request is a parsed verification request (to-device, or in a room).
type Request struct {
	FromDevice id.DeviceID `json:"from_device"`
	Methods    []string    `json:"methods"`
	// Timestamp is when a to-device request was made (ms); in a room the
	// event's origin_server_ts says it.
	Timestamp     int64  `json:"timestamp,omitempty"`
	TransactionID string `json:"transaction_id,omitempty"`
	// To and MsgType are set in a room: whom the request is for.
	To      id.UserID `json:"to,omitempty"`
	MsgType string    `json:"msgtype,omitempty"`
}

// ParseRequest reads a request's content. It fails if the content names
// no device or offers no methods.
func ParseRequest(content json.RawMessage) (Request, error) {
	var r Request
	if err := json.Unmarshal(content, &r); err != nil {
		return r, fmt.Errorf("malformed verification request: %w", err)
	}
	if r.FromDevice == "" {
		return r, errors.New("malformed verification request: no from_device")
	}
	if len(r.Methods) == 0 {
		return r, errors.New("malformed verification request: no methods")
	}
	return r, nil
}

// Offers says whether the request offers method.
func (r Request) Offers(method string) bool { return contains(r.Methods, method) }

// RoomRequest is the content of an in-room request (an m.room.message)
// from our device to another user; the request's event ID becomes the
// verification's transaction ID.
func RoomRequest(fromDevice id.DeviceID, to id.UserID) json.RawMessage {
	return mustCanonical(map[string]any{
		"msgtype":     MsgTypeRequest,
		"body":        "Asking to verify your keys: your client does not support in-room key verification, so please use another one.",
		"from_device": fromDevice,
		"methods":     []string{MethodSAS},
		"to":          to,
	})
}

// ToDeviceRequest is the content of a to-device request.
func ToDeviceRequest(fromDevice id.DeviceID, txnID string, now time.Time) json.RawMessage {
	return mustCanonical(map[string]any{
		"from_device":    fromDevice,
		"methods":        []string{MethodSAS},
		"timestamp":      now.UnixMilli(),
		"transaction_id": txnID,
	})
}

type readyContent struct {
	FromDevice id.DeviceID `json:"from_device"`
	Methods    []string    `json:"methods"`
}

type startContent struct {
	FromDevice                 id.DeviceID `json:"from_device"`
	Method                     string      `json:"method"`
	KeyAgreementProtocols      []string    `json:"key_agreement_protocols"`
	Hashes                     []string    `json:"hashes"`
	MessageAuthenticationCodes []string    `json:"message_authentication_codes"`
	ShortAuthenticationString  []string    `json:"short_authentication_string"`
}

type acceptContent struct {
	Method                    string   `json:"method"`
	Commitment                string   `json:"commitment"`
	Hash                      string   `json:"hash"`
	KeyAgreementProtocol      string   `json:"key_agreement_protocol"`
	MessageAuthenticationCode string   `json:"message_authentication_code"`
	ShortAuthenticationString []string `json:"short_authentication_string"`
}

type keyContent struct {
	Key string `json:"key"`
}

type macContent struct {
	Keys string            `json:"keys"`
	MAC  map[string]string `json:"mac"`
}

type cancelContent struct {
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// build makes a message of type t from fields, with the envelope of this
// verification added, in canonical JSON.
func (v *Verification) build(t string, fields map[string]any) Message {
	if fields == nil {
		fields = map[string]any{}
	}
	if v.cfg.InRoom {
		fields["m.relates_to"] = relation{RelType: "m.reference", EventID: v.cfg.TxnID}
	} else {
		fields["transaction_id"] = v.cfg.TxnID
	}
	return Message{Type: t, Content: mustCanonical(fields)}
}

// mustCanonical encodes v (made of plain maps, slices and strings) as
// canonical JSON.
func mustCanonical(v any) json.RawMessage {
	out, err := canonicaljson.Marshal(v)
	if err != nil {
		panic("sas: encoding a verification message: " + err.Error())
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
