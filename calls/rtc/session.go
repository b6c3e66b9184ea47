package rtc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls/audio"
	"github.com/termatrix/termatrix/matrix"
)

// netTimeout bounds one network step of the session (a send, a token).
const netTimeout = 20 * time.Second

// session is our part in one room's call. Everything but do runs on its
// own goroutine (run), so its fields need no lock.
type session struct {
	mg        *Manager
	m         Matrix
	roomID    id.RoomID
	video     bool
	ring      bool
	encrypted bool
	me        id.UserID
	dev       id.DeviceID
	stateKey  string
	// ringID is the ring notification we sent (decline.go), declines who
	// declined it.
	ringID   id.EventID
	declines map[id.UserID]bool

	cmds    chan func(ctx context.Context)
	done    chan struct{} // closed when run returns
	changed chan struct{} // media changed (OnChange), capacity 1

	started   time.Time
	transport Transport
	delayed   *delayedLeave
	// ownEvent is our membership's event ID; ownVisible says sync has
	// shown it to us (only then do others' keys come, and ours go).
	ownEvent   id.EventID
	ownVisible bool
	created    time.Time // our first membership's time
	refreshes  int       // membership sends so far
	members    []Membership
	nextExpiry time.Time

	conns  map[string]*conn // by LiveKit service URL; ours publishes
	dialer MediaDialer
	source audio.Source
	// release closes what OpenMedia opened for this call.
	release func()
	openID  *mautrix.RespOpenIDToken
	idUntil time.Time

	keys       *keyRing
	remote     *remoteKeys
	keyRetryAt time.Time
	muted      bool
	joinedAt   time.Time
	problem    string
	ended      bool
	endReason  string
}

// conn is one LiveKit connection.
type conn struct {
	service string
	media   Media
	publish bool
	room    string
}

func newSession(mg *Manager, roomID id.RoomID, video, ring, encrypted bool) *session {
	me, dev := mg.m.UserID(), mg.m.DeviceID()
	return &session{
		mg: mg, m: mg.m, roomID: roomID, video: video, ring: ring, encrypted: encrypted,
		me: me, dev: dev, stateKey: MemberStateKey(me, dev),
		cmds: make(chan func(context.Context), 8), done: make(chan struct{}), changed: make(chan struct{}, 1),
		conns: map[string]*conn{}, remote: newRemoteKeys(),
	}
}

// do runs f on the session's goroutine (dropped once it ended).
func (s *session) do(f func(ctx context.Context)) {
	select {
	case s.cmds <- f:
	case <-s.done:
	}
}

func (s *session) intent() string {
	if s.video {
		return "video"
	}
	return "audio"
}

// run joins, then follows the room until we leave or the Manager closes.
func (s *session) run(ctx context.Context) {
	defer close(s.done)
	ups, unsub := s.m.Subscribe() // first, so no membership or key is missed
	defer unsub()
	defer s.closeMedia()
	s.started = time.Now()
	if err := s.join(ctx); err != nil {
		if ctx.Err() == nil {
			s.m2log().Warn().Err(err).Msg("joining the call")
			lctx, cancel := context.WithTimeout(ctx, netTimeout)
			if s.ownEvent != "" || s.delayed != nil {
				_ = s.sendLeave(lctx)
			}
			cancel()
		}
		s.end(fmt.Sprintf("could not join: %v", err))
		return
	}
	tick := time.NewTicker(s.mg.opts.Tick)
	defer tick.Stop()
	for !s.ended {
		select {
		case <-ctx.Done():
			s.end("the call manager closed") // no leave, as a crash
		case u, ok := <-ups:
			if !ok {
				s.end("the Matrix client stopped")
				break
			}
			s.onUpdate(ctx, u)
		case f := <-s.cmds:
			f(ctx)
		case <-s.changed:
			s.publish()
		case now := <-tick.C:
			s.onTick(ctx, now)
		}
	}
}

func (s *session) m2log() *zerolog.Logger { return &s.mg.opts.Log }

// join finds our transport, schedules the delayed leave, sends our
// membership (and the ring), and connects to our SFU.
func (s *session) join(ctx context.Context) error {
	nctx, cancel := context.WithTimeout(ctx, netTimeout)
	defer cancel()
	t, err := findTransport(nctx, s.m)
	if err != nil {
		return err
	}
	s.transport = t
	// The devices first: a call that cannot open them is not announced.
	if err := s.openMedia(); err != nil {
		return err
	}
	s.delayed = &delayedLeave{api: s.m, roomID: s.roomID, stateKey: s.stateKey, delay: s.mg.opts.LeaveDelay}
	if err := s.delayed.schedule(nctx, time.Now()); err != nil {
		// Not fatal: we leave by hand, and expiry covers a crash.
		s.m2log().Warn().Err(err).Msg("scheduling the delayed leave")
		s.delayed.unsupported = true
	}
	first := len(s.readMembers(time.Now())) == 0
	if err := s.sendMembership(nctx, time.Now()); err != nil {
		return err
	}
	if first {
		content := NotificationContent(s.ownEvent, s.ring, s.intent(), time.Now())
		evID, err := s.m.SendEvent(nctx, s.roomID, NotificationType, content)
		if err != nil {
			s.m2log().Warn().Err(err).Msg("sending the call notification")
		} else if s.ring {
			s.ringID = evID
		}
	}
	if s.encrypted {
		if s.keys, err = newKeyRing(time.Now(), s.mg.opts.KeyGrace, s.mg.opts.KeyUseDelay, nil); err != nil {
			return err
		}
	}
	if err := s.connect(ctx, t.ServiceURL, true); err != nil {
		return err
	}
	s.joinedAt = time.Now()
	s.refreshMembers(ctx)
	s.publish()
	return nil
}

// sendMembership sends (or refreshes) our membership.
func (s *session) sendMembership(ctx context.Context, now time.Time) error {
	exp := s.expires() * time.Duration(s.refreshes+1)
	content := MemberContent(s.dev, s.me, s.intent(), s.transport, s.roomID, s.created, exp)
	evID, err := s.m.SendState(ctx, s.roomID, MemberStateType, s.stateKey, content)
	if err != nil {
		return fmt.Errorf("sending our call membership: %w", err)
	}
	if s.created.IsZero() {
		s.created = now
	}
	s.ownEvent = evID
	s.refreshes++
	return nil
}

// expires is one interval of our membership's validity: short where no
// delayed leave covers a crash.
func (s *session) expires() time.Duration {
	if s.delayed == nil || s.delayed.unsupported {
		return min(s.mg.opts.Expires, s.mg.opts.NoDelayExpires)
	}
	return s.mg.opts.Expires
}

// refreshDue says our membership must be re-sent: a quarter of an
// interval (at most 10 minutes) before it would expire.
func (s *session) refreshDue(now time.Time) bool {
	exp := s.expires()
	margin := min(exp/4, 10*time.Minute)
	return !s.created.IsZero() && now.After(s.created.Add(exp*time.Duration(s.refreshes)-margin))
}

// connect opens a LiveKit connection through the JWT service at service.
func (s *session) connect(ctx context.Context, service string, publish bool) error {
	nctx, cancel := context.WithTimeout(ctx, netTimeout)
	defer cancel()
	if s.openID == nil || time.Now().After(s.idUntil) {
		tok, err := s.m.OpenIDToken(nctx)
		if err != nil {
			return err
		}
		s.openID = tok
		s.idUntil = time.Now().Add(time.Duration(max(tok.ExpiresIn, 120)-60) * time.Second)
	}
	g, err := fetchSFUGrant(nctx, s.mg.opts.HTTPClient, service, s.roomID, s.dev, s.openID)
	if err != nil {
		return err
	}
	cfg := MediaConfig{URL: g.URL, Token: g.Token, Publish: publish, Encrypted: s.encrypted, OnChange: s.mediaChanged}
	if publish {
		cfg.Source = s.source
	}
	media, err := s.dialer.Dial(nctx, cfg)
	if err != nil {
		return fmt.Errorf("connecting to the SFU: %w", err)
	}
	c := &conn{service: service, media: media, publish: publish, room: g.Room}
	s.conns[service] = c
	if publish {
		media.SetMuted(s.muted)
		if s.keys != nil {
			media.SetLocalKey(s.keys.index, s.keys.key)
		}
	}
	for identity, byIdx := range s.remote.byIdentity {
		for idx, key := range byIdx {
			media.SetRemoteKey(identity, idx, key)
		}
	}
	return nil
}

func (s *session) mediaChanged() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// onUpdate follows the client: memberships, keys, us leaving the room.
func (s *session) onUpdate(ctx context.Context, u matrix.Update) {
	switch u := u.(type) {
	case matrix.StateChanged:
		if u.RoomID == s.roomID && u.Event != nil && u.Event.Type.Type == MemberStateType.Type {
			s.refreshMembers(ctx)
			s.publish()
		}
	case matrix.ToDeviceReceived:
		if u.Type == KeysType.Type {
			s.onKey(u)
		}
	case matrix.TimelineAppended:
		s.onTimeline(ctx, u.RoomID, u.Events)
	case matrix.EventsDecrypted:
		s.onTimeline(ctx, u.RoomID, u.Events)
	case matrix.RoomLeft:
		if u.RoomID == s.roomID {
			s.end("you are no longer in the room")
		}
	case matrix.LoggedOut:
		s.end("the session was logged out")
	}
}

// onTick runs the timers.
func (s *session) onTick(ctx context.Context, now time.Time) {
	nctx, cancel := context.WithTimeout(ctx, netTimeout)
	defer cancel()
	lost, err := s.delayed.restartDue(nctx, now, s.mg.opts.RestartEvery)
	if err != nil {
		s.m2log().Debug().Err(err).Msg("restarting the delayed leave")
	}
	if lost || s.refreshDue(now) {
		if lost {
			if err := s.delayed.schedule(nctx, now); err != nil {
				s.m2log().Debug().Err(err).Msg("scheduling the delayed leave again")
			}
		}
		if err := s.sendMembership(nctx, now); err != nil {
			s.problem = err.Error()
			s.publish()
		} else if s.problem != "" {
			s.problem = ""
			s.publish()
		}
	}
	if !s.nextExpiry.IsZero() && !now.Before(s.nextExpiry) {
		s.refreshMembers(ctx)
		s.publish()
	}
	if s.keys != nil {
		if idx, key, ok := s.keys.switchDue(now); ok {
			if c := s.ours(); c != nil {
				c.media.SetLocalKey(idx, key)
			}
		}
		if !s.keyRetryAt.IsZero() && !now.Before(s.keyRetryAt) {
			s.sendKeys(ctx, s.members)
		}
	}
}

func (s *session) ours() *conn { return s.conns[s.transport.ServiceURL] }

func (s *session) toggleMute() {
	s.muted = !s.muted
	if c := s.ours(); c != nil {
		c.media.SetMuted(s.muted)
	}
	s.publish()
}

// leave sends our leave and ends the call.
func (s *session) leave(ctx context.Context, reason string) {
	nctx, cancel := context.WithTimeout(ctx, netTimeout)
	defer cancel()
	if err := s.sendLeave(nctx); err != nil {
		s.m2log().Warn().Err(err).Msg("sending our leave")
		reason += fmt.Sprintf(" (the leave could not be sent: %v)", err)
	}
	s.end(reason)
}

func (s *session) sendLeave(ctx context.Context) error {
	if s.delayed == nil {
		return errors.New("nothing sent yet")
	}
	return s.delayed.leave(ctx)
}

// end closes the media and publishes the final snapshot.
func (s *session) end(reason string) {
	if s.ended {
		return
	}
	s.ended = true
	s.endReason = reason
	s.closeMedia()
	s.publish()
}

func (s *session) closeMedia() {
	for k, c := range s.conns {
		if err := c.media.Close(); err != nil {
			s.m2log().Debug().Err(err).Msg("closing a LiveKit connection")
		}
		delete(s.conns, k)
	}
	if s.release != nil {
		s.release()
		s.release = nil
	}
}

// openMedia opens this call's dialer and microphone (Options.OpenMedia),
// or takes the Manager's.
func (s *session) openMedia() error {
	if s.mg.opts.OpenMedia == nil {
		if s.mg.dialer == nil {
			return errors.New("no media for calls in this build")
		}
		s.dialer, s.source = s.mg.dialer, s.mg.opts.Source
		return nil
	}
	d, src, err := s.mg.opts.OpenMedia()
	if err != nil {
		return fmt.Errorf("opening the audio: %w", err)
	}
	s.dialer, s.source = d, src
	s.release = func() {
		_ = d.Close()
		if src != nil {
			_ = src.Close()
		}
	}
	return nil
}
