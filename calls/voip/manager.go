package voip

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/config"
	"github.com/termatrix/termatrix/internal/pubsub"
	"github.com/termatrix/termatrix/matrix"
)

// Client is what the Manager needs of an account; *matrix.Client has it.
type Client interface {
	UserID() id.UserID
	DeviceID() id.DeviceID
	DisplayName(roomID id.RoomID, userID id.UserID) string
	SendEvent(ctx context.Context, roomID id.RoomID, t event.Type, content any) (id.EventID, error)
	TurnServer(ctx context.Context) (*mautrix.RespTurnServer, error)
	// SubscribeOnly is matrix.Client.SubscribeOnly.
	SubscribeOnly(want func(matrix.Update) bool) (<-chan matrix.Update, func())
}

// Options builds a Manager.
type Options struct {
	Client Client
	// Calls is config "calls": forceRelay, lifetimeMs, iceServers.
	Calls config.Calls
	// Audio is config "audio": input and output.
	Audio config.Audio
	// Log receives diagnostics (ignored and malformed events, media errors).
	Log zerolog.Logger
	// CandidateDelay batches local candidates sent after the invite or
	// answer; 200 ms if zero.
	CandidateDelay time.Duration
	// ICEFailedTimeout is how long ICE may go without connectivity before
	// it counts as failed (then restart, then hangup ice_failed); 15 s if zero.
	ICEFailedTimeout time.Duration
	// ReconnectTimeout ends a connected call whose media was lost and did
	// not come back within it, counted from the last media ICE saw; 20 s
	// if zero. The call panel says "connection lost, reconnecting…" within
	// about 4 s of the loss (ICE's disconnected timeout).
	ReconnectTimeout time.Duration
}

// Timings are the moments of one call, for set-up benchmarks.
type Timings struct {
	Placed     time.Time // PlaceCall
	InviteSent time.Time // the invite's send returned
	Answered   time.Time // Answer (incoming)
	Connected  time.Time // ICE connected
}

// Manager runs the 1:1 calls of one account: it satisfies calls.OneToOne.
// Run must be going for anything to happen. All methods are safe for
// concurrent use.
//
// Typical use:
//
//	m := voip.New(voip.Options{Client: cli, Calls: cfg.Calls, Audio: cfg.Audio})
//	go m.Run(ctx)
//	ch, stop := m.Subscribe() // calls.CallChanged snapshots
//	m.PlaceCall(roomID, peer, false)
type Manager struct {
	o       Options
	mc      mediaConfig
	log     zerolog.Logger
	machine *Machine
	in      chan func()
	done    chan struct{}
	ctx     context.Context

	// loop-owned
	media   map[string]*callMedia
	early   map[string][]Candidate
	answer  map[string]bool
	timings map[string]*Timings

	turnMu      sync.Mutex
	turnServers []webrtc.ICEServer
	turnExpires time.Time

	hub pubsub.Hub[calls.CallChanged]

	snapMu sync.Mutex
	active *calls.CallInfo
	last   map[string]calls.CallInfo

	sendQ chan Send
}

var _ calls.OneToOne = (*Manager)(nil)

// New makes a Manager.
func New(o Options) *Manager {
	m := &Manager{
		o: o, log: o.Log, in: make(chan func(), 64), done: make(chan struct{}),
		media: map[string]*callMedia{}, early: map[string][]Candidate{}, answer: map[string]bool{},
		timings: map[string]*Timings{}, last: map[string]calls.CallInfo{},
		sendQ: make(chan Send, 1024),
	}
	if o.ICEFailedTimeout <= 0 {
		o.ICEFailedTimeout = 15 * time.Second
	}
	m.o = o
	m.mc = mediaConfig{forceRelay: o.Calls.ForceRelay, input: o.Audio.Input, output: o.Audio.Output,
		iceFailed: o.ICEFailedTimeout, iceDisconnected: iceDisconnectedTimeout(o.ICEFailedTimeout),
		logf: func(f string, a ...any) { m.log.Warn().Msgf(f, a...) }}
	lifetime := time.Duration(o.Calls.LifetimeMs) * time.Millisecond
	m.machine = NewMachine(MachineConfig{
		UserID: o.Client.UserID(), PartyID: string(o.Client.DeviceID()), Lifetime: lifetime,
		CandidateDelay: o.CandidateDelay, NewCallID: newCallID, ReconnectTimeout: o.ReconnectTimeout,
		Logf: func(f string, a ...any) { m.log.Info().Msgf(f, a...) },
	})
	return m
}

// tickInterval is how often Run ticks the machine while a call is live.
const tickInterval = 100 * time.Millisecond

// Run follows the client's updates and runs calls until ctx ends.
func (m *Manager) Run(ctx context.Context) error {
	m.ctx = ctx
	updates, unsub := m.o.Client.SubscribeOnly(wantsUpdate)
	defer unsub()
	defer close(m.done)
	sendCtx, stopSend := context.WithCancel(ctx)
	defer stopSend()
	go m.sender(sendCtx)
	// The tick serves only a live call (its deadlines, the candidate
	// flush, reconnects, TURN refresh): with none it is stopped, so an
	// idle account does not wake this loop ten times a second.
	tick := time.NewTicker(tickInterval)
	tick.Stop()
	defer tick.Stop()
	ticking := false
	var batch []Signal
	for {
		if live := m.machine.Live(); live != ticking {
			if ticking = live; live {
				tick.Reset(tickInterval)
			} else {
				tick.Stop()
			}
		}
		select {
		case <-ctx.Done():
			m.shutdown()
			return ctx.Err()
		case f := <-m.in:
			f()
		case <-tick.C:
			m.apply(m.machine.Tick(time.Now()))
			m.refreshTURNIfDue()
		case u, ok := <-updates:
			if !ok {
				m.shutdown()
				return errors.New("voip: the client's updates ended")
			}
			batch = m.update(u, batch)
			// The rest of a sync's updates are published together: take
			// what is queued so a hangup in the same sync stops a ring.
			for more := len(batch) > 0; more; {
				select {
				case u, ok := <-updates:
					if !ok {
						more = false
						break
					}
					batch = m.update(u, batch)
				case <-time.After(15 * time.Millisecond):
					more = false
				}
			}
			if len(batch) > 0 {
				for _, b := range batch {
					m.log.Debug().Str("type", b.Type).Msg("voip: received")
				}
				m.apply(m.machine.HandleBatch(time.Now(), batch))
				batch = nil
			}
		}
	}
}

// wantsUpdate is the filter of Run's subscription: the types update's
// switch handles (filter_test.go checks they agree), of the state only
// memberships. It runs in the client's Publish and reads the update only.
func wantsUpdate(u matrix.Update) bool {
	switch u := u.(type) {
	case matrix.CallSignal:
		return true
	case matrix.RoomsChanged:
		return true
	case matrix.StateChanged:
		return u.Event != nil && u.Event.Type.Type == event.StateMember.Type
	}
	return false
}

func (m *Manager) update(u matrix.Update, batch []Signal) []Signal {
	switch u := u.(type) {
	case matrix.CallSignal:
		if u.Event == nil {
			return batch
		}
		raw := []byte(u.Event.Content.VeryRaw)
		if raw == nil {
			raw, _ = json.Marshal(u.Event.Content.Raw)
		}
		return append(batch, Signal{RoomID: u.RoomID, Sender: u.Event.Sender, Type: u.Event.Type.Type,
			Content: raw, Age: u.Age, Received: time.Now()})
	case matrix.RoomsChanged:
		// Our own leave may come only as the room dropping from the list.
		if c, ok := m.machine.Active(); ok {
			if r, ok := u.Rooms.Room(c.RoomID); !ok || r.Membership != event.MembershipJoin {
				m.apply(m.machine.PeerLeft(time.Now(), c.RoomID, m.o.Client.UserID()))
			}
		}
	case matrix.StateChanged:
		ev := u.Event
		if ev == nil || ev.Type.Type != event.StateMember.Type || ev.StateKey == nil {
			return batch
		}
		var mc struct {
			Membership string `json:"membership"`
		}
		_ = json.Unmarshal(ev.Content.VeryRaw, &mc)
		if mc.Membership == "leave" || mc.Membership == "ban" {
			if len(batch) > 0 {
				for _, b := range batch {
					m.log.Debug().Str("type", b.Type).Msg("voip: received")
				}
				m.apply(m.machine.HandleBatch(time.Now(), batch))
				batch = nil
			}
			m.apply(m.machine.PeerLeft(time.Now(), u.RoomID, id.UserID(*ev.StateKey)))
		}
	}
	return batch
}

// do runs f on the loop and returns its error.
func (m *Manager) do(f func() error) error {
	res := make(chan error, 1)
	select {
	case m.in <- func() { res <- f() }:
	case <-m.done:
		return errors.New("calls have stopped")
	case <-time.After(5 * time.Second):
		return errors.New("calls are not running")
	}
	select {
	case err := <-res:
		return err
	case <-m.done:
		return errors.New("calls have stopped")
	}
}

// post runs f on the loop later, from a callback or goroutine.
func (m *Manager) post(f func()) {
	select {
	case m.in <- f:
	case <-m.done:
	}
}

// PlaceCall invites peer to a call in roomID; video asks for the peer's
// video too (we send none: there is no camera source).
func (m *Manager) PlaceCall(roomID id.RoomID, peer id.UserID, video bool) error {
	return m.do(func() error {
		now := time.Now()
		callID, acts, err := m.machine.Place(now, roomID, peer, video)
		if err != nil {
			return err
		}
		m.timings[callID] = &Timings{Placed: now}
		m.apply(acts)
		go m.prepare(callID, true, video, func(med *callMedia) {
			if err := med.addLocalTracks(); err != nil {
				m.post(func() { m.failCall(callID, err) })
				return
			}
			med.openAudio()
			sd, err := med.makeOffer(m.ctx, false)
			m.post(func() {
				if err != nil {
					m.failCall(callID, err)
					return
				}
				m.apply(m.machine.OfferReady(time.Now(), callID, sd, med.metadata()))
			})
		})
		return nil
	})
}

// prepare fetches TURN credentials, then builds the call's media on the
// loop and runs next with it in the background.
func (m *Manager) prepare(callID string, outgoing, video bool, next func(*callMedia)) {
	servers := m.iceServers(m.ctx)
	m.post(func() {
		if m.machine.live(callID) == nil {
			return
		}
		cfg := m.mc
		cfg.iceServers = servers
		med, err := newCallMedia(cfg, callID, outgoing, video, m)
		if err != nil {
			m.failCall(callID, err)
			return
		}
		m.media[callID] = med
		if c := m.early[callID]; len(c) > 0 {
			med.addCandidates(c)
		}
		delete(m.early, callID)
		go next(med)
	})
}

// Answer answers the ringing call in roomID.
func (m *Manager) Answer(roomID id.RoomID) error {
	return m.do(func() error {
		callID, ok := m.machine.ActiveInRoom(roomID)
		if !ok {
			return errors.New("no call to answer here")
		}
		c, _ := m.machine.Call(callID)
		if c.Phase != PhaseRinging {
			return errors.New("the call is not ringing")
		}
		if t := m.timings[callID]; t != nil {
			t.Answered = time.Now()
		}
		m.apply(m.machine.Accept(time.Now(), callID))
		m.startAnswer(callID)
		return nil
	})
}

// startAnswer answers once the incoming call's media is ready.
func (m *Manager) startAnswer(callID string) {
	med := m.media[callID]
	if med == nil || !med.isReady() {
		m.answer[callID] = true
		return
	}
	delete(m.answer, callID)
	go func() {
		med.openAudio()
		sd, err := med.makeAnswer(m.ctx, true)
		m.post(func() {
			if err != nil {
				m.failCall(callID, err)
				return
			}
			m.apply(m.machine.AnswerReady(time.Now(), callID, sd, med.metadata()))
		})
	}()
}

// Reject rejects the ringing call in roomID.
func (m *Manager) Reject(roomID id.RoomID) error {
	return m.do(func() error {
		callID, ok := m.machine.ActiveInRoom(roomID)
		if !ok {
			return errors.New("no call to reject here")
		}
		m.apply(m.machine.Reject(time.Now(), callID))
		return nil
	})
}

// Hangup ends the call in roomID.
func (m *Manager) Hangup(roomID id.RoomID) error {
	return m.do(func() error {
		callID, ok := m.machine.ActiveInRoom(roomID)
		if !ok {
			return errors.New("no call here")
		}
		m.apply(m.machine.Hangup(time.Now(), callID, ReasonUserHangup))
		return nil
	})
}

// ToggleMute mutes or unmutes the microphone of the current call.
func (m *Manager) ToggleMute() error {
	return m.do(func() error {
		c, ok := m.machine.Active()
		if !ok {
			return errors.New("no call")
		}
		med := m.media[c.ID]
		if med == nil {
			return errors.New("the call has no media yet")
		}
		muted := !med.muted.Load()
		med.muted.Store(muted)
		if c.PeerChosen && !c.PeerLegacy {
			m.enqueue(Send{RoomID: c.RoomID, CallID: c.ID, Type: TypeStreamMetadataChanged, Content: &StreamMetadataChanged{
				Common: Common{CallID: c.ID, PartyID: string(m.o.Client.DeviceID())}, SDPStreamMetadata: med.metadata()}})
		}
		m.publish(c.ID)
		return nil
	})
}

// Active returns the current call, if any.
func (m *Manager) Active() (calls.CallInfo, bool) {
	m.snapMu.Lock()
	defer m.snapMu.Unlock()
	if m.active == nil {
		return calls.CallInfo{}, false
	}
	return *m.active, true
}

// Snapshot returns the latest snapshot of a call, ended ones included.
func (m *Manager) Snapshot(callID string) (calls.CallInfo, bool) {
	m.snapMu.Lock()
	defer m.snapMu.Unlock()
	c, ok := m.last[callID]
	return c, ok
}

// Timings returns the moments of a call (for benchmarks).
func (m *Manager) Timings(callID string) (Timings, bool) {
	var t Timings
	ok := false
	_ = m.do(func() error {
		if p := m.timings[callID]; p != nil {
			t, ok = *p, true
		}
		return nil
	})
	return t, ok
}

// apply carries out the Machine's actions.
func (m *Manager) apply(acts []Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case Send:
			m.enqueue(a)
		case StartIncoming:
			m.timings[a.CallID] = &Timings{}
			if a.AutoAnswer {
				m.answer[a.CallID] = true
			}
			offer := a.Offer
			c, _ := m.machine.Call(a.CallID)
			callID := a.CallID
			go m.prepare(callID, false, c.Video, func(med *callMedia) {
				err := med.setRemote(offer)
				if err == nil {
					err = med.addLocalTracks()
				}
				m.post(func() {
					if err != nil {
						m.failCall(callID, err)
						return
					}
					med.setReady()
					if m.answer[callID] {
						m.startAnswer(callID)
					}
				})
			})
		case ApplyAnswer:
			if med := m.media[a.CallID]; med != nil {
				callID, ans := a.CallID, a.Answer
				go func() {
					if err := med.setRemote(ans); err != nil {
						m.post(func() { m.failCall(callID, err) })
					}
				}()
			}
		case AddCandidates:
			if med := m.media[a.CallID]; med != nil {
				med.addCandidates(a.Candidates)
			} else {
				m.early[a.CallID] = append(m.early[a.CallID], a.Candidates...)
			}
		case RemoteNegotiate:
			if med := m.media[a.CallID]; med != nil {
				callID, desc := a.CallID, a.Description
				go func() {
					ans, err := med.negotiate(m.ctx, desc)
					m.post(func() {
						if err != nil {
							m.log.Warn().Err(err).Str("call", callID).Msg("voip: negotiate")
							return
						}
						if ans != nil {
							m.apply(m.machine.LocalNegotiate(time.Now(), callID, *ans))
						}
					})
				}()
			}
		case EndMedia:
			if med := m.media[a.CallID]; med != nil {
				delete(m.media, a.CallID)
				go med.close()
			}
			delete(m.early, a.CallID)
			delete(m.answer, a.CallID)
		case Changed:
			m.publish(a.CallID)
		}
	}
}

// failCall ends a call whose media could not be set up.
func (m *Manager) failCall(callID string, err error) {
	m.log.Warn().Err(err).Str("call", callID).Msg("voip: call failed")
	m.apply(m.machine.Hangup(time.Now(), callID, ReasonMediaFailed))
}

// localCandidate, iceState (manager_ice.go) and infoChanged are the
// media's callbacks.
func (m *Manager) localCandidate(callID string, c Candidate) {
	m.post(func() { m.apply(m.machine.LocalCandidate(time.Now(), callID, c)) })
}

func (m *Manager) infoChanged(callID string) { m.post(func() { m.publish(callID) }) }

// enqueue hands an event to the ordered sender.
func (m *Manager) enqueue(s Send) {
	select {
	case m.sendQ <- s:
	default:
		m.log.Warn().Str("type", s.Type.Type).Msg("voip: send queue full; dropping event")
	}
}

// sender sends queued events in order, retrying a failed send with
// back-off (500 ms doubling, 4 tries).
func (m *Manager) sender(ctx context.Context) {
	for {
		var s Send
		select {
		case <-ctx.Done():
			return
		case s = <-m.sendQ:
		}
		var err error
		for try := 0; try < 4; try++ {
			if try > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(500 * time.Millisecond << (try - 1)):
				}
			}
			sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			_, err = m.o.Client.SendEvent(sctx, s.RoomID, s.Type, s.Content)
			cancel()
			if err == nil {
				break
			}
		}
		if err != nil {
			m.log.Warn().Err(err).Str("type", s.Type.Type).Str("call", s.CallID).Msg("voip: send failed")
			if s.Type == TypeInvite || s.Type == TypeAnswer {
				callID := s.CallID
				m.post(func() { m.failCall(callID, fmt.Errorf("send %s: %w", s.Type.Type, err)) })
			}
			continue
		}
		m.log.Debug().Str("type", s.Type.Type).Str("call", s.CallID).Msg("voip: sent")
		if s.Type == TypeInvite {
			callID := s.CallID
			now := time.Now()
			m.post(func() {
				if t := m.timings[callID]; t != nil {
					t.InviteSent = now
				}
			})
		}
	}
}

// iceServers returns the homeserver's TURN servers (fetched now, or the
// cached ones if the fetch fails and they are still valid) plus the
// user's own from config. A homeserver answering {} gives none.
func (m *Manager) iceServers(ctx context.Context) []webrtc.ICEServer {
	fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := m.o.Client.TurnServer(fctx)
	m.turnMu.Lock()
	switch {
	case err != nil:
		m.log.Warn().Err(err).Msg("voip: TURN credentials")
		if time.Now().After(m.turnExpires) {
			m.turnServers = nil
		}
	case resp == nil || len(resp.URIs) == 0:
		m.turnServers, m.turnExpires = nil, time.Time{}
	default:
		m.turnServers = []webrtc.ICEServer{{URLs: resp.URIs, Username: resp.Username, Credential: resp.Password}}
		ttl := time.Duration(resp.TTL) * time.Second
		if ttl <= 0 {
			ttl = time.Hour
		}
		m.turnExpires = time.Now().Add(ttl)
	}
	out := append([]webrtc.ICEServer(nil), m.turnServers...)
	m.turnMu.Unlock()
	for _, s := range m.o.Calls.ICEServers {
		if len(s.URLs) == 0 {
			continue
		}
		if s.Username == "" || s.Credential == "" {
			stunOnly := true
			for _, u := range s.URLs {
				if strings.HasPrefix(u, "turn") {
					stunOnly = false
				}
			}
			if !stunOnly {
				m.log.Warn().Strs("urls", s.URLs).Msg("voip: config calls.iceServers: a TURN server needs username and credential; skipped")
				continue
			}
		}
		out = append(out, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return out
}

// refreshTURNIfDue renews TURN credentials during a call before they
// expire, so an ICE restart or a new allocation can use them.
func (m *Manager) refreshTURNIfDue() {
	c, ok := m.machine.Active()
	if !ok {
		return
	}
	m.turnMu.Lock()
	due := !m.turnExpires.IsZero() && time.Until(m.turnExpires) < time.Minute
	if due {
		m.turnExpires = time.Now().Add(time.Minute) // one refresh at a time
	}
	m.turnMu.Unlock()
	if !due {
		return
	}
	med := m.media[c.ID]
	go func() {
		servers := m.iceServers(m.ctx)
		if med == nil || len(servers) == 0 {
			return
		}
		cfg := med.pc.GetConfiguration()
		cfg.ICEServers = servers
		if err := med.pc.SetConfiguration(cfg); err != nil {
			m.log.Warn().Err(err).Msg("voip: refresh TURN credentials")
		}
	}()
}

// publish builds a call's snapshot and sends it to subscribers.
func (m *Manager) publish(callID string) {
	c, ok := m.machine.Call(callID)
	if !ok {
		return
	}
	name := m.o.Client.DisplayName(c.RoomID, c.Peer)
	if name == "" {
		name = string(c.Peer)
	}
	info := calls.CallInfo{
		CallID: c.ID, RoomID: c.RoomID, PeerID: c.Peer, PeerName: name, Incoming: !c.Outgoing,
		Video: c.Video, State: stateOf(c.Phase), ConnectedAt: c.ConnectedAt,
		EndReason: strings.ReplaceAll(c.EndReason, string(c.Peer), name),
		PeerMuted: c.PeerMuted && c.Phase != PhaseEnded,
	}
	if c.Reconnecting && c.Phase == PhaseConnected {
		info.Problem = ProblemReconnecting
	}
	if med := m.media[callID]; med != nil {
		info.Muted = med.muted.Load()
		var note string
		info.Codec, info.Path, info.RemoteVideo, note = med.info()
		info.Audio = med.audioSummary(note)
	} else if prev, ok := m.last[callID]; ok {
		info.Codec, info.Path, info.Audio, info.Muted = prev.Codec, prev.Path, prev.Audio, prev.Muted
		info.RemoteVideo = prev.RemoteVideo
	}
	if c.Video {
		info.LocalVideo = "no camera source configured: sending audio only"
		if info.RemoteVideo == "" {
			info.RemoteVideo = "no video received"
		}
	}
	m.snapMu.Lock()
	m.last[callID] = info
	if c.Phase == PhaseEnded {
		if m.active != nil && m.active.CallID == callID {
			m.active = nil
		}
		if len(m.last) > 64 {
			for k := range m.last {
				if k != callID {
					delete(m.last, k)
				}
			}
		}
	} else {
		cp := info
		m.active = &cp
	}
	m.snapMu.Unlock()
	m.hub.Publish(calls.CallChanged{Call: info})
}

func stateOf(p Phase) calls.CallState {
	switch p {
	case PhasePreparing, PhaseInviting:
		return calls.CallInviting
	case PhaseRinging:
		return calls.CallRinging
	case PhaseAnswering, PhaseConnecting:
		return calls.CallConnecting
	case PhaseConnected:
		return calls.CallConnected
	}
	return calls.CallEnded
}

// shutdown hangs up a live call and closes all media when Run ends.
func (m *Manager) shutdown() {
	if c, ok := m.machine.Active(); ok {
		acts := m.machine.Hangup(time.Now(), c.ID, ReasonUserHangup)
		for _, a := range acts {
			if s, ok := a.(Send); ok {
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				_, _ = m.o.Client.SendEvent(ctx, s.RoomID, s.Type, s.Content)
				cancel()
			}
		}
		m.publish(c.ID)
	}
	for id, med := range m.media {
		med.close()
		delete(m.media, id)
	}
}
