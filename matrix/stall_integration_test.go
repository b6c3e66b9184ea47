package matrix

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/termatrix/termatrix/internal/teststack"
)

// stalledLive logs u in, then runs a client whose homeserver is reached
// through a FaultProxy, with the given long-poll timeout.
func stalledLive(t *testing.T, st *teststack.Stack, name string, longPoll time.Duration, tune func(*Client)) (*live, *teststack.FaultProxy) {
	t.Helper()
	u := st.MustRegister(t, name)
	proxy := st.FaultProxyForTest(t)
	sess := loginSession(t, st, u)
	sess.Homeserver = proxy.URL()
	l := startLiveTuned(t, sess, filepath.Join(t.TempDir(), "store.db"), Options{SyncTimeout: longPoll}, tune)
	return l, proxy
}

// waitStatus waits up to timeout for a StatusChanged from index start on
// that ok accepts; it returns the update's index, or -1.
func (r *recorder) waitStatus(start int, timeout time.Duration, ok func(StatusChanged) bool) (StatusChanged, int) {
	deadline := time.Now().Add(timeout)
	for {
		for i, u := range r.all()[start:] {
			if s, isStatus := u.(StatusChanged); isStatus && ok(s) {
				return s, start + i
			}
		}
		if time.Now().After(deadline) {
			return StatusChanged{}, -1
		}
		select {
		case <-r.changed:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func isState(st SyncState) func(StatusChanged) bool {
	return func(s StatusChanged) bool { return s.State == st }
}

// TestStalledHomeserverIsReportedWhileTheRequestHangs: while the proxy in
// front of the real Dendrite holds every byte, the status turns to
// "not answering" a few seconds after the long-poll was due back, while
// that request is still outstanding, and to synced once bytes flow again.
func TestStalledHomeserverIsReportedWhileTheRequestHangs(t *testing.T) {
	st := stack.Get(t)
	const longPoll = 5 * time.Second
	const stall = 15 * time.Second
	l, proxy := stalledLive(t, st, "stallsync", longPoll, nil)
	// Let the long-poll after the first sync start.
	time.Sleep(300 * time.Millisecond)

	start := len(l.rec.all())
	began := time.Now()
	proxy.Pause()
	s, at := l.rec.waitStatus(start, stall, isState(StateStalled))
	if at < 0 {
		proxy.Resume()
		t.Fatalf("the status never said the homeserver was not answering during a %v stall (long-poll %v); statuses: %v",
			stall, longPoll, statuses(l.rec.all()[start:]))
	}
	t.Logf("figure: 'not answering' %.1fs after the stall began (long-poll %v, expected at most %v + %v)",
		time.Since(began).Seconds(), longPoll, longPoll, stallAfter)
	if s.Due.IsZero() || s.Due.After(time.Now()) {
		t.Errorf("stalled status has due time %v", s.Due)
	}
	for _, u := range statuses(l.rec.all()[start:at]) {
		if u.State == StateSynced {
			t.Errorf("'synced' published during the stall before it was noticed: %v", u)
		}
	}
	time.Sleep(time.Until(began.Add(stall)))
	resumed := time.Now()
	proxy.Resume()
	if _, i := l.rec.waitStatus(at+1, waitTimeout, isState(StateSynced)); i < 0 {
		t.Fatalf("not synced again after the stall; statuses: %v", statuses(l.rec.all()[start:]))
	}
	t.Logf("figure: 'synced' %.1fs after the stall ended", time.Since(resumed).Seconds())
}

// TestStalledRetryCountsDownAndTimesOutShort: a stall longer than the
// long-poll's deadline ends that request; the countdown to the retry is
// followed by a "retrying" status when the retry starts, and the retry
// (which does not long-poll) gives up after its short deadline.
func TestStalledRetryCountsDownAndTimesOutShort(t *testing.T) {
	st := stack.Get(t)
	// Shortened from 30 s + 15 s and 15 s, in the same proportion: a
	// retry ends well before a long-poll would.
	const longPoll, grace, retry = 2 * time.Second, 12 * time.Second, 8 * time.Second
	l, proxy := stalledLive(t, st, "stallretry", longPoll, func(c *Client) { c.timing.grace, c.timing.retry = grace, retry })
	time.Sleep(300 * time.Millisecond)
	start := len(l.rec.all())
	began := time.Now()
	proxy.Pause()
	defer proxy.Resume()

	_, i := l.rec.waitStatus(start, time.Minute, isState(StateReconnecting))
	if i < 0 {
		t.Fatalf("the hung long-poll was never given up; statuses: %v", statuses(l.rec.all()[start:]))
	}
	failedAt := time.Now()
	t.Logf("figure: long-poll given up %.1fs after the stall began (timeout %v + grace %v)", failedAt.Sub(began).Seconds(), longPoll, grace)
	// The next status is the retry starting, not a countdown left at 0.
	next, j := l.rec.waitStatus(i+1, time.Minute, func(StatusChanged) bool { return true })
	if j < 0 || next.State != StateConnecting || next.Err == nil {
		t.Fatalf("after the countdown came %v, want connecting (retrying) with the error", next)
	}
	retryAt := time.Now()
	t.Logf("figure: retry started %.1fs after the countdown began (RetryIn 1s)", retryAt.Sub(failedAt).Seconds())
	if _, k := l.rec.waitStatus(j+1, time.Minute, isState(StateStalled)); k < 0 {
		t.Fatalf("the hung retry was not reported; statuses: %v", statuses(l.rec.all()[start:]))
	}
	t.Logf("figure: hung retry reported %.1fs after it started", time.Since(retryAt).Seconds())
	second, k := l.rec.waitStatus(j+1, time.Minute, func(s StatusChanged) bool {
		return s.State == StateReconnecting || s.State == StateOffline
	})
	if k < 0 {
		t.Fatalf("the hung retry was never given up; statuses: %v", statuses(l.rec.all()[start:]))
	}
	t.Logf("figure: the retry (no long-poll) given up after %.1fs (its deadline %v; a long-poll's would be %v); then %v in %v",
		time.Since(retryAt).Seconds(), retry, longPoll+grace, second.State, second.RetryIn)
	proxy.Resume()
	resumed := time.Now()
	if _, m := l.rec.waitStatus(k+1, time.Minute, isState(StateSynced)); m < 0 {
		t.Fatalf("not synced again after the stall; statuses: %v", statuses(l.rec.all()[start:]))
	}
	t.Logf("figure: 'synced' %.1fs after the stall ended", time.Since(resumed).Seconds())
}

// statuses picks the StatusChanged updates.
func statuses(us []Update) []StatusChanged {
	var out []StatusChanged
	for _, u := range us {
		if s, ok := u.(StatusChanged); ok {
			out = append(out, s)
		}
	}
	return out
}
