package app

import (
	"context"
	"runtime/debug"
	"time"

	"github.com/termatrix/termatrix/matrix"
)

// returnMemoryAfterSync hands the memory of the first sync back to the
// system once it is applied and shown: an initial sync of a big account
// decodes into a few hundred MB that are garbage a moment later, and Go
// returns freed memory to the system only slowly, so the client would go
// on holding its cold-start peak for minutes.
func returnMemoryAfterSync(ctx context.Context, c *matrix.Client) {
	ups, stop := c.SubscribeBatches()
	defer stop()
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
						debug.FreeOSMemory()
					}
					return
				}
			}
		}
	}
}
