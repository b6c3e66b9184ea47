// Package matrix is termatrix's headless client core: login, session,
// the SQLite store, sync, and the commands the UI and calls send. It knows
// nothing of any UI; it publishes typed Updates to subscribers.
package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// CONTRACT STUB: the signatures below are the API the UI and calls code
// against. The implementation replaces the bodies, keeping the signatures.

var errNotImplemented = errors.New("not implemented yet")

// Session is what a login yields and a start resumes. AccessToken is a
// secret: String and GoString never show it.
type Session struct {
	Homeserver  string      `json:"homeserver"`
	UserID      id.UserID   `json:"user_id"`
	DeviceID    id.DeviceID `json:"device_id"`
	AccessToken string      `json:"access_token"`
}

// String describes the session without its token.
func (s Session) String() string {
	return "session{" + string(s.UserID) + " " + string(s.DeviceID) + " on " + s.Homeserver + "}"
}

// GoString keeps %#v from printing the token.
func (s Session) GoString() string { return s.String() }

// LoginParams is what the login form or the flags give.
type LoginParams struct {
	// Homeserver is a base URL; empty means discover it from User's server
	// name through /.well-known/matrix/client.
	Homeserver string
	// User is a full user ID (@alice:example.org) or a bare user name.
	User       string
	Password   string
	DeviceName string
}

// Options tunes a Client.
type Options struct {
	// TimelineLimit is how many recent events per room the store keeps
	// and the UI is given at start.
	TimelineLimit int
}

// Client is one logged-in account: its store, its sync loop, its commands.
// All methods are safe for concurrent use.
type Client struct{}

// Login logs in with a password and returns the new session.
func Login(ctx context.Context, p LoginParams) (*Session, error) { return nil, errNotImplemented }

// DiscoverHomeserver finds the base URL for a user ID through
// /.well-known/matrix/client, falling back to https://<server name>.
func DiscoverHomeserver(ctx context.Context, userID id.UserID) (string, error) {
	return "", errNotImplemented
}

// Open opens the account's store at dbPath and prepares (but does not start)
// syncing. Rooms and timelines are readable from the store at once.
func Open(ctx context.Context, s *Session, dbPath string, opts Options) (*Client, error) {
	return nil, errNotImplemented
}

// Subscribe returns a channel of Updates and a function that ends the
// subscription. Updates are never dropped; a slow subscriber slows sync.
func (c *Client) Subscribe() (<-chan Update, func()) { return nil, func() {} }

// Run syncs until ctx ends, retrying with back-off (1 s growing to 30 s).
func (c *Client) Run(ctx context.Context) error { return errNotImplemented }

// Close stops syncing and closes the store.
func (c *Client) Close() error { return nil }

// UserID is the logged-in user.
func (c *Client) UserID() id.UserID { return "" }

// DeviceID is this session's device.
func (c *Client) DeviceID() id.DeviceID { return "" }

// HomeserverURL is the homeserver's base URL.
func (c *Client) HomeserverURL() *url.URL { return nil }

// Rooms returns every joined and invited room, sorted by latest activity.
func (c *Client) Rooms() []Room { return nil }

// Room returns one room's snapshot.
func (c *Client) Room(roomID id.RoomID) (Room, bool) { return Room{}, false }

// Timeline returns up to limit of the room's latest stored events, oldest first.
func (c *Client) Timeline(roomID id.RoomID, limit int) ([]*event.Event, error) {
	return nil, errNotImplemented
}

// LoadHistory fetches older events with /messages; they arrive as HistoryLoaded.
func (c *Client) LoadHistory(ctx context.Context, roomID id.RoomID, limit int) error {
	return errNotImplemented
}

// Members returns the room's joined (and invited) members.
func (c *Client) Members(roomID id.RoomID) []Member { return nil }

// DisplayName returns a user's display name in a room, or their ID.
func (c *Client) DisplayName(roomID id.RoomID, userID id.UserID) string { return string(userID) }

// AvatarURL returns the user's own avatar (mxc URI), or "".
func (c *Client) AvatarURL(ctx context.Context) id.ContentURIString { return "" }

// StateEvent returns one current state event from the store, or nil.
func (c *Client) StateEvent(roomID id.RoomID, t event.Type, stateKey string) *event.Event {
	return nil
}

// StateEvents returns every current state event of a type, by state key.
func (c *Client) StateEvents(roomID id.RoomID, t event.Type) map[string]*event.Event { return nil }

// CanSendState says whether the user's power level allows sending the state event type.
func (c *Client) CanSendState(roomID id.RoomID, t event.Type) bool { return false }

// SendText sends a message (Markdown becomes formatted_body; emote for /me)
// in the background and returns its transaction ID. A LocalEcho is published
// at once and an EchoResolved when the server answers.
func (c *Client) SendText(roomID id.RoomID, markdown string, emote bool) string { return "" }

// Retry resends a failed pending message.
func (c *Client) Retry(roomID id.RoomID, txnID string) error { return errNotImplemented }

// SendEvent sends a message event of any type (m.call.*, ...).
func (c *Client) SendEvent(ctx context.Context, roomID id.RoomID, t event.Type, content any) (id.EventID, error) {
	return "", errNotImplemented
}

// SendState sends a state event (widgets, topic...).
func (c *Client) SendState(ctx context.Context, roomID id.RoomID, t event.Type, stateKey string, content any) (id.EventID, error) {
	return "", errNotImplemented
}

// JoinRoom joins a room by ID or alias, and accepts invites.
func (c *Client) JoinRoom(ctx context.Context, roomIDOrAlias string) (id.RoomID, error) {
	return "", errNotImplemented
}

// LeaveRoom leaves a room, and declines invites.
func (c *Client) LeaveRoom(ctx context.Context, roomID id.RoomID) error { return errNotImplemented }

// Invite invites a user to a room.
func (c *Client) Invite(ctx context.Context, roomID id.RoomID, userID id.UserID) error {
	return errNotImplemented
}

// SetTopic sets a room's topic.
func (c *Client) SetTopic(ctx context.Context, roomID id.RoomID, topic string) error {
	return errNotImplemented
}

// SetDisplayName sets the user's global display name.
func (c *Client) SetDisplayName(ctx context.Context, name string) error { return errNotImplemented }

// MarkRead sends a read receipt for an event.
func (c *Client) MarkRead(ctx context.Context, roomID id.RoomID, eventID id.EventID) error {
	return errNotImplemented
}

// SetTyping sends a typing notification.
func (c *Client) SetTyping(ctx context.Context, roomID id.RoomID, typing bool) error {
	return errNotImplemented
}

// TurnServer fetches TURN credentials from /voip/turnServer; an empty
// answer means the homeserver offers no TURN.
func (c *Client) TurnServer(ctx context.Context) (*mautrix.RespTurnServer, error) {
	return nil, errNotImplemented
}

// ClientWellKnown returns the raw keys of /.well-known/matrix/client, from
// https://<server name>/ and, where that gives nothing, the homeserver's base URL.
func (c *Client) ClientWellKnown(ctx context.Context) (map[string]json.RawMessage, error) {
	return nil, errNotImplemented
}

// Logout ends the session on the server. The caller removes the session file.
func (c *Client) Logout(ctx context.Context) error { return errNotImplemented }
