package voip

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"maunium.net/go/mautrix/id"
)

// Phase is where a call is in its life, finer than calls.CallState.
type Phase int

// The phases of a call.
const (
	PhasePreparing  Phase = iota // outgoing: making the offer
	PhaseInviting                // outgoing: invite sent, waiting for an answer
	PhaseRinging                 // incoming: waiting for the user
	PhaseAnswering               // incoming: user accepted, making the answer
	PhaseConnecting              // answer sent or chosen, media not yet up
	PhaseConnected               // media up
	PhaseEnded
)

func (p Phase) String() string {
	return [...]string{"preparing", "inviting", "ringing", "answering", "connecting", "connected", "ended"}[p]
}

// Signal is one m.call.* event given to the Machine.
type Signal struct {
	RoomID   id.RoomID
	Sender   id.UserID
	Type     string // m.call.invite, ...
	Content  []byte // the raw JSON content
	Age      time.Duration
	Received time.Time
}

// MachineConfig sets up a Machine.
type MachineConfig struct {
	UserID   id.UserID
	PartyID  string        // our party ID: the device ID
	Lifetime time.Duration // of our invites; 90 s if zero
	// RingGrace is how much of a remote invite's lifetime must be left to
	// ring (js-sdk uses 3 s).
	RingGrace time.Duration
	// CandidateDelay is how long local candidates are batched once the
	// invite or answer is out. End-of-candidates flushes at once.
	CandidateDelay time.Duration
	// ConnectTimeout ends a call whose media does not come up after the
	// answer (hangup ice_failed).
	ConnectTimeout time.Duration
	// ReconnectTimeout ends a connected call whose media was lost
	// (MediaLost) and did not come back within it (hangup ice_failed,
	// TextConnectionLost); 20 s if zero.
	ReconnectTimeout time.Duration
	// NewCallID makes call IDs. Required.
	NewCallID func() string
	// Logf reports ignored or malformed events. Optional.
	Logf func(format string, args ...any)
}

// Call is the signalling state of one call. Drivers read it through
// Machine.Call; only the Machine changes it.
type Call struct {
	ID       string
	RoomID   id.RoomID
	Peer     id.UserID
	Outgoing bool
	Video    bool
	Phase    Phase
	// PeerParty is the opponent's party ID once chosen (the invite's for an
	// incoming call, the first answer's for an outgoing one).
	PeerParty  string
	PeerChosen bool
	PeerLegacy bool // version 0 peer: no party IDs, no negotiate, hangup instead of reject
	Lifetime   time.Duration
	Deadline   time.Time // when ringing or inviting gives up
	// EndReason is a human text once ended: "no answer", "bob hung up".
	EndReason string
	// HangupReason is the m.call.hangup reason that ended it, sent or received.
	HangupReason string
	// ConnectedAt is when media came up.
	ConnectedAt time.Time
	// Reconnecting is set while a connected call's media is lost
	// (MediaLost), since LostAt; it ends with MediaConnected or the call.
	Reconnecting bool
	LostAt       time.Time
	// PeerMuted is the peer's microphone state as its sdp_stream_metadata
	// says (invite, answer, negotiate, sdp_stream_metadata_changed).
	PeerMuted bool

	remoteByParty map[string][]Candidate // before the answer is chosen
	localCands    []Candidate
	localOut      bool // invite or answer sent: candidates may go out
	flushAt       time.Time
	connectBy     time.Time
	reconnectBy   time.Time
	endedAt       time.Time
}

// ErrBusy is returned when a call is placed while another is going on.
var ErrBusy = errors.New("a call is already in progress")

// Machine is the m.call.* signalling of one account, pure: it is fed events
// and commands with the current time and answers with Actions. It keeps at
// most one live call. It is not safe for concurrent use.
type Machine struct {
	cfg    MachineConfig
	calls  map[string]*Call
	active *Call
	// stash holds candidates for calls not yet known, by call ID.
	stash map[string][]stashed
}

type stashed struct {
	sender id.UserID
	party  string
	cands  []Candidate
}

const (
	maxStashedCalls = 32
	maxKeptCalls    = 64
)

// NewMachine returns a Machine.
func NewMachine(cfg MachineConfig) *Machine {
	if cfg.Lifetime <= 0 {
		cfg.Lifetime = 90 * time.Second
	}
	if cfg.RingGrace <= 0 {
		cfg.RingGrace = 3 * time.Second
	}
	if cfg.CandidateDelay <= 0 {
		cfg.CandidateDelay = 200 * time.Millisecond
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 45 * time.Second
	}
	if cfg.ReconnectTimeout <= 0 {
		cfg.ReconnectTimeout = 20 * time.Second
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	return &Machine{cfg: cfg, calls: map[string]*Call{}, stash: map[string][]stashed{}}
}

// Call returns a copy of a call's state.
func (m *Machine) Call(callID string) (Call, bool) {
	c, ok := m.calls[callID]
	if !ok {
		return Call{}, false
	}
	return *c, true
}

// Active returns the live call, if any.
func (m *Machine) Active() (Call, bool) {
	if m.active == nil {
		return Call{}, false
	}
	return *m.active, true
}

// Live says whether a call is live (Active without copying it).
func (m *Machine) Live() bool { return m.active != nil }

// ActiveInRoom returns the live call's ID if it is in roomID.
func (m *Machine) ActiveInRoom(roomID id.RoomID) (string, bool) {
	if m.active == nil || m.active.RoomID != roomID {
		return "", false
	}
	return m.active.ID, true
}

func (m *Machine) common(c *Call) Common {
	return Common{CallID: c.ID, PartyID: m.cfg.PartyID}
}

// Place starts an outgoing call. The driver makes the offer and calls
// OfferReady.
func (m *Machine) Place(now time.Time, roomID id.RoomID, peer id.UserID, video bool) (string, []Action, error) {
	if m.active != nil {
		return "", nil, ErrBusy
	}
	if peer == m.cfg.UserID {
		return "", nil, errors.New("you cannot place a call with yourself")
	}
	c := &Call{
		ID: m.cfg.NewCallID(), RoomID: roomID, Peer: peer, Outgoing: true, Video: video,
		Phase: PhasePreparing, Lifetime: m.cfg.Lifetime,
	}
	m.add(c)
	m.active = c
	return c.ID, []Action{Changed{c.ID}}, nil
}

// OfferReady sends the invite with the local offer.
func (m *Machine) OfferReady(now time.Time, callID string, offer SessionDescription, meta map[string]StreamMetadata) []Action {
	c := m.live(callID)
	if c == nil || c.Phase != PhasePreparing {
		return nil
	}
	c.Phase = PhaseInviting
	c.Deadline = now.Add(c.Lifetime)
	inv := &Invite{
		Common:            m.common(c),
		Lifetime:          c.Lifetime.Milliseconds(),
		Invitee:           string(c.Peer),
		Offer:             offer,
		SDPStreamMetadata: meta,
		Capabilities:      map[string]bool{"m.call.transferee": false, "m.call.dtmf": false},
	}
	acts := []Action{Send{c.RoomID, c.ID, TypeInvite, inv}, Changed{c.ID}}
	return append(acts, m.localOut(now, c, offer.SDP)...)
}

// Accept is the user answering a ringing call. The driver makes the answer
// and calls AnswerReady.
func (m *Machine) Accept(now time.Time, callID string) []Action {
	c := m.live(callID)
	if c == nil || c.Phase != PhaseRinging {
		return nil
	}
	c.Phase = PhaseAnswering
	return []Action{Changed{c.ID}}
}

// AnswerReady sends the answer with the local description.
func (m *Machine) AnswerReady(now time.Time, callID string, answer SessionDescription, meta map[string]StreamMetadata) []Action {
	c := m.live(callID)
	if c == nil || c.Phase != PhaseAnswering {
		return nil
	}
	c.Phase = PhaseConnecting
	c.connectBy = now.Add(m.cfg.ConnectTimeout)
	ans := &Answer{
		Common:            m.common(c),
		Answer:            answer,
		SDPStreamMetadata: meta,
		Capabilities:      map[string]bool{"m.call.transferee": false, "m.call.dtmf": false},
	}
	acts := []Action{Send{c.RoomID, c.ID, TypeAnswer, ans}, Changed{c.ID}}
	return append(acts, m.localOut(now, c, answer.SDP)...)
}

// localOut marks the invite or answer as sent: candidates it already
// carries in its SDP are dropped, the rest go out after the batching delay.
func (m *Machine) localOut(now time.Time, c *Call, sdp string) []Action {
	c.localOut = true
	kept := c.localCands[:0]
	end := false
	for _, cand := range c.localCands {
		if cand.Candidate == "" {
			end = true
			kept = append(kept, cand)
			continue
		}
		if strings.Contains(sdp, strings.TrimPrefix(cand.Candidate, "candidate:")) {
			continue
		}
		kept = append(kept, cand)
	}
	c.localCands = kept
	if len(kept) == 1 && end && strings.Contains(sdp, "a=end-of-candidates") {
		c.localCands = nil // the SDP says it all
		return nil
	}
	if len(c.localCands) > 0 {
		if end {
			return m.flush(c)
		}
		c.flushAt = now.Add(m.cfg.CandidateDelay)
	}
	return nil
}

// LocalCandidate queues one local candidate ("" marks end-of-candidates).
func (m *Machine) LocalCandidate(now time.Time, callID string, cand Candidate) []Action {
	c := m.live(callID)
	if c == nil {
		return nil
	}
	c.localCands = append(c.localCands, cand)
	if !c.localOut {
		return nil
	}
	if cand.Candidate == "" {
		return m.flush(c)
	}
	if c.flushAt.IsZero() {
		c.flushAt = now.Add(m.cfg.CandidateDelay)
	}
	return nil
}

func (m *Machine) flush(c *Call) []Action {
	c.flushAt = time.Time{}
	if len(c.localCands) == 0 {
		return nil
	}
	cands := c.localCands
	c.localCands = nil
	return []Action{Send{c.RoomID, c.ID, TypeCandidates, &Candidates{Common: m.common(c), Candidates: cands}}}
}

// LocalNegotiate sends an m.call.negotiate (an ICE-restart offer, or the
// answer to the peer's negotiate). Version 0 peers get none.
func (m *Machine) LocalNegotiate(now time.Time, callID string, desc SessionDescription) []Action {
	c := m.live(callID)
	if c == nil || c.PeerLegacy || !c.PeerChosen {
		return nil
	}
	return []Action{Send{c.RoomID, c.ID, TypeNegotiate, &Negotiate{
		Common: m.common(c), Description: desc, Lifetime: c.Lifetime.Milliseconds(),
	}}}
}

// MediaConnected marks the call connected, or a connected call's lost
// media as back.
func (m *Machine) MediaConnected(now time.Time, callID string) []Action {
	c := m.live(callID)
	if c != nil && c.Phase == PhaseConnected {
		return m.mediaBack(c)
	}
	if c == nil || c.Phase != PhaseConnecting {
		return nil
	}
	c.Phase = PhaseConnected
	c.ConnectedAt = now
	return []Action{Changed{c.ID}}
}

// Reject declines a ringing call: m.call.reject, or a hangup toward a
// version 0 peer.
func (m *Machine) Reject(now time.Time, callID string) []Action {
	c := m.live(callID)
	if c == nil || c.Phase != PhaseRinging {
		return nil
	}
	if c.PeerLegacy {
		return m.end(now, c, "you declined the call", ReasonUserHangup, true)
	}
	acts := []Action{Send{c.RoomID, c.ID, TypeReject, &Reject{Common: m.common(c)}}}
	return append(acts, m.end(now, c, "you declined the call", "", false)...)
}

// Hangup ends a call from our side with a reason (user_hangup, ice_failed,
// user_media_failed...). A call still being prepared ends silently.
func (m *Machine) Hangup(now time.Time, callID, reason string) []Action {
	c := m.live(callID)
	if c == nil {
		return nil
	}
	if c.Phase == PhaseRinging && reason == ReasonUserHangup {
		return m.Reject(now, callID)
	}
	text := "you hung up"
	switch {
	case c.Phase == PhaseRinging:
		// Our client could not take the call (its media failed): the
		// user neither declined nor ignored it.
		text = "missed call from " + string(c.Peer) + ": it could not be set up"
	case reason == ReasonICEFailed, reason == ReasonICETimeout:
		text = "connection failed"
	case reason == ReasonMediaFailed:
		text = "media failed"
	case reason == ReasonInviteTimeout:
		text = "no answer"
	}
	return m.end(now, c, text, reason, c.Phase != PhasePreparing)
}

// PeerLeft ends the call in roomID if user is its peer (leaving is a
// hangup) or ourselves.
func (m *Machine) PeerLeft(now time.Time, roomID id.RoomID, user id.UserID) []Action {
	c := m.active
	if c == nil || c.RoomID != roomID {
		return nil
	}
	if user == m.cfg.UserID {
		return m.end(now, c, "you left the room", "", false)
	}
	if c.Peer != user {
		return nil
	}
	return m.end(now, c, string(user)+" left the room", ReasonUserHangup, c.Phase != PhasePreparing && c.Phase != PhaseRinging)
}

// Tick runs the timers: candidate batches, invite and ringing expiry, and
// the connect timeout. Call it often (every 100 ms or so).
func (m *Machine) Tick(now time.Time) []Action {
	c := m.active
	if c == nil {
		return nil
	}
	var acts []Action
	if !c.flushAt.IsZero() && !now.Before(c.flushAt) {
		acts = append(acts, m.flush(c)...)
	}
	switch {
	case c.Phase == PhaseInviting && !now.Before(c.Deadline):
		acts = append(acts, m.end(now, c, "no answer", ReasonInviteTimeout, true)...)
	case c.Phase == PhaseRinging && !now.Before(c.Deadline):
		acts = append(acts, m.end(now, c, "missed call", "", false)...)
	case c.Phase == PhaseConnecting && !c.connectBy.IsZero() && !now.Before(c.connectBy):
		acts = append(acts, m.end(now, c, "connection failed", ReasonICEFailed, true)...)
	default:
		acts = append(acts, m.reconnectTick(now, c)...)
	}
	return acts
}

// end ends a live call, sending a hangup with reason if send is set.
func (m *Machine) end(now time.Time, c *Call, text, reason string, send bool) []Action {
	var acts []Action
	if send {
		h := &Hangup{Common: m.common(c), Reason: reason}
		if c.PeerLegacy && reason == ReasonUserHangup {
			h.Reason = ""
		}
		acts = append(acts, Send{c.RoomID, c.ID, TypeHangup, h})
	}
	c.Phase = PhaseEnded
	c.EndReason = text
	if reason != "" {
		c.HangupReason = reason
	}
	c.endedAt = now
	c.localCands, c.remoteByParty, c.flushAt = nil, nil, time.Time{}
	if m.active == c {
		m.active = nil
	}
	return append(acts, EndMedia{c.ID}, Changed{c.ID})
}

func (m *Machine) live(callID string) *Call {
	c, ok := m.calls[callID]
	if !ok || c.Phase == PhaseEnded {
		return nil
	}
	return c
}

// add stores a call, forgetting the oldest ended ones beyond a bound.
func (m *Machine) add(c *Call) {
	m.calls[c.ID] = c
	if len(m.calls) <= maxKeptCalls {
		return
	}
	var ended []*Call
	for _, o := range m.calls {
		if o.Phase == PhaseEnded {
			ended = append(ended, o)
		}
	}
	sort.Slice(ended, func(i, j int) bool { return ended[i].endedAt.Before(ended[j].endedAt) })
	for _, o := range ended[:len(ended)/2] {
		delete(m.calls, o.ID)
	}
}

// remember records a call we ignore (stale, busy, for someone else), so its
// later events are dropped quietly.
func (m *Machine) remember(now time.Time, roomID id.RoomID, callID string, peer id.UserID, why string) {
	delete(m.stash, callID)
	m.add(&Call{ID: callID, RoomID: roomID, Peer: peer, Phase: PhaseEnded, EndReason: why, endedAt: now})
}

// HandleBatch processes the m.call.* events of one sync response, in
// order. An invite whose answer, reject, hangup or foreign select_answer is
// in the same batch does not ring.
func (m *Machine) HandleBatch(now time.Time, batch []Signal) []Action {
	type parsed struct {
		s Signal
		v any
		c Common
	}
	var evs []parsed
	var acts []Action
	done := map[string]bool{}
	for _, s := range batch {
		if !handled[s.Type] {
			continue // asserted_identity, replaces...
		}
		v, err := Parse(s.Type, s.Content)
		if err != nil {
			m.cfg.Logf("voip: ignoring %s from %s in %s: %v", s.Type, s.Sender, s.RoomID, err)
			if s.Type == TypeInvite.Type {
				acts = append(acts, m.onBadInvite(now, s)...)
			}
			continue
		}
		c := commonOf(v)
		evs = append(evs, parsed{s, v, c})
		switch x := v.(type) {
		case *Answer, *Hangup, *Reject:
			done[c.CallID] = true
		case *SelectAnswer:
			if x.SelectedPartyID != m.cfg.PartyID {
				done[c.CallID] = true
			}
		}
	}
	for _, e := range evs {
		if e.s.Sender == m.cfg.UserID && e.c.PartyID == m.cfg.PartyID && !e.c.Version.Legacy {
			continue // our own echo
		}
		switch v := e.v.(type) {
		case *Invite:
			acts = append(acts, m.onInvite(now, e.s, v, done[v.CallID])...)
		case *Candidates:
			acts = append(acts, m.onCandidates(now, e.s, v)...)
		case *Answer:
			acts = append(acts, m.onAnswer(now, e.s, v)...)
		case *SelectAnswer:
			acts = append(acts, m.onSelectAnswer(now, e.s, v)...)
		case *Reject:
			acts = append(acts, m.onReject(now, e.s, v)...)
		case *Negotiate:
			acts = append(acts, m.onNegotiate(now, e.s, v)...)
		case *Hangup:
			acts = append(acts, m.onHangup(now, e.s, v)...)
		case *StreamMetadataChanged:
			acts = append(acts, m.onMetadataChanged(now, e.s, v)...)
		}
	}
	return acts
}

// handled are the m.call.* types the Machine reads; others are ignored.
var handled = map[string]bool{
	TypeInvite.Type: true, TypeCandidates.Type: true, TypeAnswer.Type: true, TypeSelectAnswer.Type: true,
	TypeReject.Type: true, TypeNegotiate.Type: true, TypeHangup.Type: true,
	TypeStreamMetadataChanged.Type: true,
}

func commonOf(v any) Common {
	switch x := v.(type) {
	case *Invite:
		return x.Common
	case *Candidates:
		return x.Common
	case *Answer:
		return x.Common
	case *SelectAnswer:
		return x.Common
	case *Reject:
		return x.Common
	case *Negotiate:
		return x.Common
	case *Hangup:
		return x.Common
	case *StreamMetadataChanged:
		return x.Common
	}
	return Common{}
}

func (m *Machine) onInvite(now time.Time, s Signal, v *Invite, doneInBatch bool) []Action {
	logf := m.cfg.Logf
	switch {
	case s.Sender == m.cfg.UserID:
		return nil // our own call from another device
	case m.calls[v.CallID] != nil:
		return nil // seen already
	case doneInBatch:
		logf("voip: invite %s from %s was answered or ended in the same sync; not ringing", v.CallID, s.Sender)
		m.remember(now, s.RoomID, v.CallID, s.Sender, "ended before it rang")
		return nil
	case v.Invitee != "" && v.Invitee != string(m.cfg.UserID):
		m.remember(now, s.RoomID, v.CallID, s.Sender, "for someone else")
		return nil
	}
	lifetime := time.Duration(v.Lifetime) * time.Millisecond
	received := s.Received
	if received.IsZero() {
		received = now
	}
	deadline := received.Add(lifetime - s.Age - m.cfg.RingGrace)
	if !now.Before(deadline) {
		logf("voip: invite %s from %s is stale (age %s, lifetime %s)", v.CallID, s.Sender, s.Age, lifetime)
		m.remember(now, s.RoomID, v.CallID, s.Sender, "stale")
		return nil
	}
	c := &Call{
		ID: v.CallID, RoomID: s.RoomID, Peer: s.Sender, Video: strings.Contains(v.Offer.SDP, "m=video"),
		Phase: PhaseRinging, PeerParty: v.PartyID, PeerChosen: true, PeerLegacy: v.Version.Legacy,
		Lifetime: m.cfg.Lifetime, Deadline: deadline,
	}
	m.setPeerMeta(c, v.SDPStreamMetadata, v.SDPStreamMetadataUnstable)
	var acts []Action
	auto := false
	if a := m.active; a != nil {
		glare := a.Outgoing && a.RoomID == s.RoomID && a.Peer == s.Sender &&
			(a.Phase == PhasePreparing || a.Phase == PhaseInviting)
		switch {
		case !glare:
			logf("voip: busy: rejecting call %s from %s", v.CallID, s.Sender)
			m.remember(now, s.RoomID, v.CallID, s.Sender, "busy")
			return []Action{Send{s.RoomID, v.CallID, TypeHangup, &Hangup{
				Common: Common{CallID: v.CallID, PartyID: m.cfg.PartyID}, Reason: ReasonUserBusy}}}
		case a.Phase == PhaseInviting && a.ID < v.CallID:
			// Our call has the lesser ID and wins; theirs is replaced.
			logf("voip: glare: our call %s wins over %s", a.ID, v.CallID)
			m.remember(now, s.RoomID, v.CallID, s.Sender, "replaced")
			return []Action{Send{s.RoomID, v.CallID, TypeHangup, &Hangup{
				Common: Common{CallID: v.CallID, PartyID: m.cfg.PartyID}, Reason: ReasonReplaced}}}
		default:
			logf("voip: glare: taking call %s instead of ours %s", v.CallID, a.ID)
			acts = m.end(now, a, "replaced by the incoming call", ReasonReplaced, a.Phase == PhaseInviting)
			c.Video = c.Video || a.Video
			auto = true
		}
	}
	m.add(c)
	m.active = c
	if auto {
		c.Phase = PhaseAnswering
	}
	acts = append(acts, StartIncoming{CallID: c.ID, Offer: v.Offer, AutoAnswer: auto}, Changed{c.ID})
	for _, st := range m.stash[c.ID] {
		if st.sender == c.Peer && st.party == c.PeerParty {
			acts = append(acts, AddCandidates{c.ID, st.cands})
		}
	}
	delete(m.stash, c.ID)
	return acts
}

func (m *Machine) onCandidates(now time.Time, s Signal, v *Candidates) []Action {
	c, known := m.calls[v.CallID]
	if !known {
		if len(m.stash) >= maxStashedCalls {
			m.cfg.Logf("voip: too many unknown calls with candidates; dropping %s", v.CallID)
			return nil
		}
		m.stash[v.CallID] = append(m.stash[v.CallID], stashed{s.Sender, v.PartyID, v.Candidates})
		return nil
	}
	if c.Phase == PhaseEnded || s.Sender != c.Peer {
		return nil
	}
	if c.PeerChosen {
		if !m.partyMatches(c, v.Common) {
			return nil
		}
		return []Action{AddCandidates{c.ID, v.Candidates}}
	}
	// Outgoing, no answer chosen yet: keep them per party.
	if c.remoteByParty == nil {
		c.remoteByParty = map[string][]Candidate{}
	}
	c.remoteByParty[v.PartyID] = append(c.remoteByParty[v.PartyID], v.Candidates...)
	return nil
}

func (m *Machine) partyMatches(c *Call, cm Common) bool {
	if c.PeerLegacy || cm.Version.Legacy {
		return true
	}
	return cm.PartyID == c.PeerParty
}

func (m *Machine) onAnswer(now time.Time, s Signal, v *Answer) []Action {
	c := m.live(v.CallID)
	if c == nil {
		return nil
	}
	if !c.Outgoing {
		// Our own user answered on another device while this one rang.
		if s.Sender == m.cfg.UserID && c.Phase == PhaseRinging {
			return m.end(now, c, "answered on another device", "", false)
		}
		return nil
	}
	if s.Sender != c.Peer {
		return nil
	}
	if c.PeerChosen {
		m.cfg.Logf("voip: call %s: ignoring a later answer from party %q", c.ID, v.PartyID)
		return nil
	}
	if c.Phase != PhaseInviting {
		return nil
	}
	c.PeerChosen = true
	c.PeerParty = v.PartyID
	c.PeerLegacy = v.Version.Legacy
	c.Phase = PhaseConnecting
	m.setPeerMeta(c, v.SDPStreamMetadata, v.SDPStreamMetadataUnstable)
	c.connectBy = now.Add(m.cfg.ConnectTimeout)
	acts := []Action{ApplyAnswer{c.ID, v.Answer}}
	if cands := c.remoteByParty[v.PartyID]; len(cands) > 0 {
		acts = append(acts, AddCandidates{c.ID, cands})
	}
	c.remoteByParty = nil
	if !c.PeerLegacy && v.PartyID != "" {
		acts = append(acts, Send{c.RoomID, c.ID, TypeSelectAnswer, &SelectAnswer{
			Common: m.common(c), SelectedPartyID: v.PartyID}})
	}
	return append(acts, Changed{c.ID})
}

func (m *Machine) onSelectAnswer(now time.Time, s Signal, v *SelectAnswer) []Action {
	c := m.live(v.CallID)
	if c == nil || c.Outgoing || s.Sender != c.Peer || !m.partyMatches(c, v.Common) {
		return nil
	}
	if v.SelectedPartyID != m.cfg.PartyID {
		return m.end(now, c, "answered elsewhere", "", false)
	}
	return nil
}

func (m *Machine) onReject(now time.Time, s Signal, v *Reject) []Action {
	c := m.live(v.CallID)
	if c == nil {
		return nil
	}
	switch {
	case c.Outgoing && s.Sender == c.Peer && c.Phase == PhaseInviting:
		return m.end(now, c, string(c.Peer)+" declined the call", "", false)
	case !c.Outgoing && s.Sender == m.cfg.UserID && c.Phase == PhaseRinging:
		return m.end(now, c, "declined on another device", "", false)
	}
	return nil
}

func (m *Machine) onNegotiate(now time.Time, s Signal, v *Negotiate) []Action {
	c := m.live(v.CallID)
	if c == nil || s.Sender != c.Peer || !c.PeerChosen || !m.partyMatches(c, v.Common) {
		return nil
	}
	if c.PeerLegacy {
		return nil
	}
	acts := []Action{RemoteNegotiate{c.ID, v.Description}}
	if m.setPeerMeta(c, v.SDPStreamMetadata, v.SDPStreamMetadataUnstable) {
		acts = append(acts, Changed{c.ID})
	}
	return acts
}

func (m *Machine) onHangup(now time.Time, s Signal, v *Hangup) []Action {
	c := m.live(v.CallID)
	if c == nil {
		return nil
	}
	if s.Sender == m.cfg.UserID && !c.Outgoing && c.Phase == PhaseRinging {
		return m.end(now, c, "ended on another device", v.Reason, false)
	}
	if s.Sender != c.Peer {
		return nil
	}
	// Before an answer is chosen any of the callee's devices may hang up.
	if c.PeerChosen && !m.partyMatches(c, v.Common) {
		return nil
	}
	reason := v.Reason
	if reason == "" {
		reason = ReasonUserHangup
	}
	text := fmt.Sprintf("%s hung up", c.Peer)
	switch {
	case reason == ReasonUserBusy:
		text = fmt.Sprintf("%s is busy", c.Peer)
	case c.Phase == PhaseRinging:
		text = fmt.Sprintf("missed call from %s", c.Peer)
	case (reason == ReasonICEFailed || reason == ReasonICETimeout) && c.Reconnecting:
		text = TextConnectionLost // the peer gave up on the lost media first
	case reason == ReasonICEFailed || reason == ReasonICETimeout:
		text = "connection failed"
	case reason == ReasonInviteTimeout:
		text = "no answer"
	}
	return m.end(now, c, text, reason, false)
}
