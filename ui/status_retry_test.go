package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/ui/uitest"
)

// TestStatusCountdownNeverSitsAtZero: the reconnect countdown ticks down,
// rounds up, and at its end says the retry is starting instead of "in 0s";
// the offline state counts down too; a retry that started says so.
func TestStatusCountdownNeverSitsAtZero(t *testing.T) {
	u, screen := tickingUI(t)
	fail := errors.New("timeout")
	u.queue(func() {
		u.handleUpdate(matrix.StatusChanged{State: matrix.StateReconnecting, RetryIn: 2 * time.Second, Err: fail})
	})
	uitest.WaitFor(t, screen, "reconnecting in 2s (timeout)", 5*time.Second)
	sawZero := false
	uitest.WaitUntil(t, screen, "the countdown ends", 6*time.Second, func(s string) bool {
		sawZero = sawZero || strings.Contains(s, "in 0s")
		return strings.Contains(s, "reconnecting… (timeout)")
	})
	if sawZero {
		t.Fatal(`the status line showed "in 0s"`)
	}
	u.queue(func() { u.handleUpdate(matrix.StatusChanged{State: matrix.StateConnecting, Err: fail}) })
	uitest.WaitFor(t, screen, "retrying… (timeout)", 5*time.Second)

	u.queue(func() {
		u.handleUpdate(matrix.StatusChanged{State: matrix.StateOffline, RetryIn: time.Second, Err: fail})
	})
	uitest.WaitFor(t, screen, "offline, retrying in 1s (timeout)", 5*time.Second)
	uitest.WaitUntil(t, screen, "the offline countdown ends", 5*time.Second, func(s string) bool {
		sawZero = sawZero || strings.Contains(s, "in 0s")
		return strings.Contains(s, "offline, retrying… (timeout)")
	})
	if sawZero {
		t.Fatal(`the status line showed "in 0s"`)
	}
}

// TestStatusStalledCountsUp: a stalled homeserver shows how long its answer
// is overdue, counting up while it stays so.
func TestStatusStalledCountsUp(t *testing.T) {
	u, screen := tickingUI(t)
	u.queue(func() {
		u.handleUpdate(matrix.StatusChanged{State: matrix.StateStalled, Due: time.Now().Add(-5 * time.Second)})
	})
	uitest.WaitFor(t, screen, "homeserver not answering (5s)…", 5*time.Second)
	uitest.WaitFor(t, screen, "homeserver not answering (6s)…", 5*time.Second)
	u.queue(func() { u.handleUpdate(matrix.StatusChanged{State: matrix.StateSynced}) })
	uitest.WaitUntil(t, screen, "synced again", 5*time.Second, func(s string) bool {
		return strings.Contains(s, " synced") && !strings.Contains(s, "not answering")
	})
}

// tickingUI is offlineUI with the once-a-second tick running that a
// logged-in session starts.
func tickingUI(t *testing.T) (*UI, tcell.SimulationScreen) {
	t.Helper()
	u, screen := offlineUI(t, &lockedBuffer{})
	ctx, cancel := context.WithCancel(context.Background())
	u.wg.Add(1)
	go u.tick(ctx)
	t.Cleanup(cancel)
	return u, screen
}
