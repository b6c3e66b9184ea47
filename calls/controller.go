package calls

import (
	"context"
	"errors"

	"maunium.net/go/mautrix/id"
)

// CONTRACT STUB: the UI codes against these signatures; the implementation
// replaces the bodies, keeping the signatures.

var errNotImplemented = errors.New("not implemented yet")

// WidgetInfo is one room widget as /widgets lists it.
type WidgetInfo struct {
	ID         string
	Type       string
	Name       string
	Host       string
	Suspicious bool
	Reason     string
}

// DomainChoice is the Jitsi domain a new conference would use and where
// that came from ("your config file", "homeserver well-known (io.element.jitsi)",
// "built-in default").
type DomainChoice struct {
	Domain string
	Source string
}

// Controller runs calls for one account. All methods are safe for
// concurrent use and return quickly; the work goes on in the background
// and its results arrive as Events.
type Controller struct{}

// Subscribe returns a channel of Events and a function that ends the subscription.
func (c *Controller) Subscribe() (<-chan Event, func()) { return nil, func() {} }

// Run follows the account's updates until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return errNotImplemented }

// Voice places a voice call in a room: 1 member refuses, 2 members is a
// 1:1 call, more joins or starts a Jitsi conference.
func (c *Controller) Voice(roomID id.RoomID) {}

// Video places a video call in a room, as Voice does.
func (c *Controller) Video(roomID id.RoomID) {}

// JoinConference joins the room's existing Jitsi conference.
func (c *Controller) JoinConference(roomID id.RoomID) {}

// EndConference removes the room's Jitsi widget for everyone. The UI asks
// the user to confirm before calling it.
func (c *Controller) EndConference(roomID id.RoomID) {}

// Conference returns the room's current Jitsi conference, or nil.
func (c *Controller) Conference(roomID id.RoomID) *Conference { return nil }

// Answer answers the ringing 1:1 call in a room.
func (c *Controller) Answer(roomID id.RoomID) {}

// Reject rejects the ringing 1:1 call in a room.
func (c *Controller) Reject(roomID id.RoomID) {}

// Hangup ends the 1:1 call in a room.
func (c *Controller) Hangup(roomID id.RoomID) {}

// ToggleMute mutes or unmutes the microphone of the current 1:1 call.
func (c *Controller) ToggleMute() {}

// ActiveCall returns the current 1:1 call, if any.
func (c *Controller) ActiveCall() (CallInfo, bool) { return CallInfo{}, false }

// Widgets lists a room's widgets of any type.
func (c *Controller) Widgets(roomID id.RoomID) []WidgetInfo { return nil }

// OpenWidget opens an https widget in the browser (or shows its link).
func (c *Controller) OpenWidget(roomID id.RoomID, widgetID string) {}

// AddWidget adds a custom widget (http/https URL only), as Element's /addwidget.
func (c *Controller) AddWidget(roomID id.RoomID, rawURL string) {}

// RemoveWidget removes a widget, if the user has the power to.
func (c *Controller) RemoveWidget(roomID id.RoomID, widgetID string) {}

// JitsiDomain says which domain a new conference would use and why.
func (c *Controller) JitsiDomain() DomainChoice { return DomainChoice{} }

// RefreshJitsi re-reads the homeserver's well-known (/jitsi refresh).
func (c *Controller) RefreshJitsi(ctx context.Context) error { return errNotImplemented }
