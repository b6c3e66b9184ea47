package teststack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// User is a registered account on the stack with a logged-in device. Its
// methods are a tiny plain-HTTP client for tests that act as "another
// user" without termatrix's own client.
type User struct {
	UserID      string
	AccessToken string
	DeviceID    string
	Password    string
	// HomeserverURL is the stack's BaseURL.
	HomeserverURL string
}

// httpClient serves the test users' requests. A /sync long-poll may take as
// long as its timeout, so requests are bounded by their context instead.
var httpClient = &http.Client{}

// APIError is a Matrix error response.
type APIError struct {
	Status  int
	ErrCode string `json:"errcode"`
	Message string `json:"error"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.ErrCode, e.Message)
}

// UniqueLocalpart returns prefix with a suffix unique within this stack and
// test run, for tests sharing one stack.
func (s *Stack) UniqueLocalpart(prefix string) string {
	return fmt.Sprintf("%s%d-%s", prefix, s.users.Add(1), randomSecret(3))
}

// RegisterUser registers localpart with password (Dendrite wants 8+
// characters) through open registration with m.login.dummy.
func (s *Stack) RegisterUser(ctx context.Context, localpart, password string) (User, error) {
	body := map[string]any{
		"username":                    localpart,
		"password":                    password,
		"auth":                        map[string]any{"type": "m.login.dummy"},
		"inhibit_login":               false,
		"initial_device_display_name": "teststack",
	}
	var resp struct {
		UserID      string `json:"user_id"`
		AccessToken string `json:"access_token"`
		DeviceID    string `json:"device_id"`
	}
	if err := doJSON(ctx, http.MethodPost, s.BaseURL+"/_matrix/client/v3/register", "", body, &resp); err != nil {
		return User{}, fmt.Errorf("registering %s: %w", localpart, err)
	}
	return User{
		UserID:        resp.UserID,
		AccessToken:   resp.AccessToken,
		DeviceID:      resp.DeviceID,
		Password:      password,
		HomeserverURL: s.BaseURL,
	}, nil
}

// Login logs u's account in again with its password (m.login.password)
// and returns it as a new device: same UserID and Password, a new DeviceID
// and AccessToken. u's own device stays logged in. Tests use it for "a
// second session of the same user".
func (s *Stack) Login(ctx context.Context, u User) (User, error) {
	if u.Password == "" {
		return User{}, fmt.Errorf("logging %s in again: the User has no password", u.UserID)
	}
	body := map[string]any{
		"type":                        "m.login.password",
		"identifier":                  map[string]any{"type": "m.id.user", "user": u.UserID},
		"password":                    u.Password,
		"initial_device_display_name": "teststack",
	}
	var resp struct {
		UserID      string `json:"user_id"`
		AccessToken string `json:"access_token"`
		DeviceID    string `json:"device_id"`
	}
	if err := doJSON(ctx, http.MethodPost, s.BaseURL+"/_matrix/client/v3/login", "", body, &resp); err != nil {
		return User{}, fmt.Errorf("logging %s in again: %w", u.UserID, err)
	}
	if resp.AccessToken == "" || resp.DeviceID == "" {
		return User{}, fmt.Errorf("logging %s in again: the answer lacks a device or token", u.UserID)
	}
	return User{
		UserID:        resp.UserID,
		AccessToken:   resp.AccessToken,
		DeviceID:      resp.DeviceID,
		Password:      u.Password,
		HomeserverURL: s.BaseURL,
	}, nil
}

// Do sends a JSON request to path (e.g. "/_matrix/client/v3/sync?timeout=0")
// as u and decodes the JSON answer into out (if non-nil). A Matrix error
// answer is returned as *APIError.
func (u User) Do(ctx context.Context, method, path string, body, out any) error {
	return doJSON(ctx, method, u.HomeserverURL+path, u.AccessToken, body, out)
}

// CreateRoom creates a room with the /createRoom request req (nil for a
// default private room) and returns its ID.
func (u User) CreateRoom(ctx context.Context, req map[string]any) (string, error) {
	if req == nil {
		req = map[string]any{}
	}
	var resp struct {
		RoomID string `json:"room_id"`
	}
	if err := u.Do(ctx, http.MethodPost, "/_matrix/client/v3/createRoom", req, &resp); err != nil {
		return "", fmt.Errorf("%s creating a room: %w", u.UserID, err)
	}
	return resp.RoomID, nil
}

// SendEvent sends a message event of type evType and returns its event ID.
func (u User) SendEvent(ctx context.Context, roomID, evType string, content any) (string, error) {
	txn := "ts" + randomSecret(12)
	path := "/_matrix/client/v3/rooms/" + url.PathEscape(roomID) + "/send/" + url.PathEscape(evType) + "/" + txn
	var resp struct {
		EventID string `json:"event_id"`
	}
	if err := u.Do(ctx, http.MethodPut, path, content, &resp); err != nil {
		return "", fmt.Errorf("%s sending %s: %w", u.UserID, evType, err)
	}
	return resp.EventID, nil
}

// SendMessage sends an m.text message and returns its event ID.
func (u User) SendMessage(ctx context.Context, roomID, body string) (string, error) {
	return u.SendEvent(ctx, roomID, "m.room.message", map[string]any{"msgtype": "m.text", "body": body})
}

// SendState sets a state event and returns its event ID.
func (u User) SendState(ctx context.Context, roomID, evType, stateKey string, content any) (string, error) {
	path := "/_matrix/client/v3/rooms/" + url.PathEscape(roomID) + "/state/" + url.PathEscape(evType) + "/" + url.PathEscape(stateKey)
	var resp struct {
		EventID string `json:"event_id"`
	}
	if err := u.Do(ctx, http.MethodPut, path, content, &resp); err != nil {
		return "", fmt.Errorf("%s setting %s state: %w", u.UserID, evType, err)
	}
	return resp.EventID, nil
}

// Invite invites userID to roomID.
func (u User) Invite(ctx context.Context, roomID, userID string) error {
	path := "/_matrix/client/v3/rooms/" + url.PathEscape(roomID) + "/invite"
	if err := u.Do(ctx, http.MethodPost, path, map[string]any{"user_id": userID}, nil); err != nil {
		return fmt.Errorf("%s inviting %s: %w", u.UserID, userID, err)
	}
	return nil
}

// Join joins a room by ID or alias and returns the room ID.
func (u User) Join(ctx context.Context, roomIDOrAlias string) (string, error) {
	var resp struct {
		RoomID string `json:"room_id"`
	}
	path := "/_matrix/client/v3/join/" + url.PathEscape(roomIDOrAlias)
	if err := u.Do(ctx, http.MethodPost, path, map[string]any{}, &resp); err != nil {
		return "", fmt.Errorf("%s joining %s: %w", u.UserID, roomIDOrAlias, err)
	}
	return resp.RoomID, nil
}

// Leave leaves a room.
func (u User) Leave(ctx context.Context, roomID string) error {
	path := "/_matrix/client/v3/rooms/" + url.PathEscape(roomID) + "/leave"
	if err := u.Do(ctx, http.MethodPost, path, map[string]any{}, nil); err != nil {
		return fmt.Errorf("%s leaving %s: %w", u.UserID, roomID, err)
	}
	return nil
}

// Event is a client-format room event as tests need it.
type Event struct {
	EventID  string          `json:"event_id"`
	Type     string          `json:"type"`
	Sender   string          `json:"sender"`
	StateKey *string         `json:"state_key,omitempty"`
	Content  json.RawMessage `json:"content"`
	// Redacts is an m.room.redaction's target in room versions before 11
	// (from 11 on it is in the content).
	Redacts string `json:"redacts,omitempty"`
}

// Messages returns up to limit of the latest events in roomID, newest
// first (GET /messages with dir=b).
func (u User) Messages(ctx context.Context, roomID string, limit int) ([]Event, error) {
	path := "/_matrix/client/v3/rooms/" + url.PathEscape(roomID) + "/messages?dir=b&limit=" + strconv.Itoa(limit)
	var resp struct {
		Chunk []Event `json:"chunk"`
	}
	if err := u.Do(ctx, http.MethodGet, path, nil, &resp); err != nil {
		return nil, fmt.Errorf("%s reading messages of %s: %w", u.UserID, roomID, err)
	}
	return resp.Chunk, nil
}

// WaitForEvent polls the room's latest events (GET /messages) until
// eventID is among them and returns it. Dendrite applies events to what
// /sync and /messages serve asynchronously, shortly after /send returns.
func (u User) WaitForEvent(ctx context.Context, roomID, eventID string) (Event, error) {
	for {
		evs, err := u.Messages(ctx, roomID, 50)
		if err != nil {
			return Event{}, err
		}
		for _, ev := range evs {
			if ev.EventID == eventID {
				return ev, nil
			}
		}
		select {
		case <-ctx.Done():
			return Event{}, fmt.Errorf("%s waiting for %s in %s: %w", u.UserID, eventID, roomID, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// doJSON sends body as JSON (none if nil) with the bearer token (if any)
// and decodes a 2xx answer into out. The token never appears in errors.
func doJSON(ctx context.Context, method, u, token string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encoding request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("building request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, redactURL(u), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading answer: %w", method, redactURL(u), err)
	}
	if resp.StatusCode/100 != 2 {
		apiErr := &APIError{Status: resp.StatusCode}
		if json.Unmarshal(b, apiErr) != nil || apiErr.ErrCode == "" {
			apiErr.Message = strings.TrimSpace(string(b))
			if len(apiErr.Message) > 300 {
				apiErr.Message = apiErr.Message[:300] + "…"
			}
		}
		return fmt.Errorf("%s %s: %w", method, redactURL(u), apiErr)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decoding answer: %w", method, redactURL(u), err)
		}
	}
	return nil
}

// redactURL drops the query, where an access token could be.
func redactURL(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// SendReceipt sends u's public read receipt (m.read) for an event.
func (u User) SendReceipt(ctx context.Context, roomID, eventID string) error {
	path := "/_matrix/client/v3/rooms/" + url.PathEscape(roomID) + "/receipt/m.read/" + url.PathEscape(eventID)
	if err := u.Do(ctx, http.MethodPost, path, map[string]any{}, nil); err != nil {
		return fmt.Errorf("%s sending a read receipt: %w", u.UserID, err)
	}
	return nil
}
