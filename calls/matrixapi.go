package calls

import (
	"context"
	"encoding/json"
	"net/url"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
)

// Matrix is what the Controller needs of the client core; *matrix.Client
// provides it. Unit tests of pure logic use a small fake.
type Matrix interface {
	UserID() id.UserID
	DeviceID() id.DeviceID
	HomeserverURL() *url.URL
	Rooms() []matrix.Room
	Room(roomID id.RoomID) (matrix.Room, bool)
	Members(roomID id.RoomID) []matrix.Member
	DisplayName(roomID id.RoomID, userID id.UserID) string
	AvatarURL(ctx context.Context) id.ContentURIString
	StateEvent(roomID id.RoomID, t event.Type, stateKey string) *event.Event
	StateEvents(roomID id.RoomID, t event.Type) map[string]*event.Event
	CanSendState(roomID id.RoomID, t event.Type) bool
	SendState(ctx context.Context, roomID id.RoomID, t event.Type, stateKey string, content any) (id.EventID, error)
	ClientWellKnown(ctx context.Context) (map[string]json.RawMessage, error)
	// SubscribeOnly is matrix.Client.SubscribeOnly.
	SubscribeOnly(want func(matrix.Update) bool) (<-chan matrix.Update, func())
}

var _ Matrix = (*matrix.Client)(nil)

// State event types the Controller reads and sends.
var (
	// WidgetEventType is im.vector.modular.widgets, the only widget type
	// Element sends and reads.
	WidgetEventType = event.Type{Type: "im.vector.modular.widgets", Class: event.StateEventType}
	// FunctionalMembersType lists bots that do not count as call members.
	FunctionalMembersType = event.Type{Type: "io.element.functional_members", Class: event.StateEventType}
)

// contentBytes returns an event's raw content JSON.
func contentBytes(c *event.Content) []byte {
	if c == nil {
		return nil
	}
	if len(c.VeryRaw) > 0 {
		return c.VeryRaw
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil
	}
	return b
}
