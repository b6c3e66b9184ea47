package matrix

import (
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// SyncState is the connection state shown in the status line.
type SyncState int

// The connection states, in the order a start-up passes through them;
// StateStalled can interrupt any of them.
const (
	StateOffline SyncState = iota
	StateConnecting
	StateReconnecting
	StateSynced
	// StateStalled: a request to the homeserver is still unanswered a
	// few seconds after its answer was due (the /sync long-poll after its
	// timeout, any other request at once). StatusChanged.Due says since
	// when.
	StateStalled
)

func (s SyncState) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateReconnecting:
		return "reconnecting"
	case StateSynced:
		return "synced"
	case StateStalled:
		return "not answering"
	default:
		return "offline"
	}
}

// Room is a snapshot of one room for display. Its strings are remote data:
// sanitize them before they reach a terminal.
type Room struct {
	ID         id.RoomID
	Name       string // computed display name (name, canonical alias, heroes)
	Topic      string
	Membership event.Membership // join or invite
	Inviter    id.UserID        // for invites
	IsDM       bool
	// JoinedMembers counts joined members, functional members included.
	JoinedMembers int
	// Unread is the server's notification count; OwnUnread is ours:
	// countable events from others after our read receipt, known in the
	// very sync that brings them. The room is unread if either is nonzero.
	Unread       int
	OwnUnread    int
	Highlights   int
	LastActivity time.Time
	Encrypted    bool
}

// Member is one room member for the member list.
type Member struct {
	UserID      id.UserID
	DisplayName string
	Membership  event.Membership
	PowerLevel  int
}

// Update is a typed event published by the Client to its subscribers.
type Update interface{ isUpdate() }

// StatusChanged reports the sync connection state. A StateConnecting with
// Err set is a retry after a failure, starting now.
type StatusChanged struct {
	State   SyncState
	Err     error         // the last error, for offline/reconnecting
	RetryIn time.Duration // back-off before the next attempt, from now
	// Due is, in StateStalled, when the homeserver's overdue answer was
	// expected: show how long ago that was, not a fixed figure.
	Due time.Time
}

// RoomsChanged carries the whole room list: invites first, then joined
// rooms, each sorted by latest activity. A RoomList never changes, so a
// subscriber may keep it; Rooms.Changes(previous) says what changed since
// the list a subscriber had, at a cost in proportion to what changed.
type RoomsChanged struct{ Rooms RoomList }

// TimelineAppended carries new live events of one room, oldest first.
// Events are never repeated: each event ID arrives once.
type TimelineAppended struct {
	RoomID id.RoomID
	Events []*event.Event
	// Reset says the server skipped events (a gap after a long time
	// offline): drop what is shown for the room (pending local echoes
	// aside) and forget having reached its start, show exactly Events
	// (even when empty), then fetch older events with LoadHistory, which
	// continues right above Events. Never append a Reset under the old
	// view. See "Gaps" in the package documentation.
	Reset bool
}

// HistoryLoaded carries older events fetched with /messages, oldest first,
// to be put above what is shown.
type HistoryLoaded struct {
	RoomID       id.RoomID
	Events       []*event.Event
	ReachedStart bool
}

// TypingChanged lists who is typing in a room (the user excluded).
type TypingChanged struct {
	RoomID  id.RoomID
	UserIDs []id.UserID
}

// LocalEcho is a message being sent, shown at once as pending.
type LocalEcho struct {
	RoomID id.RoomID
	TxnID  string
	Event  *event.Event
}

// EchoResolved says a pending message was sent (EventID set) or failed
// for good (Err set): the server refused it, or it could not be encrypted.
// A failed message holds the messages queued after it in its room (they
// stay pending) until Client.Retry or Client.Discard.
type EchoResolved struct {
	RoomID  id.RoomID
	TxnID   string
	EventID id.EventID
	Err     error
}

// EchoRetrying says an attempt at sending a pending message failed for a
// passing reason (no connection, the server down or busy, a rate limit):
// it stays pending and is tried again, under the same transaction ID, in
// RetryIn or as soon as the connection is back.
type EchoRetrying struct {
	RoomID   id.RoomID
	TxnID    string
	Attempts int // failed attempts in a row
	RetryIn  time.Duration
	Err      error
}

// EchoDiscarded says a failed message was dropped (Client.Discard).
type EchoDiscarded struct {
	RoomID id.RoomID
	TxnID  string
}

// StateChanged is published for every state event applied from sync
// (members, power levels, widgets...), after it is stored.
type StateChanged struct {
	RoomID id.RoomID
	Event  *event.Event
}

// CallSignal is an m.call.* event from a live sync, published once, with
// its age as the server gave it.
type CallSignal struct {
	RoomID id.RoomID
	Event  *event.Event
	Age    time.Duration
}

// Notify asks the UI to alert the user (bell, notify-send) about a message.
type Notify struct {
	RoomID    id.RoomID
	Event     *event.Event
	Highlight bool
	DM        bool
}

// RoomLeft says the user is no longer in a room: they left (here or on
// another device), declined or lost an invite, were kicked or banned. It is
// published just before the RoomsChanged that no longer lists the room.
// Name and Reason are remote data: sanitize them before display.
type RoomLeft struct {
	RoomID id.RoomID
	Name   string // the room's name as it was listed
	// WasInvite: the room was an invite (declined, or withdrawn by By).
	WasInvite bool
	// Kicked: someone else (By) removed the user; Banned: By banned them.
	Kicked bool
	Banned bool
	By     id.UserID // who made the change; the user themself for a leave
	ByName string    // By's display name in the room, else By
	Reason string    // the reason given, if any
}

// EventsDecrypted carries stored events of a room in a new form: events
// shown as undecryptable that could now be decrypted (their key arrived
// late: to-device, from key backup, an import), or whose reason changed
// (the key was withheld). Replace the events with the same IDs in place;
// never append them.
type EventsDecrypted struct {
	RoomID id.RoomID
	Events []*event.Event
}

// VerificationChanged says this session's verification changed (it was
// verified with the recovery key or emoji), or reports it at start.
type VerificationChanged struct{ Verification Verification }

// BackupProgress reports restoring the server-side key backup: Restoring
// at the start, then Done with the number of keys, or Err.
type BackupProgress struct {
	Restoring bool
	Done      bool
	Keys      int
	Version   string
	Err       error
}

// ReceiptsChanged carries the read receipts of a room that moved in one
// sync: each user's newest main timeline receipt (ours included; user and
// event IDs are remote data). Client.Receipts gives all of a room's.
type ReceiptsChanged struct {
	RoomID   id.RoomID
	Receipts map[id.UserID]Receipt
}

// LoggedOut says the session ended (by /logout, or the server dropped it).
type LoggedOut struct{ Err error }

func (StatusChanged) isUpdate()       {}
func (RoomsChanged) isUpdate()        {}
func (TimelineAppended) isUpdate()    {}
func (HistoryLoaded) isUpdate()       {}
func (TypingChanged) isUpdate()       {}
func (LocalEcho) isUpdate()           {}
func (EchoResolved) isUpdate()        {}
func (EchoRetrying) isUpdate()        {}
func (EchoDiscarded) isUpdate()       {}
func (StateChanged) isUpdate()        {}
func (CallSignal) isUpdate()          {}
func (Notify) isUpdate()              {}
func (RoomLeft) isUpdate()            {}
func (LoggedOut) isUpdate()           {}
func (ReceiptsChanged) isUpdate()     {}
func (EventsDecrypted) isUpdate()     {}
func (VerificationChanged) isUpdate() {}
func (BackupProgress) isUpdate()      {}
