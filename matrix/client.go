package matrix

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/termatrix/termatrix/internal/pubsub"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// DefaultTimelineLimit is Options.TimelineLimit when unset.
const DefaultTimelineLimit = 500

// Options tunes a Client.
type Options struct {
	// TimelineLimit is how many recent events per room the store keeps
	// and the UI is given at start (default DefaultTimelineLimit).
	TimelineLimit int
	// Log receives the client's logs; the zero value logs nothing. Access
	// tokens are never logged.
	Log zerolog.Logger
	// HTTPClient makes the requests; nil means a client without a global
	// timeout (every request has its own deadline). Its transport is
	// wrapped (in a copy) to notice a homeserver that stops answering.
	HTTPClient *http.Client
	// SyncTimeout is the /sync long-poll timeout (default 30 s). A
	// long-poll is abandoned 15 s after it, and the status says the
	// homeserver is not answering 5 s after it.
	SyncTimeout time.Duration
}

// Client is one logged-in account: its store, its sync loop, its commands.
// All methods are safe for concurrent use.
type Client struct {
	log  zerolog.Logger
	opts Options
	sess Session
	cli  *mautrix.Client
	db   *sql.DB
	// reads prepares once the state lookups asked for every room (readstmts.go).
	reads *readStmts
	hub   pubsub.Hub[Update]
	// crypto is end-to-end encryption over the same database.
	crypto *cryptoCore
	// keysShared is set once this device's keys are on the server.
	keysShared atomic.Bool
	// clearChecked holds the joined rooms the server confirmed this
	// session to be unencrypted (encryption.go).
	clearChecked sync.Map
	// status is the published connection state; wd notices requests the
	// homeserver does not answer (see watchdog.go); timing tunes sync.
	status connStatus
	wd     *watchdog
	timing syncTiming
	// chunkBytes is how much room JSON of a sync one transaction stores
	// (syncChunkBytes; tests lower it); spillDir (the store's directory)
	// takes the rooms of a sync too big to keep in memory.
	chunkBytes int
	spillDir   string

	// life ends at Close; background work (sends, fetches) uses it.
	life     context.Context
	stopLife context.CancelFunc
	bg       sync.WaitGroup
	closed   atomic.Bool

	mu     sync.RWMutex
	rooms  map[id.RoomID]*roomRow // changed in place by setRoomsLocked
	list   RoomList               // the room list, if listOK (roomlist.go)
	listOK bool
	direct map[id.RoomID]bool
	since  string
	// applied is closed (and replaced) each time a sync is applied, to
	// wake those waiting for a room to arrive; appliedReq is the number
	// of that sync's request (syncReqs when it was made).
	applied    chan struct{}
	appliedReq uint64
	// syncReqs counts the /sync requests made, so that a waiter can tell
	// a sync requested after some moment from one already in flight.
	syncReqs atomic.Uint64
	// shownFrom is, per room, the seq of the oldest stored event handed
	// to the UI (by Timeline or LoadHistory); LoadHistory serves older
	// stored events before asking the server.
	shownFrom map[id.RoomID]int64

	// writeMu serialises writes to the store (sync, history, members).
	writeMu sync.Mutex
	// stmts keeps the sync transactions' statements prepared (stmtcache.go).
	stmts *stmtPool

	runMu   sync.Mutex
	runDone sync.WaitGroup // Run in progress: Close waits for it
	running bool
	stopRun context.CancelFunc

	// out is the send queue (outbox.go).
	out    *outbox
	txnSeq atomic.Uint64

	historyLocks keyedLocks[id.RoomID] // serialise one room's LoadHistory calls

	fetchMu  sync.Mutex
	fetching map[string]bool // in-flight background fetches by key

	media mediaRoutes // which media endpoints the server has (download.go)

	ckpt *checkpointer // checkpoints the store's log (checkpoint.go)
}

// Open opens the account's store at dbPath and prepares (but does not start)
// syncing. Rooms and timelines are readable from the store at once, and
// this device's encryption keys are loaded from it (created on the first
// open). The session must hold a pickle key (Login gives one; see
// Session.EnsurePickleKey for sessions saved before). A
// store belongs to one session (homeserver, user and device): a store left
// by any other session is deleted and started afresh, so the first sync is
// an initial one and nothing of the other session shows.
func Open(ctx context.Context, s *Session, dbPath string, opts Options) (*Client, error) {
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("opening client: %w", err)
	}
	if s.PickleKey == "" {
		return nil, errors.New("opening client: the session has no pickle key (Session.EnsurePickleKey, then save it)")
	}
	if opts.TimelineLimit <= 0 {
		opts.TimelineLimit = DefaultTimelineLimit
	}
	cli, err := mautrix.NewClient(s.Homeserver, s.UserID, s.AccessToken)
	if err != nil {
		return nil, fmt.Errorf("opening client: homeserver URL %q: %w", s.Homeserver, err)
	}
	cli.DeviceID = s.DeviceID
	cli.Log = opts.Log.With().Str("component", "mautrix").Logger()
	cli.DefaultHTTPRetries = 0
	cli.UserAgent = "termatrix"
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	db, err := openSessionStore(ctx, dbPath, s)
	if err != nil {
		return nil, err
	}
	pool := newStmtPool(db)
	c := &Client{
		log:        opts.Log,
		opts:       opts,
		sess:       *s,
		cli:        cli,
		db:         db,
		stmts:      pool,
		reads:      newReadStmts(db, pool),
		applied:    make(chan struct{}),
		out:        newOutbox(),
		shownFrom:  make(map[id.RoomID]int64),
		fetching:   make(map[string]bool),
		timing:     defaultSyncTiming(opts.SyncTimeout),
		chunkBytes: syncChunkBytes,
		spillDir:   filepath.Dir(dbPath),
	}
	c.status.publish = func(s StatusChanged) { c.hub.Publish(s) }
	c.wd = newWatchdog(c.status.setStalled)
	cli.Client = watchHTTP(hc, cli.HomeserverURL.Host, c.wd)
	c.life, c.stopLife = context.WithCancel(context.Background())
	c.ckpt = newCheckpointer(db, dbPath)
	c.goBackground(c.ckpt.run)
	// A subscriber that comes late (the UI after a start that verified
	// the session first) still learns the connection state and whether
	// this session is verified.
	c.hub.SetSticky(func(u Update) (string, bool) {
		switch u.(type) {
		case StatusChanged:
			return "status", true
		case VerificationChanged:
			return "verification", true
		}
		return "", false
	})
	if err := c.load(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := c.initCrypto(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := c.loadOutbox(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	ups, unsubscribe := c.hub.SubscribeOnly(c.outboxWants)
	c.goBackground(c.watchOutbox(ups, unsubscribe))
	return c, nil
}

// load reads the room list, m.direct and next_batch from the store.
func (c *Client) load(ctx context.Context) error {
	rooms, err := loadRooms(ctx, c.db)
	if err != nil {
		return fmt.Errorf("opening store: %w", err)
	}
	since, err := getSyncValue(ctx, c.db, "next_batch")
	if err != nil {
		return fmt.Errorf("opening store: %w", err)
	}
	directJSON, err := getAccountData(ctx, c.db, event.AccountDataDirectChats.Type)
	if err != nil {
		return fmt.Errorf("opening store: %w", err)
	}
	c.rooms, c.since, c.direct, c.list, c.listOK = rooms, since, parseDirect(directJSON), RoomList{}, false
	return nil
}

// Subscribe returns a channel of Updates and a function that ends the
// subscription. Every subscriber gets every update, in order, starting
// with the last StatusChanged and VerificationChanged published before it
// subscribed (if any). Each has an
// unbounded queue: a slow subscriber never slows sync and nothing is
// dropped (its queue grows instead). The channel is closed after the
// cancel function is called or the Client is closed.
func (c *Client) Subscribe() (<-chan Update, func()) { return c.hub.Subscribe() }

// SubscribeOnly is Subscribe for a subscriber that handles only some
// updates: want is asked at publish time, on the publishing goroutine,
// so it must be quick and look at the update only; an update it refuses
// is not queued and does not wake the subscriber.
func (c *Client) SubscribeOnly(want func(Update) bool) (<-chan Update, func()) {
	return c.hub.SubscribeOnly(want)
}

// SubscribeBatches is Subscribe for a reader that takes updates in bulk:
// each receive holds everything published since the last.
func (c *Client) SubscribeBatches() (<-chan []Update, func()) { return c.hub.SubscribeBatches() }

// Close stops syncing and background work and closes the store.
func (c *Client) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	c.stopLife()
	c.runMu.Lock()
	if c.stopRun != nil {
		c.stopRun()
	}
	c.runMu.Unlock()
	// The sync loop's in-flight work (crypto included) ends before the
	// store closes.
	c.runDone.Wait()
	c.bg.Wait()
	c.wd.stop()
	c.writeMu.Lock()
	c.stmts.close()
	err := c.db.Close()
	c.writeMu.Unlock()
	c.hub.Close()
	if err != nil {
		return fmt.Errorf("closing store: %w", err)
	}
	return nil
}

// goBackground runs f in a goroutine that Close waits for.
func (c *Client) goBackground(f func(ctx context.Context)) bool {
	if c.closed.Load() {
		return false
	}
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		f(c.life)
	}()
	return true
}

// UserID is the logged-in user.
func (c *Client) UserID() id.UserID { return c.sess.UserID }

// DeviceID is this session's device.
func (c *Client) DeviceID() id.DeviceID { return c.sess.DeviceID }

// HomeserverURL is the homeserver's base URL.
func (c *Client) HomeserverURL() *url.URL {
	u := *c.cli.HomeserverURL
	return &u
}

// Room returns one room's snapshot.
func (c *Client) Room(roomID id.RoomID) (Room, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, ok := c.rooms[roomID]
	if !ok {
		return Room{}, false
	}
	return c.roomLocked(r), true
}

func (c *Client) roomLocked(r *roomRow) Room {
	var last time.Time
	if r.LastActivity > 0 {
		last = time.UnixMilli(r.LastActivity)
	}
	return Room{
		ID:            r.ID,
		Name:          r.Name,
		Topic:         r.Topic,
		Membership:    r.Membership,
		Inviter:       r.Inviter,
		IsDM:          c.direct[r.ID] || r.InviteDirect,
		JoinedMembers: r.JoinedShown,
		Unread:        r.Unread,
		OwnUnread:     r.OwnUnread,
		Highlights:    r.Highlights,
		LastActivity:  last,
		Encrypted:     r.Encrypted,
	}
}

// Timeline returns up to limit of the room's latest stored events, oldest
// first (limit <= 0 means Options.TimelineLimit). State events that came
// in the timeline (membership, name, topic, widgets...) are included.
func (c *Client) Timeline(roomID id.RoomID, limit int) ([]*event.Event, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if limit <= 0 {
		limit = c.opts.TimelineLimit
	}
	evs, lowest, err := loadTimeline(context.Background(), c.db, roomID, noSeq, limit)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.shownFrom[roomID] = lowest
	c.mu.Unlock()
	return evs, nil
}

// ErrNotStored says an event asked of the store is not in it.
var ErrNotStored = errors.New("event not in the store")

// StoredEvent reads one event of a room's stored timeline again, as
// Timeline returns it (decrypted if it was). A view that keeps only a
// compact copy of a long event reads the whole of it here when it is
// needed. ErrNotStored says the store does not hold it.
func (c *Client) StoredEvent(ctx context.Context, roomID id.RoomID, eventID id.EventID) (*event.Event, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	return storedEvent(ctx, c.db, roomID, eventID)
}

// errNotJoined is returned for commands on rooms the user is not in.
var errNotJoined = errors.New("not in that room")
