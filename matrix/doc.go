// Package matrix is termatrix's headless client core: login, session,
// the SQLite store, sync, and the commands the UI and calls send. It knows
// nothing of any UI; it publishes typed Updates to subscribers.
//
// # Life of a client
//
// Login (or LoadSession) gives a Session; SaveSession keeps it in a 0600
// file under Paths. Open reads the store at once, so Rooms and Timeline
// work before any network access; Run then syncs until its context ends.
// Subscribe before Run to see every update.
//
// # Updates
//
// Every subscriber gets every update, in order, through its own unbounded
// queue: sync is never slowed by a slow subscriber and nothing is dropped.
// After each /sync is committed to the store, the client publishes, in
// this order: RoomLeft for each room the user is no longer in (kicked,
// banned, left elsewhere, invite declined or withdrawn: say so, it is
// never silent), RoomsChanged (if any room changed), then per room (sorted by
// room ID) StateChanged for each state event applied (state section first,
// then state events of the timeline), one TimelineAppended with the new
// timeline events (each event ID at most once, ever), CallSignal for each
// m.call.* event (initial sync included; Age lets the calls code judge
// staleness), Notify for highlights and DM messages (not on the initial
// sync), and TypingChanged.
//
// # Gaps: TimelineAppended.Reset
//
// When a room's batch in a /sync is limited (more events happened than the
// sync delivers, typically after the client was closed for a while) and
// the store already held events of that room, there is a hole between the
// stored events and the batch. The store then drops the room's stored
// timeline, keeps the batch and its prev_batch, and publishes the batch as
// a TimelineAppended with Reset set. A view of the room must then:
//
//  1. drop every event it shows for the room (keeping only its own pending
//     local echoes) and forget that it reached the room's start;
//  2. show exactly the Reset's Events (an empty Events still means: clear);
//  3. get older events with LoadHistory as usual: they continue exactly
//     above the Reset's first event (the hole is filled from the server),
//     and ReachedStart comes once the room's first event is delivered.
//
// Appending a Reset's events under the old view instead would put the
// hole's events, which LoadHistory then delivers, above everything shown.
// A HistoryLoaded is published wholly before or wholly after a reset's
// TimelineAppended: one received after the Reset is about the new view.
//
// # Events
//
// Events handed out (Timeline, updates, StateEvent...) have RoomID and the
// type class set, and their content already parsed where mautrix knows the
// type, so Content.AsMessage() and friends work at once (calling
// Content.ParseRaw again returns event.ErrContentAlreadyParsed).
// Content.VeryRaw always holds the JSON as the server sent it. Edits and
// redactions are stored and delivered as the raw events; the UI applies
// them. Every string in them is remote data: sanitize before display.
//
// # Encryption
//
// Rooms with m.room.encryption state are end-to-end encrypted with
// mautrix's OlmMachine (crypto*.go): message events are Megolm-encrypted
// before they leave, with the room key shared first to every device of
// the room's members, and incoming ones are decrypted as
// they are stored; an event whose key has not come yet is stored as
// Undecryptable and replaced once the key arrives. When an event cannot
// be encrypted, SendText resolves with ErrEncryptedRoom and SendEvent
// returns it: no message, and no m.call.* signalling (SDP, candidates),
// ever goes out in cleartext there. State events (SendState) and
// redactions are never encrypted in Matrix and stay allowed.
// Room.Encrypted tells the UI beforehand.
//
// # Sending
//
// SendText queues the message in the room's outbox (see outbox.go): the
// rooms' queues send one message at a time in the order typed, retry
// passing failures under the same transaction ID (EchoRetrying), and end
// each message with one EchoResolved. A refused message holds its room's
// queue until Retry or Discard. The outbox is kept in the store
// (tm_outbox) and Outbox lists it. SendEvent (call signalling) is not
// queued: it sends at once and returns the outcome.
//
// # Store
//
// One SQLite database (WAL) per session: it records the homeserver, user
// and device it belongs to, and Open deletes and recreates a store left by
// any other session (so a new login always starts with an initial sync,
// never with another device's next_batch or another account's rooms).
// RemoveStore deletes it with its WAL files, for /logout. Tables start
// with tm_ and the schema version lives in tm_version; mautrix's crypto
// store keeps its crypto_* tables in the same database, its pickles
// encrypted with the session's pickle key. Each /sync response is applied in
// one transaction together with its next_batch: a crash either keeps the
// whole response or none of it, and the next start resumes from the last
// committed token, so no event is skipped or stored twice (timeline rows
// are unique per room and event ID). Each room keeps its newest
// Options.TimelineLimit events; older history comes from /messages with
// the stored pagination token, which always continues exactly where the
// stored timeline starts.
package matrix
