package teststack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// UploadMedia uploads data (POST /_matrix/media/v3/upload) as u and
// returns its mxc:// URI.
func (u User) UploadMedia(ctx context.Context, data []byte, contentType string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.HomeserverURL+"/_matrix/media/v3/upload", bytes.NewReader(data))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+u.AccessToken)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("%s uploading: %w", u.UserID, err)
	}
	defer resp.Body.Close()
	var out struct {
		ContentURI string `json:"content_uri"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.ContentURI == "" {
		return "", fmt.Errorf("%s uploading: HTTP %d (%v)", u.UserID, resp.StatusCode, err)
	}
	return out.ContentURI, nil
}

// Media fetches an mxc:// URI's bytes as the server stores them
// (authenticated media, GET /_matrix/client/v1/media/download).
func (u User) Media(ctx context.Context, mxc string) ([]byte, error) {
	rest, ok := strings.CutPrefix(mxc, "mxc://")
	if !ok {
		return nil, fmt.Errorf("not an mxc URI: %q", mxc)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.HomeserverURL+"/_matrix/client/v1/media/download/"+rest, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+u.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s downloading %s: %w", u.UserID, mxc, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s downloading %s: HTTP %d (%v) %.200s", u.UserID, mxc, resp.StatusCode, err, b)
	}
	return b, nil
}
