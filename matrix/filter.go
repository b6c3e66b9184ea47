package matrix

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// syncFilterID returns the server's ID for our sync filter: the one kept
// in the store when it was made for the same filter, else a new one (kept
// for the next start). Making a filter at every start cost a request
// before the first sync and left a new filter on the server each time.
func (c *Client) syncFilterID(ctx context.Context) (string, error) {
	body, err := json.Marshal(syncFilter())
	if err != nil {
		return "", fmt.Errorf("encoding the sync filter: %w", err)
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:8])
	if kept, err := getSyncValue(ctx, c.db, "filter"); err == nil {
		if h, id, ok := strings.Cut(kept, " "); ok && h == hash && id != "" {
			return id, nil
		}
	}
	fctx, cancel := context.WithTimeout(ctx, c.timing.retry)
	defer cancel()
	resp, err := c.cli.CreateFilter(fctx, syncFilter())
	if err != nil {
		return "", fmt.Errorf("creating sync filter: %w", err)
	}
	if err := setSyncValue(ctx, c.db, "filter", hash+" "+resp.FilterID); err != nil {
		c.log.Warn().Err(err).Msg("keeping the sync filter's ID")
	}
	return resp.FilterID, nil
}
