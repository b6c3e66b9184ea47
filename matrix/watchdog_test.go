package matrix

import (
	"sync"
	"testing"
	"time"
)

// statusLog collects what a connStatus publishes.
type statusLog struct {
	mu  sync.Mutex
	got []StatusChanged
}

func (l *statusLog) add(s StatusChanged) { l.mu.Lock(); l.got = append(l.got, s); l.mu.Unlock() }

func (l *statusLog) states() []SyncState {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []SyncState
	for _, s := range l.got {
		out = append(out, s.State)
	}
	return out
}

func (l *statusLog) waitLen(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if len(l.states()) >= n {
			return
		}
	}
	t.Fatalf("published %v, want %d statuses", l.states(), n)
}

// TestWatchdogStallsWhileARequestIsOverdue: an overdue answer turns the
// published state to stalled while the request is outstanding, its answer
// turns it back; a quiet end leaves the next state to the sync loop;
// nothing is published before the loop has said anything.
func TestWatchdogStallsWhileARequestIsOverdue(t *testing.T) {
	log := &statusLog{}
	cs := &connStatus{publish: log.add}
	wd := newWatchdog(cs.setStalled)
	defer wd.stop()

	early := wd.begin(time.Now().Add(-time.Second))
	wd.end(early, false)
	if got := log.states(); len(got) != 0 {
		t.Fatalf("published before the sync loop started: %v", got)
	}
	cs.set(StatusChanged{State: StateSynced})
	id := wd.begin(time.Now().Add(50 * time.Millisecond))
	log.waitLen(t, 2)
	if s := log.got[1]; s.State != StateStalled || s.Due.IsZero() {
		t.Fatalf("second status %+v, want stalled with its due time", s)
	}
	other := wd.begin(time.Now()) // overdue, but later than the first: nothing shown changes
	wd.end(other, false)
	wd.end(id, false)
	log.waitLen(t, 3)
	if got := log.states(); len(got) != 3 || got[2] != StateSynced {
		t.Fatalf("published %v, want synced, stalled, synced", got)
	}
	id = wd.begin(time.Now().Add(-time.Second))
	log.waitLen(t, 4)
	wd.end(id, true)
	cs.set(StatusChanged{State: StateReconnecting, RetryIn: time.Second})
	if got := log.states(); len(got) != 5 || got[4] != StateReconnecting {
		t.Fatalf("published %v, want the failure's reconnecting right after the stall", got)
	}
}
