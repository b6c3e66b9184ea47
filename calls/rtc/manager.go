package rtc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls/audio"
	"github.com/termatrix/termatrix/matrix"
)

// Matrix is what the session engine needs of the client core;
// *matrix.Client provides it.
type Matrix interface {
	UserID() id.UserID
	DeviceID() id.DeviceID
	Room(roomID id.RoomID) (matrix.Room, bool)
	Rooms() []matrix.Room
	StateEvent(roomID id.RoomID, t event.Type, stateKey string) *event.Event
	DisplayName(roomID id.RoomID, userID id.UserID) string
	StateEvents(roomID id.RoomID, t event.Type) map[string]*event.Event
	CanSendState(roomID id.RoomID, t event.Type) bool
	SendState(ctx context.Context, roomID id.RoomID, t event.Type, stateKey string, content any) (id.EventID, error)
	SendEvent(ctx context.Context, roomID id.RoomID, t event.Type, content any) (id.EventID, error)
	SendStateDelayed(ctx context.Context, roomID id.RoomID, t event.Type, stateKey string, content any, delay time.Duration) (string, error)
	UpdateDelayed(ctx context.Context, delayID string, action matrix.DelayedAction) error
	OpenIDToken(ctx context.Context) (*mautrix.RespOpenIDToken, error)
	RTCTransports(ctx context.Context) ([]matrix.RTCTransport, error)
	SendToDeviceEncrypted(ctx context.Context, t event.Type, to map[id.UserID][]id.DeviceID, content any) error
	Subscribe() (<-chan matrix.Update, func())
}

// Options tune a Manager; zero values take the defaults.
type Options struct {
	// Source is our microphone (nil: we publish nothing audible).
	Source audio.Source
	// OpenMedia, if set, opens for each call the media dialer (playing
	// into the speaker) and the microphone; both are closed when the
	// call ends. Otherwise every call uses NewManager's dialer and Source.
	OpenMedia func() (MediaDialer, audio.Source, error)
	// HTTPClient talks to the LiveKit JWT services.
	HTTPClient *http.Client
	// Expires is how long our membership is valid before a refresh
	// (DefaultExpires); tests shorten it to see dead members go.
	Expires time.Duration
	// NoDelayExpires replaces Expires where the homeserver has no delayed
	// events (DefaultNoDelayExpires): nothing then takes a crashed
	// client's membership away but its expiry, so it is kept short and
	// refreshed often (each refresh is one state event).
	NoDelayExpires time.Duration
	// LeaveDelay and RestartEvery time the delayed leave.
	LeaveDelay   time.Duration
	RestartEvery time.Duration
	// KeyGrace and KeyUseDelay time media key rotation.
	KeyGrace    time.Duration
	KeyUseDelay time.Duration
	// Tick is how often timers (refresh, restart, expiry, key switch)
	// are checked (1 s).
	Tick time.Duration
	Log  zerolog.Logger
}

// DefaultNoDelayExpires is how long our membership is valid between
// refreshes on a homeserver without delayed events: a crash leaves a
// ghost member for at most this long.
const DefaultNoDelayExpires = 2 * time.Minute

func (o *Options) defaults() {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 20 * time.Second}
	}
	if o.Expires <= 0 {
		o.Expires = DefaultExpires
	}
	if o.NoDelayExpires <= 0 {
		o.NoDelayExpires = DefaultNoDelayExpires
	}
	if o.LeaveDelay <= 0 {
		o.LeaveDelay = DefaultLeaveDelay
	}
	if o.RestartEvery <= 0 {
		o.RestartEvery = DefaultRestartEvery
	}
	if o.KeyGrace <= 0 {
		o.KeyGrace = DefaultKeyGrace
	}
	if o.KeyUseDelay <= 0 {
		o.KeyUseDelay = DefaultKeyUseDelay
	}
	if o.Tick <= 0 {
		o.Tick = time.Second
	}
}

// Manager runs our MatrixRTC calls (one at a time): memberships, the
// delayed leave, LiveKit connections, media keys. It implements
// calls.ElementCall. Methods are safe for concurrent use.
type Manager struct {
	m      Matrix
	dialer MediaDialer
	opts   Options

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	sess    *session
	info    CallInfo
	subs    map[int]chan CallChanged
	nextSub int
}

// NewManager makes a Manager on the client m, opening media with dialer
// (nil with Options.OpenMedia).
func NewManager(m Matrix, dialer MediaDialer, opts Options) *Manager {
	opts.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{m: m, dialer: dialer, opts: opts, ctx: ctx, cancel: cancel, subs: map[int]chan CallChanged{}}
}

// Close stops the call's goroutines and media without leaving, as a
// crash would (the delayed leave or the membership's expiry then take us
// out): call Leave first to leave properly. It waits for them to end.
func (mg *Manager) Close() error {
	mg.cancel()
	mg.wg.Wait()
	if mg.dialer == nil {
		return nil
	}
	return mg.dialer.Close()
}

// leaveTimeout bounds leaving the call when the account closes.
const leaveTimeout = 5 * time.Second

// Run waits until ctx ends, then leaves the call we are in (the account
// is closing) and closes the Manager.
func (mg *Manager) Run(ctx context.Context) error {
	mg.clearGhosts(ctx)
	<-ctx.Done()
	mg.mu.Lock()
	s := mg.sess
	mg.mu.Unlock()
	if s != nil {
		done := make(chan struct{})
		s.do(func(ctx context.Context) {
			defer close(done)
			lctx, cancel := context.WithTimeout(ctx, leaveTimeout)
			defer cancel()
			s.leave(lctx, "termatrix is closing")
		})
		select {
		case <-done:
		case <-s.done:
		case <-time.After(leaveTimeout + time.Second):
		}
	}
	return mg.Close()
}

// Available says whether we can start or join a call in the room.
func (mg *Manager) Available(ctx context.Context, roomID id.RoomID) (bool, string) {
	r, ok := mg.m.Room(roomID)
	if !ok || r.Membership != event.MembershipJoin {
		return false, "you are not in this room"
	}
	if !mg.m.CanSendState(roomID, MemberStateType) {
		return false, "you may not join calls in this room (power level)"
	}
	if _, err := findTransport(ctx, mg.m); err != nil {
		return false, err.Error()
	}
	return true, ""
}

// findTransport is our homeserver's first LiveKit transport.
func findTransport(ctx context.Context, m Matrix) (Transport, error) {
	ts, err := m.RTCTransports(ctx)
	if err != nil {
		return Transport{}, err
	}
	for _, t := range ts {
		if t.Type == "livekit" && t.LiveKitServiceURL != "" {
			return Transport{Type: "livekit", ServiceURL: t.LiveKitServiceURL}, nil
		}
	}
	return Transport{}, errors.New("your homeserver advertises no LiveKit transport for Element Call")
}

// Join starts or joins the room's call. It returns at once; progress
// and failure come as CallChanged snapshots (State joining, connected,
// ended with EndReason).
func (mg *Manager) Join(roomID id.RoomID, video, ring bool) error {
	mg.mu.Lock()
	defer mg.mu.Unlock()
	if mg.ctx.Err() != nil {
		return errors.New("the call manager is closed")
	}
	if mg.sess != nil {
		return fmt.Errorf("already in a call in %s", mg.info.RoomID)
	}
	r, ok := mg.m.Room(roomID)
	if !ok || r.Membership != event.MembershipJoin {
		return fmt.Errorf("joining the call in %s: you are not in the room", roomID)
	}
	s := newSession(mg, roomID, video, ring, r.Encrypted)
	mg.sess = s
	mg.info = CallInfo{RoomID: roomID, State: CallJoining, Video: video, Encrypted: r.Encrypted}
	mg.publishLocked()
	mg.wg.Add(1)
	go func() {
		defer mg.wg.Done()
		s.run(mg.ctx)
	}()
	return nil
}

// Leave leaves the call in the room: the leave is sent, the media
// closed; the final snapshot has State ended.
func (mg *Manager) Leave(roomID id.RoomID) error {
	s, err := mg.current(roomID)
	if err != nil {
		return err
	}
	s.do(func(ctx context.Context) { s.leave(ctx, "you left") })
	return nil
}

// Decline declines the ring notification with this event ID.
func (mg *Manager) Decline(roomID id.RoomID, notification id.EventID) error {
	ctx, cancel := context.WithTimeout(mg.ctx, 30*time.Second)
	defer cancel()
	if _, err := mg.m.SendEvent(ctx, roomID, DeclineType, DeclineContent(notification)); err != nil {
		return fmt.Errorf("declining the call: %w", err)
	}
	return nil
}

// ToggleMute mutes or unmutes our microphone in the call.
func (mg *Manager) ToggleMute() error {
	mg.mu.Lock()
	s := mg.sess
	mg.mu.Unlock()
	if s == nil {
		return errors.New("not in a call")
	}
	s.do(func(context.Context) { s.toggleMute() })
	return nil
}

// Active returns our current call, if any.
func (mg *Manager) Active() (CallInfo, bool) {
	mg.mu.Lock()
	defer mg.mu.Unlock()
	return cloneInfo(mg.info), mg.sess != nil
}

// Subscribe returns a channel of call snapshots (the newest wins when
// the reader is slow) and a function that ends the subscription.
func (mg *Manager) Subscribe() (<-chan CallChanged, func()) {
	mg.mu.Lock()
	defer mg.mu.Unlock()
	ch := make(chan CallChanged, 16)
	n := mg.nextSub
	mg.nextSub++
	mg.subs[n] = ch
	return ch, func() {
		mg.mu.Lock()
		defer mg.mu.Unlock()
		delete(mg.subs, n)
	}
}

func (mg *Manager) current(roomID id.RoomID) (*session, error) {
	mg.mu.Lock()
	defer mg.mu.Unlock()
	if mg.sess == nil || mg.sess.roomID != roomID {
		return nil, fmt.Errorf("not in a call in %s", roomID)
	}
	return mg.sess, nil
}

// update sets the snapshot of session s and publishes it; a session that
// ended is no longer the Manager's.
func (mg *Manager) update(s *session, info CallInfo) {
	mg.mu.Lock()
	defer mg.mu.Unlock()
	if mg.sess != s {
		return
	}
	mg.info = info
	if info.State == CallEnded {
		mg.sess = nil
	}
	mg.publishLocked()
}

func (mg *Manager) publishLocked() {
	for _, ch := range mg.subs {
		u := CallChanged{Call: cloneInfo(mg.info)}
		select {
		case ch <- u:
			continue
		default:
		}
		select { // full: drop the oldest snapshot
		case <-ch:
		default:
		}
		select {
		case ch <- u:
		default:
		}
	}
}

func cloneInfo(i CallInfo) CallInfo {
	i.Hosts = append([]string(nil), i.Hosts...)
	ms := make([]CallMember, len(i.Members))
	for k, m := range i.Members {
		m.Video = append([]string(nil), m.Video...)
		ms[k] = m
	}
	i.Members = ms
	return i
}
