package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"maunium.net/go/mautrix/id"
)

const (
	// wellKnownTimeout bounds a well-known lookup.
	wellKnownTimeout = 10 * time.Second
	// wellKnownMaxSize caps a well-known document.
	wellKnownMaxSize = 64 << 10
	wellKnownPath    = "/.well-known/matrix/client"
)

// wellKnownHTTPS is where a server name's well-known lives.
func wellKnownHTTPS(serverName string) string {
	return (&url.URL{Scheme: "https", Host: serverName, Path: wellKnownPath}).String()
}

// DiscoverHomeserver finds the base URL for a user ID through
// /.well-known/matrix/client, falling back to https://<server name>.
func DiscoverHomeserver(ctx context.Context, userID id.UserID) (string, error) {
	return discoverHomeserver(ctx, &http.Client{Timeout: wellKnownTimeout}, userID, wellKnownHTTPS)
}

// discoverHomeserver does DiscoverHomeserver with the well-known URL made
// by wkURL from the server name (tests serve it over plain HTTP).
func discoverHomeserver(ctx context.Context, httpc *http.Client, userID id.UserID, wkURL func(string) string) (string, error) {
	_, server, err := userID.Parse()
	if err != nil || server == "" {
		return "", fmt.Errorf("discovering homeserver: %q is not a valid user ID", userID)
	}
	fallback := (&url.URL{Scheme: "https", Host: server}).String()
	doc, err := fetchWellKnown(ctx, httpc, wkURL(server))
	if err != nil {
		// No usable well-known: the server name itself is the homeserver.
		return fallback, nil
	}
	var hs struct {
		BaseURL string `json:"base_url"`
	}
	if raw, ok := doc["m.homeserver"]; !ok || json.Unmarshal(raw, &hs) != nil || strings.TrimSpace(hs.BaseURL) == "" {
		return fallback, nil
	}
	u, err := url.Parse(strings.TrimSpace(hs.BaseURL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("discovering homeserver: %s gives an invalid m.homeserver.base_url", server)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// errNoWellKnown says a well-known document is missing.
var errNoWellKnown = errors.New("no well-known document")

// fetchWellKnown GETs a well-known document and returns its top-level keys.
func fetchWellKnown(ctx context.Context, httpc *http.Client, u string) (map[string]json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, wellKnownTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := httpc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("fetching %s: %w", u, errNoWellKnown)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: HTTP %d", u, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, wellKnownMaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", u, err)
	}
	if len(data) > wellKnownMaxSize {
		return nil, fmt.Errorf("fetching %s: document too large", u)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("fetching %s: not a JSON object", u)
	}
	return doc, nil
}

// ClientWellKnown returns the raw keys of /.well-known/matrix/client, from
// https://<server name>/ and, where that gives nothing, the homeserver's base URL.
func (c *Client) ClientWellKnown(ctx context.Context) (map[string]json.RawMessage, error) {
	return c.clientWellKnown(ctx, wellKnownHTTPS)
}

func (c *Client) clientWellKnown(ctx context.Context, wkURL func(string) string) (map[string]json.RawMessage, error) {
	_, server, err := c.sess.UserID.Parse()
	if err != nil {
		return nil, fmt.Errorf("client well-known: %w", err)
	}
	httpc := &http.Client{Timeout: wellKnownTimeout}
	doc1, err1 := fetchWellKnown(ctx, httpc, wkURL(server))
	if err1 == nil && len(doc1) > 0 {
		return doc1, nil
	}
	base := *c.cli.HomeserverURL
	base.Path = strings.TrimRight(base.Path, "/") + wellKnownPath
	base.RawQuery, base.Fragment = "", ""
	doc2, err2 := fetchWellKnown(ctx, httpc, base.String())
	if err2 == nil {
		return doc2, nil
	}
	if err1 == nil {
		return doc1, nil
	}
	return nil, fmt.Errorf("client well-known: %w; %w", err1, err2)
}
