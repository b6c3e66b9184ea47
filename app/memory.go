package app

import (
	"context"
	"math"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/termatrix/termatrix/matrix"
)

// sampleHeapOnlyFor turns the runtime's sampling of allocations off
// unless a heap profile is asked for (memProfile, MemProfileEnv). By
// default the runtime records the call stack of one allocation per 512 KB
// allocated, in buckets it never frees: after the cold start of a 1,000-room
// account they held 1.5 MB, for a profile nobody reads.
func sampleHeapOnlyFor(memProfile string) {
	if memProfile == "" {
		runtime.MemProfileRate = 0
	}
}

// startMemoryLimit is the soft limit on the Go runtime's memory until the
// first sync is applied. The first sync of a big account allocates several
// times its size in garbage (each room is decoded, stored and dropped in
// turn) while its live heap stays small (about 40 MB for 1,000 rooms; see
// matrix/syncdecode.go); left to GOGC alone the heap grew to twice the
// live heap and more before each collection, and the process kept that
// peak. Under the limit the collector runs sooner instead.
const startMemoryLimit = 80 << 20

// startGCPercent is the garbage collector's target until the first frame
// is drawn. A warm start allocates some 10 MB (package set-up, the room
// list, the UI) around a live heap that stays below that; at the default
// 100 the collector ran three or four times before the first frame, at
// 400 about once.
const startGCPercent = 400

// fewerCollectionsUntilDrawn raises the collector's target for the start
// (unless GOGC is set) and returns the function that sets it back, to be
// called once the first frame is drawn.
func fewerCollectionsUntilDrawn(getenv func(string) string) (restore func()) {
	if getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(startGCPercent)
	return func() { debug.SetGCPercent(old) }
}

// steadyGCPercent is the garbage collector's target once the first sync
// is applied. The client then allocates little (a few syncs a second at
// most) around a live heap of some 10–15 MB, so at the default 100 the
// heap's slack was the largest part of its memory that a collection
// could give back: bench scale measured 64–66 MB RSS after opening 100
// rooms at 100 and 58–59 MB at 50, the CPU while messages arrive within
// the noise. The cold start keeps its own settings (startMemoryLimit,
// startGCPercent): there the collector's work is what bounds the time.
const steadyGCPercent = 50

// returnMemoryAfterSync bounds the memory of the first sync while it is
// applied (startMemoryLimit, unless GOMEMLIMIT or the program set a limit)
// and hands it back to the system once it is applied and shown: Go
// returns freed memory to the system only slowly, so the client would go
// on holding its cold-start peak for minutes. From then on the collector
// keeps the heap closer to what is live (steadyGCPercent, unless GOGC is
// set).
func returnMemoryAfterSync(ctx context.Context, c *matrix.Client, getenv func(string) string) {
	ups, stop := c.SubscribeBatches()
	defer stop()
	limited := debug.SetMemoryLimit(-1) == math.MaxInt64
	if limited {
		debug.SetMemoryLimit(startMemoryLimit)
		defer func() {
			if debug.SetMemoryLimit(-1) == startMemoryLimit {
				debug.SetMemoryLimit(math.MaxInt64)
			}
		}()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case batch, ok := <-ups:
			if !ok {
				return
			}
			for _, u := range batch {
				if s, ok := u.(matrix.StatusChanged); ok && s.State == matrix.StateSynced {
					// Give the UI a moment to take what the sync published.
					select {
					case <-ctx.Done():
					case <-time.After(2 * time.Second):
						settleMemory(getenv)
					}
					return
				}
			}
		}
	}
}

// settleMemory sets the collector's steady target (unless GOGC is set)
// and hands the memory freed since back to the system.
func settleMemory(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(steadyGCPercent)
	}
	debug.FreeOSMemory()
}
