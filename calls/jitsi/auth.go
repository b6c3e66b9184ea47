package jitsi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// AuthChecker asks a Jitsi server's /.well-known/element/jitsi which auth
// it wants, as Element does before creating a widget, and caches the
// answer per domain. Any error counts as "no auth", as in Element.
type AuthChecker struct {
	// Client makes the requests; nil means a client with Timeout.
	Client *http.Client
	// Timeout bounds each lookup.
	Timeout time.Duration
	// TTL is how long an answer is kept; failures are kept a tenth as long.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu    sync.Mutex
	cache map[string]authEntry
}

type authEntry struct {
	auth    string
	err     error
	expires time.Time
}

// Auth returns the server's auth mode for domain ("" or AuthOpenIDJWT).
// When the lookup failed it also returns the error, for the log; the mode
// is then "".
func (a *AuthChecker) Auth(ctx context.Context, domain string) (string, error) {
	if err := ValidateDomain(domain); err != nil {
		return "", err
	}
	now := a.now()
	a.mu.Lock()
	if e, ok := a.cache[domain]; ok && now.Before(e.expires) {
		a.mu.Unlock()
		return e.auth, e.err
	}
	a.mu.Unlock()

	auth, err := a.fetch(ctx, domain)
	ttl := a.TTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	if err != nil {
		ttl /= 10
	}
	a.mu.Lock()
	if a.cache == nil {
		a.cache = map[string]authEntry{}
	}
	a.cache[domain] = authEntry{auth: auth, err: err, expires: now.Add(ttl)}
	a.mu.Unlock()
	return auth, err
}

func (a *AuthChecker) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// fetch makes one lookup. A 404 or any non-200 answer, or an answer
// without auth, is "no auth" and not an error.
func (a *AuthChecker) fetch(ctx context.Context, domain string) (string, error) {
	timeout := a.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := a.Client
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+domain+"/.well-known/element/jitsi", nil)
	if err != nil {
		return "", fmt.Errorf("jitsi well-known of %s: %w", domain, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("jitsi well-known of %s: %w", domain, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("jitsi well-known of %s: %w", domain, err)
	}
	var wk struct {
		Auth json.RawMessage `json:"auth"`
	}
	if err := json.Unmarshal(body, &wk); err != nil {
		return "", fmt.Errorf("jitsi well-known of %s: %w", domain, err)
	}
	if jsonString(wk.Auth) == AuthOpenIDJWT {
		return AuthOpenIDJWT, nil
	}
	return "", nil
}
