package elementpeer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ForTest starts a Peer for a test and closes it in t.Cleanup. The page's
// diagnostics go to a log file in the test's temporary directory, whose path
// is logged if the test fails.
func ForTest(tb testing.TB, opts Options) *Peer {
	tb.Helper()
	p, err := StartForTest(tb, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// StartForTest is ForTest returning the error instead of failing the test,
// so it may run off the test's goroutine (to start several peers at once).
// The log's tail is logged when the test fails.
func StartForTest(tb testing.TB, opts Options) (*Peer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if opts.Log == nil {
		name := strings.NewReplacer("@", "", ":", "_", "/", "_").Replace(opts.UserID + "-" + opts.DeviceID)
		path := filepath.Join(tb.TempDir(), "elementpeer-"+name+".log")
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		opts.Log = f
		tb.Cleanup(func() {
			f.Close()
			if tb.Failed() {
				tb.Logf("element peer %s (device %s) log (tail, debug lines dropped):\n%s", opts.UserID, opts.DeviceID, logTail(path, 80))
			}
		})
	}
	p, err := Start(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("starting the element peer for %s: %w", opts.UserID, err)
	}
	tb.Cleanup(func() { p.Close() })
	return p, nil
}

// logTail returns the last n lines of the log at path that are not
// matrix-js-sdk debug chatter.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	var keep []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "[page debug]") {
			keep = append(keep, l)
		}
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	return strings.Join(keep, "\n")
}
