package elementpeer

import (
	"context"
	"fmt"
	"time"
)

// The events a MatrixRTC call reports (Event.Event).
const (
	// EventRTCRing is a ring notification from someone else
	// (org.matrix.msc4075.rtc.notification or the deprecated call.notify
	// with notification type "ring"): RoomID, Sender, EventID, Type,
	// Intent, Lifetime, Encrypted.
	EventRTCRing = "rtc.ring"
	// EventRTCDecline is someone else's decline (org.matrix.msc4310.rtc.decline):
	// RoomID, Sender, EventID, NotificationID.
	EventRTCDecline = "rtc.decline"
	// EventRTCMembers is a change of a room's session members: RoomID, Members.
	EventRTCMembers = "rtc.members"
	// EventRTCKey is a media key the session handed to the media layer (ours
	// too): Identity, Index, UserID, DeviceID.
	EventRTCKey = "rtc.key"
	// EventRTCTrack is a remote audio track subscribed: Identity, Service.
	EventRTCTrack = "rtc.track"
	// EventRTCAudio is the first decoded audio with energy from a remote
	// participant: Identity, SinceJoinMs (since RTCJoin began).
	EventRTCAudio = "rtc.audio"
	// EventRTCDisconnected is a LiveKit connection closing: Service, Reason.
	EventRTCDisconnected = "rtc.disconnected"
)

// RTCJoinOptions says how RTCJoin joins a room's MatrixRTC session.
type RTCJoinOptions struct {
	RoomID string
	// Intent is "audio" (the default) or "video": the membership's
	// m.call.intent. The peer publishes audio only either way.
	Intent string
	// Ring sends an org.matrix.msc4075.rtc.notification of type "ring" if
	// we are the session's first member, as Element Call does in a DM.
	Ring bool
	// Encrypted turns on per-participant media keys (over Olm-encrypted
	// to-device; the peer needs Options.Crypto) and LiveKit frame
	// encryption, as Element Call does in encrypted rooms.
	Encrypted bool
}

// RTCJoined is what RTCJoin set up.
type RTCJoined struct {
	// JoinedAt is the browser's clock (ms since the epoch) when the join began.
	JoinedAt int64 `json:"joinedAt"`
	// Service is the livekit_service_url of our transport, and
	// TransportSource where it was found: "transports" (the MSC4143
	// endpoint) or "well-known".
	Service         string `json:"service"`
	TransportSource string `json:"transportSource"`
	// LiveKitURL is the SFU URL /sfu/get returned.
	LiveKitURL string `json:"livekitUrl"`
	// Identity is our LiveKit participant identity (@user:server:DEVICE).
	Identity string `json:"identity"`
}

// RTCMember is one membership of a room's MatrixRTC session.
type RTCMember struct {
	UserID   string `json:"userId"`
	DeviceID string `json:"deviceId"`
	// Identity is the member's LiveKit participant identity.
	Identity string `json:"identity"`
	// Service is the member's first foci_preferred livekit_service_url.
	Service string `json:"service"`
	Intent  string `json:"intent"`
}

// RTCConnection is one LiveKit connection: one per distinct SFU service.
type RTCConnection struct {
	Service string `json:"service"`
	URL     string `json:"url"`
	// Own is the connection we publish on.
	Own   bool   `json:"own"`
	State string `json:"state"`
}

// RTCParticipant is a remote LiveKit participant and its audio as the
// browser's getStats() sees it.
type RTCParticipant struct {
	Identity   string `json:"identity"`
	Service    string `json:"service"`
	AudioTrack bool   `json:"audioTrack"`
	// DecodedEnergy is the inbound audio's totalAudioEnergy: above 0 once
	// audio has been decoded (and, in an encrypted call, decrypted).
	DecodedEnergy   float64 `json:"decodedEnergy"`
	AudioLevel      float64 `json:"audioLevel"`
	PacketsReceived int64   `json:"packetsReceived"`
	// Encrypted is livekit-client's view: all the participant's tracks are
	// end-to-end encrypted.
	Encrypted        bool `json:"encrypted"`
	DecryptionErrors int  `json:"decryptionErrors"`
}

// RTCState is a room's MatrixRTC session as the peer sees it.
type RTCState struct {
	RoomID  string      `json:"roomId"`
	Joined  bool        `json:"joined"`
	Members []RTCMember `json:"members"`
	// KeysReceived counts the media keys applied per LiveKit identity (ours
	// included) since the join.
	KeysReceived map[string]int `json:"keysReceived"`
	// ToDeviceKeys counts the io.element.call.encryption_keys to-device
	// messages received for this room (ever, not only since the join), by
	// whether they came Olm-encrypted.
	ToDeviceKeys struct {
		Encrypted int `json:"encrypted"`
		Plaintext int `json:"plaintext"`
	} `json:"toDeviceKeys"`
	Connections  []RTCConnection  `json:"connections"`
	Participants []RTCParticipant `json:"participants"`
}

// Participant returns the remote participant with identity, if present.
func (s RTCState) Participant(identity string) (RTCParticipant, bool) {
	for _, p := range s.Participants {
		if p.Identity == identity {
			return p, true
		}
	}
	return RTCParticipant{}, false
}

// RTCJoin joins a room's MatrixRTC session as Element Call does in
// compatibility mode: it finds the LiveKit transport (MSC4143 endpoint,
// else the well-known), sends the call.member state event (focus_active
// multi_sfu, our transport with livekit_alias = the room ID), gets a JWT
// from the service's /sfu/get with an OpenID token, connects to the SFU
// and publishes the microphone. It returns once our audio is published.
func (p *Peer) RTCJoin(ctx context.Context, o RTCJoinOptions) (RTCJoined, error) {
	var r RTCJoined
	err := p.do(ctx, "rtcJoin", map[string]any{
		"roomId": o.RoomID, "intent": o.Intent, "ring": o.Ring, "encrypted": o.Encrypted,
	}, &r)
	return r, err
}

// RTCLeave leaves the current MatrixRTC call: LiveKit disconnected, the
// membership replaced by {}.
func (p *Peer) RTCLeave(ctx context.Context) error { return p.do(ctx, "rtcLeave", nil, nil) }

// RTCState returns roomID's session (the current call's if roomID is empty).
func (p *Peer) RTCState(ctx context.Context, roomID string) (RTCState, error) {
	var s RTCState
	err := p.do(ctx, "rtcState", map[string]any{"roomId": roomID}, &s)
	return s, err
}

// DecryptionSteady checks that the peer's count of frames from identity it
// could not decrypt stops growing: within steadyWindows windows of d, one
// passes with no growth. livekit-client counts the frames that arrive
// before their key (the first of a call, the first after a rotation, more
// of them on a loaded machine), so a few are expected; a count that grows
// in every window means frames the peer cannot decrypt.
func (p *Peer) DecryptionSteady(ctx context.Context, roomID, identity string, d time.Duration) error {
	count := func() (int, error) {
		s, err := p.RTCState(ctx, roomID)
		if err != nil {
			return 0, err
		}
		part, ok := s.Participant(identity)
		if !ok {
			return 0, fmt.Errorf("no participant %s", identity)
		}
		return part.DecryptionErrors, nil
	}
	first, err := count()
	if err != nil {
		return err
	}
	before := first
	for range steadyWindows {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return ctx.Err()
		}
		after, err := count()
		if err != nil {
			return err
		}
		if after == before {
			return nil
		}
		before = after
	}
	return fmt.Errorf("frames from %s it cannot decrypt grew from %d to %d, in each of %d windows of %v", identity, first, before, steadyWindows, d)
}

// steadyWindows is how many windows DecryptionSteady gives the count to
// stop growing.
const steadyWindows = 5

// RTCPeakFrequency listens to one remote participant's audio in the
// current call for d and returns its strongest frequency.
func (p *Peer) RTCPeakFrequency(ctx context.Context, identity string, d time.Duration) (Peak, error) {
	var pk Peak
	err := p.do(ctx, "rtcPeakFrequency", map[string]any{"identity": identity, "ms": d.Milliseconds()}, &pk)
	return pk, err
}

// RTCDecline declines the ring notification eventID in roomID.
func (p *Peer) RTCDecline(ctx context.Context, roomID, eventID string) error {
	return p.do(ctx, "rtcDecline", map[string]any{"roomId": roomID, "eventId": eventID}, nil)
}

// WaitRTCRing waits for a ring notification not returned by an earlier
// WaitRTCRing.
func (p *Peer) WaitRTCRing(ctx context.Context) (Event, error) {
	p.mu.Lock()
	from := p.rings
	p.mu.Unlock()
	idx := 0
	e, err := p.waitEvent(ctx, func(e Event) bool {
		idx++
		return idx > from && e.Event == EventRTCRing
	})
	if err != nil {
		return Event{}, err
	}
	p.mu.Lock()
	if idx > p.rings {
		p.rings = idx
	}
	p.mu.Unlock()
	return e, nil
}

// WaitRTCDecline waits for someone's decline of the ring notification
// notificationID.
func (p *Peer) WaitRTCDecline(ctx context.Context, notificationID string) (Event, error) {
	return p.waitEvent(ctx, func(e Event) bool { return e.Event == EventRTCDecline && e.NotificationID == notificationID })
}

// WaitRTCAudio waits until the call joined has decoded audio from identity
// and returns that rtc.audio event (SinceJoinMs is the join time).
func (p *Peer) WaitRTCAudio(ctx context.Context, joined RTCJoined, identity string) (Event, error) {
	return p.waitEvent(ctx, func(e Event) bool {
		return e.Event == EventRTCAudio && e.Identity == identity && e.T >= joined.JoinedAt
	})
}

// WaitRTCState polls RTCState for roomID until ok accepts it and returns
// that state.
func (p *Peer) WaitRTCState(ctx context.Context, roomID string, ok func(RTCState) bool) (RTCState, error) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		s, err := p.RTCState(ctx, roomID)
		if err != nil {
			return s, err
		}
		if ok(s) {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return s, p.failure("waiting for the MatrixRTC state", ctx.Err())
		case <-t.C:
		}
	}
}

// WaitRTCMembers waits until roomID's session has exactly n members.
func (p *Peer) WaitRTCMembers(ctx context.Context, roomID string, n int) (RTCState, error) {
	return p.WaitRTCState(ctx, roomID, func(s RTCState) bool { return len(s.Members) == n })
}

// WaitRTCKey waits until the session hands the media layer a key for
// identity (ours included) after since, as a rotation does, and returns
// that rtc.key event.
func (p *Peer) WaitRTCKey(ctx context.Context, identity string, since time.Time) (Event, error) {
	return p.waitEvent(ctx, func(e Event) bool {
		return e.Event == EventRTCKey && e.Identity == identity && e.T >= since.UnixMilli()
	})
}
