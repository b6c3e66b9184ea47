package matrix

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"time"
)

// A request "hangs" when the homeserver has not answered it some time
// after the answer was due: at once for an ordinary request, after the
// long-poll timeout for /sync. The watchdog notices that while the request
// is still outstanding (a timer, not the request's own failure) and the
// status becomes StateStalled until an answer comes or the request fails.

// stallAfter is how long past its due time an answer may be late before
// the homeserver counts as not answering.
const stallAfter = 5 * time.Second

// bigBody is the request body size from which the due time starts only
// once the body is written (uploads take their time on a slow link).
const bigBody = 1 << 20

// watchdog tracks the outstanding requests to the homeserver with the time
// each answer is due, and reports the earliest overdue one (zero when none).
type watchdog struct {
	mu      sync.Mutex
	seq     uint64
	due     map[uint64]time.Time
	timer   *time.Timer
	overdue time.Time // last reported
	// report is called with mu held, so reports arrive in order; quiet
	// ones update the state without publishing it.
	report func(overdue time.Time, quiet bool)
}

func newWatchdog(report func(time.Time, bool)) *watchdog {
	return &watchdog{due: make(map[uint64]time.Time), report: report}
}

// begin tracks a request whose answer is due at due.
func (w *watchdog) begin(due time.Time) uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seq++
	w.due[w.seq] = due
	w.checkLocked(false)
	return w.seq
}

// move changes a tracked request's due time.
func (w *watchdog) move(id uint64, due time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.due[id]; ok {
		w.due[id] = due
		w.checkLocked(false)
	}
}

// end stops tracking a request. quiet: the caller publishes the next status
// itself (a failed /sync), so the end of a stall is not published first.
func (w *watchdog) end(id uint64, quiet bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.due, id)
	w.checkLocked(quiet)
}

// stop ends the timer.
func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
}

func (w *watchdog) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.checkLocked(false)
}

// checkLocked reports a change of the earliest overdue answer and arms the
// timer for the next due one.
func (w *watchdog) checkLocked(quiet bool) {
	now := time.Now()
	var overdue, next time.Time
	for _, d := range w.due {
		if !d.After(now) {
			if overdue.IsZero() || d.Before(overdue) {
				overdue = d
			}
		} else if next.IsZero() || d.Before(next) {
			next = d
		}
	}
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	if !next.IsZero() {
		w.timer = time.AfterFunc(next.Sub(now), w.fire)
	}
	if !overdue.Equal(w.overdue) {
		w.overdue = overdue
		w.report(overdue, quiet)
	}
}

type unwatchedKey struct{}

// unwatched marks a request the watchdog transport leaves alone because
// its caller tracks it (the /sync long-poll).
func unwatched(ctx context.Context) context.Context {
	return context.WithValue(ctx, unwatchedKey{}, true)
}

// watchedTransport tracks every request to the homeserver's host with the
// watchdog: its answer is due stallAfter after it was sent (after its body
// was written, for big bodies).
type watchedTransport struct {
	base http.RoundTripper
	host string
	wd   *watchdog
}

// RoundTrip implements http.RoundTripper.
func (t *watchedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != t.host || req.Context().Value(unwatchedKey{}) != nil {
		return t.base.RoundTrip(req)
	}
	due := time.Now().Add(answerAllowance(req.URL.Path) + stallAfter)
	big := req.ContentLength > bigBody || (req.Body != nil && req.Body != http.NoBody && req.ContentLength < 0)
	if big {
		due = time.Now().Add(24 * time.Hour)
	}
	id := t.wd.begin(due)
	if big {
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) {
			t.wd.move(id, time.Now().Add(stallAfter))
		}}
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	}
	resp, err := t.base.RoundTrip(req)
	t.wd.end(id, false)
	return resp, err
}

// slowWork is how long the homeserver may work on a request that waits
// for other servers or builds a room (joins over federation can take a
// minute) before its answer counts as due.
const slowWork = 60 * time.Second

// answerAllowance is how long after a request is sent its answer is due.
func answerAllowance(path string) time.Duration {
	switch {
	case strings.HasSuffix(path, "/join"), strings.Contains(path, "/join/"), strings.HasSuffix(path, "/createRoom"),
		strings.HasSuffix(path, "/upgrade"):
		return slowWork
	}
	return 0
}

// watchHTTP returns a copy of hc whose transport reports requests to host
// to wd.
func watchHTTP(hc *http.Client, host string, wd *watchdog) *http.Client {
	cp := *hc
	base := cp.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cp.Transport = &watchedTransport{base: base, host: host, wd: wd}
	return &cp
}

// connStatus combines the sync loop's state with the watchdog's: while an
// answer is overdue the published state is StateStalled.
type connStatus struct {
	mu      sync.Mutex
	base    StatusChanged
	started bool // the sync loop has published a state
	stalled time.Time
	last    StatusChanged // last published
	publish func(StatusChanged)
}

// set records the sync loop's state and publishes the combined one.
func (s *connStatus) set(base StatusChanged) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.base, s.started = base, true
	s.last = s.effectiveLocked()
	s.publish(s.last)
}

// setStalled records the earliest overdue answer (zero: none) and
// publishes the combined state if that changed it; quiet: not now, the
// sync loop publishes next.
func (s *connStatus) setStalled(overdue time.Time, quiet bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stalled = overdue
	if quiet || !s.started {
		return // before Run there is no state to change
	}
	e := s.effectiveLocked()
	if sameStatus(e, s.last) {
		return
	}
	s.last = e
	s.publish(e)
}

func sameStatus(a, b StatusChanged) bool {
	errText := func(err error) string {
		if err == nil {
			return ""
		}
		return err.Error()
	}
	return a.State == b.State && a.RetryIn == b.RetryIn && a.Due.Equal(b.Due) && errText(a.Err) == errText(b.Err)
}

func (s *connStatus) effectiveLocked() StatusChanged {
	stopped := s.base.State == StateOffline && s.base.Err == nil && s.base.RetryIn == 0
	if s.stalled.IsZero() || stopped {
		return s.base
	}
	return StatusChanged{State: StateStalled, Err: s.base.Err, Due: s.stalled.Add(-stallAfter)}
}
