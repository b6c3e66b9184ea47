package calls

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls/browser"
	"github.com/termatrix/termatrix/calls/jitsi"
	"github.com/termatrix/termatrix/calls/rtc"
	"github.com/termatrix/termatrix/config"
	"github.com/termatrix/termatrix/internal/pubsub"
	"github.com/termatrix/termatrix/matrix"
)

// WidgetInfo is one room widget as /widgets lists it.
type WidgetInfo struct {
	ID         string
	Type       string
	Name       string
	Host       string
	Suspicious bool
	Reason     string
}

// DomainChoice is the Jitsi domain a new conference would use and where
// that came from ("your config file", "homeserver well-known (io.element.jitsi)",
// "built-in default").
type DomainChoice struct {
	Domain string
	Source string
}

// Options builds a Controller.
type Options struct {
	// Client is the account's core; *matrix.Client in the program.
	Client Matrix
	// Config is the loaded configuration.
	Config *config.Config
	// Browser opens URLs; nil means browser.New from Config.Browser and Env.
	Browser browser.Opener
	// OneToOne runs 1:1 calls; nil until package voip provides one.
	OneToOne OneToOne
	// ElementCall runs Element Calls (MatrixRTC); nil until package rtc's
	// Manager provides one: the banner and ringing still work, and the
	// actions say Element Call is not available.
	ElementCall ElementCall
	// Env reads the environment (SSH detection); nil means os.Getenv.
	Env func(string) string
	// HTTPClient makes the /.well-known/element/jitsi lookups; nil means
	// a client with the configured timeout.
	HTTPClient *http.Client
	// Log receives diagnostics; never tokens.
	Log zerolog.Logger
}

// actionTimeout bounds the network work of one user action.
const actionTimeout = 40 * time.Second

// Controller runs calls for one account. All methods are safe for
// concurrent use and return quickly; the work goes on in the background
// and its results arrive as Events.
type Controller struct {
	mx      Matrix
	cfg     *config.Config
	opener  browser.Opener
	auth    *jitsi.AuthChecker
	log     zerolog.Logger
	hub     pubsub.Hub[Event]
	wkFetch time.Duration
	// synced says the client's first sync is done (Run's goroutine only).
	synced bool

	mu        sync.Mutex
	oneToOne  OneToOne
	ec        ElementCall
	rtc       rtcSessions
	stopOne   func()
	domain    *jitsi.DomainChoice
	published map[id.RoomID]*Conference
	// rooms is the room list of the last RoomsChanged (Run's goroutine
	// only), to see which rooms the next one changes.
	rooms       matrix.RoomList
	overrides   map[id.RoomID]map[string]override
	avatar      string
	avatarAt    time.Time
	lastLatency time.Duration
}

// New makes a Controller. It does nothing until Run, except answer calls.
func New(o Options) *Controller {
	cfg := o.Config
	if cfg == nil {
		cfg = &config.Config{}
	}
	env := o.Env
	if env == nil {
		env = os.Getenv
	}
	opener := o.Browser
	if opener == nil {
		opener = browser.New(browser.Options{Setting: cfg.Browser, Env: env})
	}
	timeout := time.Duration(cfg.Jitsi.WellKnownTimeoutMs) * time.Millisecond
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	return &Controller{
		mx:       o.Client,
		cfg:      cfg,
		opener:   opener,
		auth:     &jitsi.AuthChecker{Client: o.HTTPClient, Timeout: timeout},
		log:      o.Log,
		wkFetch:  timeout,
		oneToOne: o.OneToOne,
		ec:       o.ElementCall,
		rtc: rtcSessions{
			members: map[id.RoomID][]rtc.Membership{},
			sticky:  map[id.RoomID]map[string]rtc.Membership{},
			expiry:  map[id.RoomID]*time.Timer{},
		},
		published: map[id.RoomID]*Conference{},
		overrides: map[id.RoomID]map[string]override{},
	}
}

// SetOneToOne plugs in the 1:1 call manager (before Run).
func (c *Controller) SetOneToOne(o OneToOne) {
	c.mu.Lock()
	c.oneToOne = o
	c.mu.Unlock()
}

func (c *Controller) one() OneToOne {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.oneToOne
}

// Subscribe returns a channel of Events and a function that ends the subscription.
func (c *Controller) Subscribe() (<-chan Event, func()) { return c.hub.Subscribe() }

// SubscribeBatches is Subscribe for a reader that takes events in bulk.
func (c *Controller) SubscribeBatches() (<-chan []Event, func()) { return c.hub.SubscribeBatches() }

func (c *Controller) publish(e Event) { c.hub.Publish(e) }

func (c *Controller) status(roomID id.RoomID, isErr bool, format string, args ...any) {
	c.publish(Status{RoomID: roomID, Text: fmt.Sprintf(format, args...), Error: isErr})
}

// Run follows the account's updates until ctx ends: it publishes
// ConferenceChanged as widgets come and go and RTCSessionChanged as Element
// Call memberships do, rings for Element Call ring notifications, re-reads
// the homeserver's well-known at start, and forwards 1:1 and Element Call
// snapshots.
func (c *Controller) Run(ctx context.Context) error {
	if c.mx == nil {
		return errors.New("calls: no matrix client")
	}
	updates, unsub := c.mx.SubscribeOnly(wantsUpdate)
	defer unsub()
	defer c.stopSessions()

	go func() {
		if err := c.RefreshJitsi(ctx); err != nil {
			c.log.Debug().Err(err).Msg("jitsi: homeserver well-known not read")
		}
	}()
	if o := c.one(); o != nil {
		ch, stop := o.Subscribe()
		defer stop()
		go func() {
			for cc := range ch {
				c.publish(cc)
			}
		}()
	}
	if ec := c.elementCall(); ec != nil {
		ch, stop := ec.Subscribe()
		defer stop()
		go func() {
			for cc := range ch {
				c.publish(ElementCallChanged{Call: cc.Call})
			}
		}()
	}
	for _, r := range c.mx.Rooms() {
		c.refreshConference(r.ID)
		c.refreshSession(r.ID)
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case u, ok := <-updates:
			if !ok {
				return nil
			}
			c.handleUpdate(u)
		}
	}
}

// wantsUpdate is the filter of Run's subscription: the types
// handleUpdate's switch handles (filter_test.go checks they agree), and of
// the timeline only batches with an event onRTCTimeline acts on, so a
// plain message does not wake the Controller. It runs in the client's
// Publish and reads the update only.
func wantsUpdate(u matrix.Update) bool {
	switch u := u.(type) {
	case matrix.StateChanged:
		return u.Event != nil && (u.Event.Type.Type == WidgetEventType.Type || u.Event.Type.Type == rtc.MemberStateType.Type)
	case matrix.StatusChanged:
		return true
	case matrix.TimelineAppended:
		return hasRTCTimelineEvent(u.Events)
	case matrix.EventsDecrypted:
		return hasRTCTimelineEvent(u.Events)
	case matrix.RoomsChanged:
		return true
	}
	return false
}

func (c *Controller) handleUpdate(u matrix.Update) {
	switch u := u.(type) {
	case matrix.StateChanged:
		if u.Event != nil && u.Event.Type.Type == WidgetEventType.Type && u.Event.StateKey != nil {
			c.dropOverride(u.RoomID, *u.Event.StateKey)
			c.refreshConference(u.RoomID)
			c.maybeRemoveOwnDuplicate(u.RoomID)
		}
		if u.Event != nil && u.Event.Type.Type == rtc.MemberStateType.Type {
			c.refreshSession(u.RoomID)
		}
	case matrix.StatusChanged:
		if u.State == matrix.StateSynced {
			c.synced = true
		}
	case matrix.TimelineAppended:
		c.onRTCTimeline(u.RoomID, u.Events, !c.synced)
	case matrix.EventsDecrypted:
		c.onRTCTimeline(u.RoomID, u.Events, !c.synced)
	case matrix.RoomsChanged:
		// Every message brings the whole list (1,000 rooms and more): only
		// the rooms changed since the last list are looked at, and the
		// new ones among them picked under one lock, not one per room.
		changed, _ := u.Rooms.Changes(c.rooms)
		c.rooms = u.Rooms
		var fresh []id.RoomID
		c.mu.Lock()
		for i := range changed {
			if _, known := c.published[changed[i].ID]; !known {
				fresh = append(fresh, changed[i].ID)
			}
		}
		c.mu.Unlock()
		for _, roomID := range fresh {
			c.refreshConference(roomID)
			c.refreshSession(roomID)
		}
	}
}

// Voice places a voice call in a room: 1 member refuses, 2 members is a
// 1:1 call, more joins or starts a Jitsi conference.
func (c *Controller) Voice(roomID id.RoomID) { c.place(roomID, false) }

// Video places a video call in a room, as Voice does.
func (c *Controller) Video(roomID id.RoomID) { c.place(roomID, true) }

// JoinConference joins the room's existing Jitsi conference, always on the
// widget's own domain and conference ID.
func (c *Controller) JoinConference(roomID id.RoomID) {
	start := time.Now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		w := c.currentJitsi(roomID)
		if w == nil {
			c.status(roomID, true, msgNoConference)
			return
		}
		c.openConference(ctx, roomID, w, start)
	}()
}

// EndConference removes the room's Jitsi widget for everyone. The UI asks
// the user to confirm before calling it.
func (c *Controller) EndConference(roomID id.RoomID) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		w := c.currentJitsi(roomID)
		if w == nil {
			c.status(roomID, true, msgNoConference)
			return
		}
		if err := c.removeWidget(ctx, roomID, w.ID); err != nil {
			c.status(roomID, true, "%s", err)
			return
		}
		c.status(roomID, false, "Ended the conference for everyone.")
	}()
}

// Conference returns the room's current Jitsi conference, or nil.
func (c *Controller) Conference(roomID id.RoomID) *Conference {
	w := c.currentJitsi(roomID)
	if w == nil {
		return nil
	}
	return c.conferenceOf(roomID, w)
}

// Answer answers the ringing 1:1 call in a room.
func (c *Controller) Answer(roomID id.RoomID) {
	c.withOne(roomID, func(o OneToOne) error { return o.Answer(roomID) })
}

// Reject rejects the ringing 1:1 call in a room.
func (c *Controller) Reject(roomID id.RoomID) {
	c.withOne(roomID, func(o OneToOne) error { return o.Reject(roomID) })
}

// Hangup ends the 1:1 call in a room.
func (c *Controller) Hangup(roomID id.RoomID) {
	c.withOne(roomID, func(o OneToOne) error { return o.Hangup(roomID) })
}

// ToggleMute mutes or unmutes the microphone of the current 1:1 call.
func (c *Controller) ToggleMute() {
	c.withOne("", func(o OneToOne) error { return o.ToggleMute() })
}

// ActiveCall returns the current 1:1 call, if any.
func (c *Controller) ActiveCall() (CallInfo, bool) {
	if o := c.one(); o != nil {
		return o.Active()
	}
	return CallInfo{}, false
}

func (c *Controller) withOne(roomID id.RoomID, f func(OneToOne) error) {
	o := c.one()
	if o == nil {
		c.status(roomID, true, msgNoOneToOne)
		return
	}
	go func() {
		if err := f(o); err != nil {
			c.status(roomID, true, "%s", err)
		}
	}()
}

// LastOpenLatency is the time from the last Voice, Video, JoinConference
// or OpenWidget press to the browser opener being called.
func (c *Controller) LastOpenLatency() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastLatency
}
