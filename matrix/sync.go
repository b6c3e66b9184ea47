package matrix

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
)

const (
	// defaultSyncTimeout is the long-poll timeout of /sync.
	defaultSyncTimeout = 30 * time.Second
	// syncGrace is how much longer than the timeout a /sync may take
	// before it is abandoned as a dead connection.
	syncGrace = 15 * time.Second
	// retryDeadline bounds a request that does not long-poll (a /sync
	// catching up after a failure, the filter): the homeserver answers
	// those at once, so waiting long only delays the next try.
	retryDeadline = 15 * time.Second
	// initialSyncDeadline bounds the first /sync, which may be large.
	initialSyncDeadline = 5 * time.Minute
	// minBackoff and maxBackoff bound the wait between failed syncs.
	minBackoff = time.Second
	maxBackoff = 30 * time.Second
	// offlineAfter is how many failures in a row make the state offline
	// rather than reconnecting.
	offlineAfter = 3
	// syncTimelineLimit is how many timeline events a room gets per /sync.
	syncTimelineLimit = 50
)

// syncTiming holds the sync loop's timeouts (tests shorten them).
type syncTiming struct {
	longPoll time.Duration // the /sync timeout parameter
	grace    time.Duration // a long-poll is abandoned this long after it
	retry    time.Duration // deadline of a request that does not long-poll
	initial  time.Duration // deadline of the initial /sync
	// settle is how long an unsure resend waits after a sync for its
	// event to come through (sendSettle; see waitRetry).
	settle time.Duration
}

func defaultSyncTiming(longPoll time.Duration) syncTiming {
	if longPoll <= 0 {
		longPoll = defaultSyncTimeout
	}
	return syncTiming{longPoll: longPoll, grace: syncGrace, retry: retryDeadline, initial: initialSyncDeadline, settle: sendSettle}
}

// syncFilter lazy-loads members and turns presence off, but keeps every
// room event type: m.call.* events and im.vector.modular.widgets state must
// reach the calls code.
func syncFilter() *mautrix.Filter {
	none := []event.Type{{Type: "*"}}
	return &mautrix.Filter{
		EventFormat: mautrix.EventFormatClient,
		Presence:    &mautrix.FilterPart{NotTypes: none},
		AccountData: &mautrix.FilterPart{Types: []event.Type{event.AccountDataDirectChats}},
		Room: &mautrix.RoomFilter{
			State:    &mautrix.FilterPart{LazyLoadMembers: true},
			Timeline: &mautrix.FilterPart{Limit: syncTimelineLimit, LazyLoadMembers: true},
			// Receipts: our own move the unread count (unread.go); everyone's
			// are kept and shown (receipts.go).
			Ephemeral:   &mautrix.FilterPart{Types: []event.Type{event.EphemeralEventTyping, event.EphemeralEventReceipt}},
			AccountData: &mautrix.FilterPart{NotTypes: none},
		},
	}
}

// backoff is the wait after the n-th failure in a row (n >= 1): 1 s,
// doubling, at most 30 s.
func backoff(n int) time.Duration {
	d := minBackoff
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	if d > maxBackoff {
		d = maxBackoff
	}
	return d
}

// ErrLoggedOut is returned by Run when the server no longer accepts the
// session (M_UNKNOWN_TOKEN); a LoggedOut update is published too.
var ErrLoggedOut = errors.New("the homeserver ended this session")

// Run syncs until ctx ends or the Client closes (then it returns nil),
// retrying failed syncs with back-off (1 s doubling to 30 s). It publishes
// StatusChanged: connecting at start, synced after each successful sync,
// reconnecting (or offline after several failures in a row) with the
// error and RetryIn, connecting with that error when the retry starts,
// and stalled while the homeserver leaves a request unanswered past its
// due time (see watchdog.go). If the server rejects the token it publishes
// LoggedOut and returns an error matching ErrLoggedOut. Only one Run may
// be active.
func (c *Client) Run(ctx context.Context) error {
	c.runMu.Lock()
	if c.closed.Load() {
		c.runMu.Unlock()
		return ErrClosed
	}
	if c.running {
		c.runMu.Unlock()
		return errors.New("sync is already running")
	}
	ctx, cancel := context.WithCancel(ctx)
	c.running, c.stopRun = true, cancel
	c.runDone.Add(1)
	c.runMu.Unlock()
	defer c.runDone.Done()
	defer func() {
		cancel()
		c.runMu.Lock()
		c.running, c.stopRun = false, nil
		c.runMu.Unlock()
	}()
	stopOnClose := context.AfterFunc(c.life, cancel)
	defer stopOnClose()

	c.publishStatus(StatusChanged{State: StateConnecting})
	var filterID string
	failures := 0
	synced := false
	verificationAnnounced := false
	for {
		if ctx.Err() != nil {
			c.publishStatus(StatusChanged{State: StateOffline})
			return nil
		}
		// Until a sync succeeds, ask without long-polling, so that
		// "synced" shows as soon as the server answers.
		err := c.syncOnce(ctx, &filterID, synced)
		if err == nil {
			failures = 0
			if !synced {
				synced = true
				c.publishStatus(StatusChanged{State: StateSynced})
				if !verificationAnnounced {
					verificationAnnounced = true
					c.goBackground(c.publishVerification)
				}
			}
			continue
		}
		if ctx.Err() != nil {
			c.publishStatus(StatusChanged{State: StateOffline})
			return nil
		}
		if isUnknownToken(err) {
			err = fmt.Errorf("%w: %w", ErrLoggedOut, c.scrub(err))
			c.log.Warn().Err(err).Msg("session ended by the homeserver")
			c.publishStatus(StatusChanged{State: StateOffline, Err: err})
			c.hub.Publish(LoggedOut{Err: err})
			return err
		}
		failures++
		synced = false
		wait := backoff(failures)
		state := StateReconnecting
		if failures >= offlineAfter {
			state = StateOffline
		}
		err = c.scrub(err)
		c.log.Warn().Err(err).Dur("retry_in", wait).Int("failures", failures).Msg("sync failed")
		c.publishStatus(StatusChanged{State: state, Err: err, RetryIn: wait})
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			c.publishStatus(StatusChanged{State: StateOffline})
			return nil
		case <-t.C:
		}
		// The countdown is over: say the retry has started rather than
		// leave "in 0s" up while it runs.
		c.publishStatus(StatusChanged{State: StateConnecting, Err: err})
	}
}

// syncOnce makes one /sync request (creating the filter first if needed)
// and applies its response. longPoll makes the server wait up to
// syncTimeout for news.
func (c *Client) syncOnce(ctx context.Context, filterID *string, longPoll bool) error {
	tm := c.timing
	if *filterID == "" {
		id, err := c.syncFilterID(ctx)
		if err != nil {
			return err
		}
		*filterID = id
	}
	if !c.keysShared.Load() {
		if err := c.uploadDeviceKeys(ctx); err != nil {
			return err
		}
	}
	c.mu.RLock()
	since := c.since
	c.mu.RUnlock()
	timeout, deadline := tm.longPoll, tm.longPoll+tm.grace
	if !longPoll {
		timeout, deadline = 0, tm.retry
	}
	if since == "" {
		timeout, deadline = 0, tm.initial
	}
	// The watchdog expects the answer when the long-poll times out (at
	// once otherwise); this request is tracked here rather than by the
	// transport so that a failure's status comes from Run, with no
	// "synced" flashing up between the stall and the error.
	watch := c.wd.begin(time.Now().Add(timeout + stallAfter))
	rctx, cancel := context.WithTimeout(unwatched(ctx), deadline)
	// The response is decoded as it arrives, its rooms kept raw until
	// their turn comes in the apply (syncdecode.go); those of an initial
	// sync that need nothing from later in the body are stored as they
	// arrive (sync_early.go).
	if since == "" {
		// An initial sync is stored before the log is checkpointed
		// (checkpoint.go): the store is what "synced" waits for.
		c.ckpt.hold()
		defer c.ckpt.release()
	}
	// The reader waits for the early store when it runs ahead (push):
	// each chunk stored shows the response is still coming.
	early := c.startEarlyStore(ctx, since, func() { c.wd.move(watch, time.Now().Add(stallAfter)) })
	var batch *syncBatch
	req := mautrix.ReqSync{Timeout: int(timeout / time.Millisecond), Since: since, FilterID: *filterID}
	c.syncReqs.Add(1)
	_, err := c.cli.MakeFullRequest(rctx, mautrix.FullRequest{
		Method:       http.MethodGet,
		URL:          c.cli.BuildURLWithQuery(mautrix.ClientURLPath{"v3", "sync"}, req.BuildQuery()),
		ResponseJSON: &batch,
		MaxAttempts:  1,
		Handler:      syncResponseHandler(c.spillDir, early),
	})
	cancel()
	c.wd.end(watch, err != nil)
	if err != nil {
		early.abort()
		batch.close()
		return fmt.Errorf("syncing: %w", err)
	}
	defer batch.close()
	if batch == nil || batch.resp.NextBatch == "" {
		early.abort()
		return errors.New("syncing: the homeserver sent no next_batch")
	}
	// The early rooms all stored before the to-device events are
	// processed: the rest of the sync goes on from them.
	if err := early.finish(batch); err != nil {
		return fmt.Errorf("syncing: %w", err)
	}
	// To-device events first (room keys, withheld notices, secrets), then
	// device-list changes and one-time-key counts: the network work this
	// needs happens here, outside the store transaction, and the keys
	// are stored before the timeline that needs them is decrypted.
	// identityMu: mautrix caches our cross-signing keys unlocked, and
	// device-list processing reads what /crosssigning and /recovery write.
	c.crypto.identityMu.Lock()
	toDevice := c.processToDevice(ctx, batch.resp, since, batch.otkCounted)
	c.noteWithheld(batch.resp)
	c.trackSenders(ctx, batch.encryptedSenders())
	c.crypto.identityMu.Unlock()
	return c.applyAndPublish(ctx, batch, since, toDevice)
}

// publishStatus publishes a status change of the sync loop (shown as
// stalled instead while an answer is overdue).
func (c *Client) publishStatus(s StatusChanged) { c.status.set(s) }

// scrub hides the access token in an error's text.
func (c *Client) scrub(err error) error { return scrub(err, c.sess.AccessToken) }
