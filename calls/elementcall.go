package calls

import (
	"context"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls/rtc"
)

// ElementCall runs MatrixRTC calls (Element Call's protocol, LiveKit
// media); package rtc's Manager provides it. At most one such call runs
// at a time.
type ElementCall interface {
	// Available says whether we can start or join an Element Call in the
	// room: the homeserver advertises a LiveKit transport and we may send
	// call membership; reason says why not.
	Available(ctx context.Context, roomID id.RoomID) (ok bool, reason string)
	// Join starts or joins the room's call; ring sends a ring
	// notification after our membership (a DM), else a plain one when we
	// start the session.
	Join(roomID id.RoomID, video, ring bool) error
	// Leave leaves the call in the room.
	Leave(roomID id.RoomID) error
	// Decline declines the ring notification with this event ID.
	Decline(roomID id.RoomID, notification id.EventID) error
	// ToggleMute mutes or unmutes our microphone in the call.
	ToggleMute() error
	// Active returns our current call, if any.
	Active() (rtc.CallInfo, bool)
	// Subscribe returns a channel of call snapshots and a function that
	// ends the subscription.
	Subscribe() (<-chan rtc.CallChanged, func())
}
