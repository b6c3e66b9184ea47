package elementpeer

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// matrix-js-sdk's CallState values that tests wait for.
const (
	StateRinging    = "ringing"
	StateInviteSent = "invite_sent"
	StateConnecting = "connecting"
	StateConnected  = "connected"
	StateEnded      = "ended"
)

// Event is something the page reported: "incoming" (an invite rang), "state"
// (the call's CallState changed), "hangup" (the call ended, with matrix-js-sdk's
// reason), "error", "busy" (a second call was refused) or "crash"; and for
// verification (verify.go) "verification.request" (an incoming request),
// "verification.phase", "verification.sas" (the emoji to compare),
// "verification.done", "verification.cancel" (Code, Sender who cancelled,
// Reason) and "verification.busy" (a second request was cancelled); and for
// MatrixRTC calls the rtc.* events (EventRTCRing and the others in rtc.go).
type Event struct {
	Event     string `json:"event"`
	CallID    string `json:"callId"`
	State     string `json:"state"`
	Old       string `json:"old"`
	Direction string `json:"direction"`
	Reason    string `json:"reason"`
	Party     string `json:"party"`
	Error     string `json:"error"`
	Sender    string `json:"sender"`
	RoomID    string `json:"roomId"`
	Video     bool   `json:"video"`
	// VID is the page's ID of a verification request; TxnID the request's
	// transaction ID (the request event's ID for in-room requests).
	VID      string     `json:"vid"`
	TxnID    string     `json:"txnId"`
	UserID   string     `json:"userId"`
	DeviceID string     `json:"deviceId"`
	Self     bool       `json:"self"`
	Phase    string     `json:"phase"`
	Code     string     `json:"code"`
	Emoji    [][]string `json:"emoji"`
	Decimal  []int      `json:"decimal"`
	// MatrixRTC events (rtc.go): the notification or decline's EventID, its
	// Type, Intent and Lifetime (ms), whether it was Encrypted, the
	// notification a decline refers to; a LiveKit Identity, a key's Index,
	// an SFU Service, the session's Members, and SinceJoinMs.
	EventID        string      `json:"eventId"`
	Type           string      `json:"type"`
	Intent         string      `json:"intent"`
	Lifetime       int64       `json:"lifetime"`
	Encrypted      bool        `json:"encrypted"`
	NotificationID string      `json:"notificationId"`
	Identity       string      `json:"identity"`
	Index          int         `json:"index"`
	Service        string      `json:"service"`
	Members        []RTCMember `json:"members"`
	SinceJoinMs    int64       `json:"sinceJoinMs"`
	// T is the browser's wall clock when the event happened, in ms since
	// the Unix epoch.
	T int64 `json:"t"`
}

// Time returns T as a time.Time.
func (e Event) Time() time.Time { return time.UnixMilli(e.T) }

// Incoming is a call that rang on the peer.
type Incoming struct {
	CallID string
	Sender string
	RoomID string
	Video  bool
	At     time.Time
}

// Placed is an outgoing call: its ID and when placeVoiceCall/placeVideoCall
// was entered in the browser.
type Placed struct {
	CallID   string `json:"callId"`
	PlacedAt int64  `json:"placedAt"`
}

// Stats is a summary of the current call's RTCPeerConnection.getStats().
type Stats struct {
	CallID               string  `json:"callId"`
	State                string  `json:"state"`
	ICEConnectionState   string  `json:"iceConnectionState"`
	InboundAudioPackets  int64   `json:"inboundAudioPackets"`
	InboundAudioBytes    int64   `json:"inboundAudioBytes"`
	TotalAudioEnergy     float64 `json:"totalAudioEnergy"`
	OutboundAudioPackets int64   `json:"outboundAudioPackets"`
	AudioCodec           string  `json:"audioCodec"`
	InboundVideoFrames   int64   `json:"inboundVideoFrames"`
	VideoCodec           string  `json:"videoCodec"`
	VideoWidth           int     `json:"videoWidth"`
	VideoHeight          int     `json:"videoHeight"`
	// LocalCandidateType and RemoteCandidateType are the selected candidate
	// pair's types: "relay" when media goes through TURN.
	LocalCandidateType  string `json:"localCandidateType"`
	RemoteCandidateType string `json:"remoteCandidateType"`
	CandidatePairState  string `json:"candidatePairState"`
	// AudioPlaying is whether the remote stream is attached to a playing
	// <audio> element (Chromium decodes remote audio only then).
	AudioPlaying bool `json:"audioPlaying"`
}

// PlaceCall places a voice call (or a video call) in roomID, once the peer
// is joined there, and returns when the invite has been sent.
func (p *Peer) PlaceCall(ctx context.Context, roomID string, video bool) (Placed, error) {
	var res Placed
	if err := p.do(ctx, "placeCall", map[string]any{"roomId": roomID, "video": video}, &res); err != nil {
		return Placed{}, err
	}
	p.mu.Lock()
	p.callID = res.CallID
	p.mu.Unlock()
	return res, nil
}

// WaitIncoming waits for an incoming call not yet returned by an earlier
// WaitIncoming and makes it the current call.
func (p *Peer) WaitIncoming(ctx context.Context) (Incoming, error) {
	p.mu.Lock()
	from := p.incoming
	p.mu.Unlock()
	idx := 0
	e, err := p.waitEvent(ctx, func(e Event) bool {
		idx++
		return idx > from && e.Event == "incoming"
	})
	if err != nil {
		return Incoming{}, err
	}
	p.mu.Lock()
	if idx > p.incoming {
		p.incoming = idx
	}
	p.callID = e.CallID
	p.mu.Unlock()
	return Incoming{CallID: e.CallID, Sender: e.Sender, RoomID: e.RoomID, Video: e.Video, At: e.Time()}, nil
}

// Answer answers the current (ringing) call.
func (p *Peer) Answer(ctx context.Context) error { return p.do(ctx, "answer", nil, nil) }

// Hangup hangs the current call up (reason user_hangup).
func (p *Peer) Hangup(ctx context.Context) error { return p.do(ctx, "hangup", nil, nil) }

// Reject rejects the current (ringing) call.
func (p *Peer) Reject(ctx context.Context) error { return p.do(ctx, "reject", nil, nil) }

// SetAutoAnswer turns answering every incoming call at once on or off.
func (p *Peer) SetAutoAnswer(ctx context.Context, on bool) error {
	return p.do(ctx, "autoAnswer", map[string]any{"on": on}, nil)
}

// Stats returns a getStats() summary of the current call.
func (p *Peer) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	err := p.do(ctx, "stats", nil, &s)
	return s, err
}

// CallID returns the current call's ID: the last one placed or rung.
func (p *Peer) CallID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.callID
}

// ErrCallEnded is returned (wrapped) by WaitState when the call ends before
// reaching the state waited for.
var ErrCallEnded = errors.New("the call ended")

// WaitState waits until the current call reaches state and returns that
// event. It fails with ErrCallEnded, and the hang-up reason, if the call
// ends first.
func (p *Peer) WaitState(ctx context.Context, state string) (Event, error) {
	callID := p.CallID()
	if callID == "" {
		return Event{}, errors.New("elementpeer: no current call")
	}
	var ended *Event
	e, err := p.waitEvent(ctx, func(e Event) bool {
		if e.CallID != callID {
			return false
		}
		if e.Event == "state" && e.State == state {
			return true
		}
		if state != StateEnded && e.Event == "hangup" {
			ended = &e
			return true
		}
		return false
	})
	if err != nil {
		return Event{}, err
	}
	if ended != nil {
		return Event{}, p.failure("waiting for "+state, fmt.Errorf("%w (reason %q)", ErrCallEnded, ended.Reason))
	}
	return e, nil
}

// WaitHangup waits until the current call has ended and returns
// matrix-js-sdk's hang-up reason (e.g. "user_hangup", "invite_timeout").
func (p *Peer) WaitHangup(ctx context.Context) (string, error) {
	callID := p.CallID()
	if callID == "" {
		return "", errors.New("elementpeer: no current call")
	}
	e, err := p.waitEvent(ctx, func(e Event) bool { return e.CallID == callID && e.Event == "hangup" })
	if err != nil {
		return "", err
	}
	return e.Reason, nil
}

// StateTime returns when the current call entered state, if it did.
func (p *Peer) StateTime(state string) (time.Time, bool) {
	callID := p.CallID()
	for _, e := range p.Events() {
		if e.CallID == callID && e.Event == "state" && e.State == state {
			return e.Time(), true
		}
	}
	return time.Time{}, false
}

// Peak is the strongest frequency in the remote audio, measured in the
// browser with a WebAudio AnalyserNode.
type Peak struct {
	Hz float64 `json:"hz"`
	// Share is the part of the total power in the peak's three bins.
	Share  float64 `json:"share"`
	Frames int     `json:"frames"`
}

// PeakFrequency listens to the current call's remote audio for d and
// returns its strongest frequency.
func (p *Peer) PeakFrequency(ctx context.Context, d time.Duration) (Peak, error) {
	var pk Peak
	err := p.do(ctx, "peakFrequency", map[string]any{"ms": d.Milliseconds()}, &pk)
	return pk, err
}

// HoldResult is the call after a hold or unhold has been negotiated.
type HoldResult struct {
	SignalingState string `json:"signalingState"`
	RemoteOnHold   bool   `json:"remoteOnHold"`
	// Directions are the transceivers' negotiated directions: "sendonly"
	// while the peer is on hold, "sendrecv" after.
	Directions []string `json:"directions"`
}

// Hold puts the peer on hold (on) or takes it off, as Element's hold button
// does, and returns once the peer has answered the m.call.negotiate.
func (p *Peer) Hold(ctx context.Context, on bool) (HoldResult, error) {
	var r HoldResult
	err := p.do(ctx, "hold", map[string]any{"on": on}, &r)
	return r, err
}

// RestartResult is the call after an ICE restart.
type RestartResult struct {
	LocalUfragBefore   string `json:"localUfragBefore"`
	LocalUfragAfter    string `json:"localUfragAfter"`
	RemoteUfragBefore  string `json:"remoteUfragBefore"`
	RemoteUfragAfter   string `json:"remoteUfragAfter"`
	ICEConnectionState string `json:"iceConnectionState"`
	State              string `json:"state"`
}

// RestartICE restarts ICE as matrix-js-sdk does after ICE fails (an offer
// with new credentials in m.call.negotiate) and returns once the peer has
// answered and ICE is connected again.
func (p *Peer) RestartICE(ctx context.Context) (RestartResult, error) {
	var r RestartResult
	err := p.do(ctx, "restartIce", nil, &r)
	return r, err
}
