package app

import (
	"runtime/debug"
	"testing"
)

// TestFewerCollectionsUntilDrawn: the start raises the collector's target
// and the first frame sets it back; with GOGC set, the user's choice
// stands.
func TestFewerCollectionsUntilDrawn(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)

	restore := fewerCollectionsUntilDrawn(func(string) string { return "" })
	if got := debug.SetGCPercent(startGCPercent); got != startGCPercent {
		t.Fatalf("during the start the GC percent is %d, want %d", got, startGCPercent)
	}
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("after the first frame the GC percent is %d, want 100 again", got)
	}

	restore = fewerCollectionsUntilDrawn(func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("with GOGC set the start changed the GC percent to %d", got)
	}
	restore()
}

// TestSettleMemory: once the first sync is applied the collector keeps
// the heap closer to what is live; with GOGC set, the user's choice
// stands.
func TestSettleMemory(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	settleMemory(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != steadyGCPercent {
		t.Errorf("after the first sync the GC percent is %d, want %d", got, steadyGCPercent)
	}
	settleMemory(func(k string) string {
		if k == "GOGC" {
			return "100"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set the GC percent became %d", got)
	}
}
