// Package voip runs 1:1 Matrix calls: the m.call.* signalling (version
// "1", with party IDs, select_answer, negotiate, invitee and lifetime) as a
// pure state machine (Machine: fed events and commands with the time,
// answering with Actions), and WebRTC media with pion glued to it.
//
// The Manager is the entry point and satisfies calls.OneToOne: it follows
// a matrix client's updates (CallSignal, member leaves), places and answers
// calls, and publishes calls.CallChanged snapshots. Wiring:
//
//	mgr := voip.New(voip.Options{Client: cli, Calls: cfg.Calls, Audio: cfg.Audio, Log: log})
//	go mgr.Run(ctx)
//	ctrl := calls.New(calls.Options{..., OneToOne: mgr})
//
// Media: audio is G.711 (PCMU, PCMA) both ways, 20 ms frames, from and to
// the sources and sinks of package audio; there is no Opus encoder to be
// had in pure Go, so by default Opus is not offered. Built with the tag
// opus (cgo libopus through gopkg.in/hraban/opus.v2: needs pkg-config and
// libopus-dev; add the tag nolibopusfile to do without libopusfile), Opus
// is offered first (48 kHz, sent mono in 20 ms frames, encoded from and
// decoded to package audio's 8 kHz by the shared codec in package audio), the track sends Opus when
// the peer's SDP lists it, and received packets are decoded by payload
// type. A video call offers a
// receive-only VP8 section (no camera source) and reports the remote
// video's size and frame rate. TURN credentials come from
// /voip/turnServer before each call; calls.forceRelay makes ICE relay-only.
//
// A dead peer is noticed: when a connected call's ICE goes disconnected
// (3 s without a packet from the peer), the snapshot's Problem says
// "connection lost, reconnecting…" (within about 4 s of the loss), the
// caller restarts ICE after 2 s more, and if the media is not back 20 s
// after the loss the call is hung up (ice_failed) with TextConnectionLost,
// on both sides. The peer's mute (its sdp_stream_metadata) is
// CallInfo.PeerMuted.
package voip

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"maunium.net/go/mautrix/event"
)

// The m.call.* event types this package sends and reads.
var (
	TypeInvite       = event.Type{Type: "m.call.invite", Class: event.MessageEventType}
	TypeCandidates   = event.Type{Type: "m.call.candidates", Class: event.MessageEventType}
	TypeAnswer       = event.Type{Type: "m.call.answer", Class: event.MessageEventType}
	TypeSelectAnswer = event.Type{Type: "m.call.select_answer", Class: event.MessageEventType}
	TypeReject       = event.Type{Type: "m.call.reject", Class: event.MessageEventType}
	TypeNegotiate    = event.Type{Type: "m.call.negotiate", Class: event.MessageEventType}
	TypeHangup       = event.Type{Type: "m.call.hangup", Class: event.MessageEventType}
	// TypeStreamMetadataChanged tells the peer of a mute without renegotiating.
	TypeStreamMetadataChanged = event.Type{Type: "m.call.sdp_stream_metadata_changed", Class: event.MessageEventType}
)

// Hangup reasons (m.call.hangup "reason"). Peers may send others, such as
// js-sdk's "replaced" or "signalling_timeout": reason is a free string.
const (
	ReasonUserHangup    = "user_hangup"
	ReasonICEFailed     = "ice_failed"
	ReasonICETimeout    = "ice_timeout"
	ReasonInviteTimeout = "invite_timeout"
	ReasonUserBusy      = "user_busy"
	ReasonMediaFailed   = "user_media_failed"
	ReasonUnknown       = "unknown_error"
	ReasonReplaced      = "replaced"
)

// Version is an m.call.* protocol version. On input the legacy integer 0
// is version 0 and anything else is version "1" (spec: any value other
// than 0 or "1" is treated as "1"). On output it is always the JSON string
// "1", never a number.
type Version struct{ Legacy bool }

// MarshalJSON writes the version: the string "1", or 0 for a legacy peer.
func (v Version) MarshalJSON() ([]byte, error) {
	if v.Legacy {
		return []byte("0"), nil
	}
	return []byte(`"1"`), nil
}

// UnmarshalJSON reads any JSON value: the number 0 is legacy, everything
// else (the string "1", the number 1, ...) is version "1".
func (v *Version) UnmarshalJSON(data []byte) error {
	d := bytes.TrimSpace(data)
	v.Legacy = string(d) == "0" || string(d) == "0.0"
	return nil
}

// SessionDescription is an offer or answer as m.call.* events carry it.
// Type is passed through unchanged, as the spec asks.
type SessionDescription struct {
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

// StreamMetadata is one entry of sdp_stream_metadata, keyed by the msid
// stream ID.
type StreamMetadata struct {
	Purpose    string `json:"purpose"`
	AudioMuted bool   `json:"audio_muted,omitempty"`
	VideoMuted bool   `json:"video_muted,omitempty"`
}

// Common holds the fields every m.call.* event carries.
type Common struct {
	CallID  string  `json:"call_id"`
	PartyID string  `json:"party_id,omitempty"`
	Version Version `json:"version"`
}

// Invite is the content of m.call.invite.
type Invite struct {
	Common
	Lifetime          int64                     `json:"lifetime"`
	Invitee           string                    `json:"invitee,omitempty"`
	Offer             SessionDescription        `json:"offer"`
	SDPStreamMetadata map[string]StreamMetadata `json:"sdp_stream_metadata,omitempty"`
	// SDPStreamMetadataUnstable is MSC3077's prefixed key, read only.
	SDPStreamMetadataUnstable map[string]StreamMetadata `json:"org.matrix.msc3077.sdp_stream_metadata,omitempty"`
	Capabilities              map[string]bool           `json:"capabilities,omitempty"`
}

// Candidate is one ICE candidate; Candidate "" is end-of-candidates.
type Candidate struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid,omitempty"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex,omitempty"`
	UsernameFragment *string `json:"usernameFragment,omitempty"`
}

// Candidates is the content of m.call.candidates.
type Candidates struct {
	Common
	Candidates []Candidate `json:"candidates"`
}

// Answer is the content of m.call.answer.
type Answer struct {
	Common
	Answer            SessionDescription        `json:"answer"`
	SDPStreamMetadata map[string]StreamMetadata `json:"sdp_stream_metadata,omitempty"`
	// SDPStreamMetadataUnstable is MSC3077's prefixed key, read only.
	SDPStreamMetadataUnstable map[string]StreamMetadata `json:"org.matrix.msc3077.sdp_stream_metadata,omitempty"`
	Capabilities              map[string]bool           `json:"capabilities,omitempty"`
}

// SelectAnswer is the content of m.call.select_answer.
type SelectAnswer struct {
	Common
	SelectedPartyID string `json:"selected_party_id"`
}

// Reject is the content of m.call.reject.
type Reject struct {
	Common
}

// Negotiate is the content of m.call.negotiate.
type Negotiate struct {
	Common
	Description       SessionDescription        `json:"description"`
	Lifetime          int64                     `json:"lifetime"`
	SDPStreamMetadata map[string]StreamMetadata `json:"sdp_stream_metadata,omitempty"`
	// SDPStreamMetadataUnstable is MSC3077's prefixed key, read only.
	SDPStreamMetadataUnstable map[string]StreamMetadata `json:"org.matrix.msc3077.sdp_stream_metadata,omitempty"`
}

// StreamMetadataChanged is the content of m.call.sdp_stream_metadata_changed.
type StreamMetadataChanged struct {
	Common
	SDPStreamMetadata map[string]StreamMetadata `json:"sdp_stream_metadata"`
	// SDPStreamMetadataUnstable is MSC3077's prefixed key, read only.
	SDPStreamMetadataUnstable map[string]StreamMetadata `json:"org.matrix.msc3077.sdp_stream_metadata,omitempty"`
}

// Hangup is the content of m.call.hangup.
type Hangup struct {
	Common
	Reason string `json:"reason,omitempty"`
}

// Parse decodes the content of an m.call.* event of type t into one of
// *Invite, *Candidates, *Answer, *SelectAnswer, *Reject, *Negotiate,
// *Hangup or *StreamMetadataChanged, checking the fields each needs. The
// error names the bad field.
func Parse(t string, raw []byte) (any, error) {
	var (
		out  any
		c    *Common
		need func() error
	)
	switch t {
	case TypeInvite.Type:
		v := &Invite{}
		out, c = v, &v.Common
		need = func() error {
			if v.Offer.SDP == "" {
				return errors.New("offer.sdp is missing")
			}
			if v.Lifetime <= 0 {
				return errors.New("lifetime is missing or not positive")
			}
			return nil
		}
	case TypeCandidates.Type:
		v := &Candidates{}
		out, c = v, &v.Common
		need = func() error {
			if v.Candidates == nil {
				return errors.New("candidates is missing")
			}
			return nil
		}
	case TypeAnswer.Type:
		v := &Answer{}
		out, c = v, &v.Common
		need = func() error {
			if v.Answer.SDP == "" {
				return errors.New("answer.sdp is missing")
			}
			return nil
		}
	case TypeSelectAnswer.Type:
		v := &SelectAnswer{}
		out, c = v, &v.Common
		need = func() error {
			if v.SelectedPartyID == "" {
				return errors.New("selected_party_id is missing")
			}
			return nil
		}
	case TypeReject.Type:
		v := &Reject{}
		out, c = v, &v.Common
	case TypeNegotiate.Type:
		v := &Negotiate{}
		out, c = v, &v.Common
		need = func() error {
			if v.Description.SDP == "" {
				return errors.New("description.sdp is missing")
			}
			if v.Description.Type != "offer" && v.Description.Type != "answer" {
				return fmt.Errorf("description.type %q is neither offer nor answer", v.Description.Type)
			}
			return nil
		}
	case TypeHangup.Type:
		v := &Hangup{}
		out, c = v, &v.Common
	case TypeStreamMetadataChanged.Type:
		v := &StreamMetadataChanged{}
		out, c = v, &v.Common
		need = func() error {
			if v.SDPStreamMetadata == nil && v.SDPStreamMetadataUnstable == nil {
				return errors.New("sdp_stream_metadata is missing")
			}
			return nil
		}
	default:
		return nil, fmt.Errorf("%s is not a call event", t)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("field %s: want %s, got %s", te.Field, te.Type, te.Value)
		}
		return nil, fmt.Errorf("content: %w", err)
	}
	if c.CallID == "" {
		return nil, errors.New("call_id is missing")
	}
	if !validID(c.CallID) {
		return nil, errors.New("call_id is not a valid VoIP ID")
	}
	if c.PartyID != "" && !validID(c.PartyID) {
		return nil, errors.New("party_id is not a valid VoIP ID")
	}
	if need != nil {
		if err := need(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// validID applies a lenient form of the VoIP ID grammar: 1 to 255
// printable ASCII characters without whitespace.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' })
}
