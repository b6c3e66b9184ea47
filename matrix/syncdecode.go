package matrix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// A /sync response is decoded in two steps. decodeSync reads the body as
// it arrives: everything but the rooms into mautrix's types (to-device,
// device lists and account data are needed before any room is stored),
// each room as its raw JSON. A room is decoded into mautrix's types only
// when its turn comes in the apply (syncRoom.decode, with content kept
// raw: eventdecode.go), and dropped once it is stored, so the memory of
// the whole decoded response is never held at once: mautrix keeps every
// event three times over (the raw content, a map of it and the parsed
// struct), about 4 times the response's size.

// roomSection says which part of rooms a room came in.
type roomSection uint8

const (
	sectionJoin roomSection = iota
	sectionInvite
	sectionLeave
)

// syncRoom is one room of a /sync response: its raw JSON until decode,
// then one of join, invite or leave.
type syncRoom struct {
	id      id.RoomID
	section roomSection
	raw     []byte
	// spill is where the raw JSON went when the response was too big to
	// keep in memory (raw is nil then); n is its length.
	spill *spillFile
	off   int64
	n     int
	// encrypted: the raw JSON may hold an encrypted event (it names the
	// type, or has escapes that could spell it).
	encrypted bool
	join      *mautrix.SyncJoinedRoom
	invite    *mautrix.SyncInvitedRoom
	leave     *mautrix.SyncLeftRoom
	// encoded: the joined room's events as the store keeps them, where
	// prepare could encode them (see encodedRoom).
	encoded encodedRoom
}

// encodedRoom holds a joined room's events encoded for the store
// (encodeEvent), by index in its state and timeline sections: prepare
// encodes them beside the apply of the chunk before, which is the slower
// of the two. An event the apply may still change (an encrypted one is
// decrypted; a state event in the timeline gets its previous content
// from the store) is not encoded here: nil.
type encodedRoom struct {
	state, timeline [][]byte
}

// encodedAt is data[i] (nil: none).
func encodedAt(data [][]byte, i int) []byte {
	if i < len(data) {
		return data[i]
	}
	return nil
}

// decode decodes the room's raw JSON (once) and drops it.
func (r *syncRoom) decode() error {
	if r.raw == nil && r.spill != nil {
		raw := make([]byte, r.n)
		if _, err := r.spill.f.ReadAt(raw, r.off); err != nil {
			return fmt.Errorf("decoding the sync of %s: reading it back: %w", r.id, err)
		}
		r.raw, r.spill = raw, nil
	}
	if r.raw == nil {
		return nil
	}
	var err error
	switch r.section {
	case sectionJoin:
		r.join, err = decodeJoinedRoom(r.raw)
	case sectionInvite:
		err = json.Unmarshal(r.raw, &r.invite)
	case sectionLeave:
		r.leave, err = decodeLeftRoom(r.raw)
	}
	if err != nil {
		return fmt.Errorf("decoding the sync of %s: %w", r.id, err)
	}
	r.raw = nil
	return nil
}

// prepare readies the room's events for the store (prepareEvent: room
// ID, class, parsed content), which needs no store, so that it can run
// beside the apply of the chunk before.
func (r *syncRoom) prepare() {
	switch {
	case r.join != nil:
		r.encoded.state = prepareAll(r.join.State.Events, r.id, func(ev *event.Event) bool { return ev.StateKey != nil })
		r.encoded.timeline = prepareAll(r.join.Timeline.Events, r.id, func(ev *event.Event) bool {
			return ev.StateKey == nil && ev.ID != "" && ev.Type.Type != event.EventEncrypted.Type
		})
	case r.invite != nil:
		prepareAll(r.invite.State.Events, r.id, nil)
	}
}

// prepareAll prepares evs and encodes those encode says to, by index.
func prepareAll(evs []*event.Event, roomID id.RoomID, encode func(*event.Event) bool) [][]byte {
	var out [][]byte
	for i, ev := range evs {
		if ev == nil {
			continue
		}
		prepareEvent(ev, roomID)
		if encode == nil || !encode(ev) {
			continue
		}
		data, err := encodeEvent(ev)
		if err != nil {
			continue // the apply encodes it again and reports why
		}
		if out == nil {
			out = make([][]byte, len(evs))
		}
		out[i] = data
	}
	return out
}

// release forgets the room's content once it is stored.
func (r *syncRoom) release() {
	r.raw, r.spill, r.join, r.invite, r.leave = nil, nil, nil, nil, nil
	r.encoded = encodedRoom{}
}

// syncBatch is one /sync response on its way to the store: resp holds
// all but the rooms (resp.Rooms stays empty), rooms the joined, invited
// and left rooms in that order, each section sorted by room ID.
type syncBatch struct {
	resp   *mautrix.RespSync
	rooms  []syncRoom
	joined map[id.RoomID]bool
	spill  *spillFile // nil unless rooms went to disk
	// otkCounted: the response had device_one_time_keys_count (resp's
	// zero count otherwise means nothing was said).
	otkCounted bool
	// early: the apply state of the rooms stored while the response
	// downloaded (sync_early.go), which rooms leaves out; nil if none.
	early *applyState
}

// close removes the batch's spill file, if any.
func (b *syncBatch) close() {
	if b != nil && b.spill != nil {
		b.spill.close()
		b.spill = nil
	}
}

// batchOf wraps a response decoded whole (tests, benchmarks).
func batchOf(resp *mautrix.RespSync) *syncBatch {
	b := &syncBatch{joined: make(map[id.RoomID]bool, len(resp.Rooms.Join))}
	for _, roomID := range sortedKeys(resp.Rooms.Join) {
		b.rooms = append(b.rooms, syncRoom{id: roomID, section: sectionJoin, join: resp.Rooms.Join[roomID]})
		b.joined[roomID] = true
	}
	for _, roomID := range sortedKeys(resp.Rooms.Invite) {
		b.rooms = append(b.rooms, syncRoom{id: roomID, section: sectionInvite, invite: resp.Rooms.Invite[roomID]})
	}
	for _, roomID := range sortedKeys(resp.Rooms.Leave) {
		b.rooms = append(b.rooms, syncRoom{id: roomID, section: sectionLeave, leave: resp.Rooms.Leave[roomID]})
	}
	rest := *resp
	rest.Rooms = mautrix.RespSyncRooms{}
	b.resp = &rest
	return b
}

// chunks splits the rooms into runs of about maxBytes of raw JSON each
// (at least one room a run); rooms decoded already count nothing, so a
// response decoded whole is one run.
func (b *syncBatch) chunks(maxBytes int) [][]syncRoom {
	var out [][]syncRoom
	start, size := 0, 0
	for i := range b.rooms {
		size += len(b.rooms[i].raw) + b.rooms[i].n
		if size >= maxBytes {
			out = append(out, b.rooms[start:i+1])
			start, size = i+1, 0
		}
	}
	if start < len(b.rooms) || len(out) == 0 {
		out = append(out, b.rooms[start:])
	}
	return out
}

// decodeSync reads a /sync response: everything but "rooms" into
// mautrix.RespSync exactly as mautrix decodes it, and each room of
// rooms.join, rooms.invite and rooms.leave as raw JSON (other sections,
// such as knock, are skipped: nothing stores them). A room named twice
// keeps its last value, as a map would. A room's JSON is checked when it
// is decoded (syncRoom.decode), not here. Once keep bytes of rooms are
// held, further rooms go to a temporary file in spillDir ("": none do),
// read back when their turn comes; the caller closes the batch to remove
// it.
func decodeSync(r io.Reader, spillDir string, keep int) (*syncBatch, error) {
	return decodeSyncEarly(r, spillDir, keep, nil)
}

// decodeSyncEarly is decodeSync handing the joined rooms that may be
// stored before the response ends to early as they arrive (see
// sync_early.go; nil: none are), which then never come in the batch's
// rooms. On an error, early is stopped before the spill file goes.
func decodeSyncEarly(r io.Reader, spillDir string, keep int, early *earlyStore) (_ *syncBatch, err error) {
	sink := &roomSink{dir: spillDir, keep: keep}
	defer func() {
		if err != nil {
			early.abort()
			if sink.spill != nil {
				sink.spill.close()
			}
		}
	}()
	sp := newJSONSplitter(r)
	b := &syncBatch{resp: &mautrix.RespSync{}}
	if null, err := sp.null(); err != nil {
		return nil, fmt.Errorf("decoding sync: %w", err)
	} else if null {
		// An empty response, as mautrix reads it.
		if !sp.atEnd() {
			return nil, errors.New("decoding sync: data after the response")
		}
		b.joined = map[id.RoomID]bool{}
		return b, nil
	}
	// The members other than rooms, put back together for mautrix.
	rest := []byte{'{'}
	err = sp.object(func(key string) error {
		// encoding/json matches keys to fields ignoring case.
		if strings.EqualFold(key, "rooms") {
			sink.roomsSeen = true
			return decodeRoomSections(sp, sink)
		}
		if strings.EqualFold(key, "device_one_time_keys_count") {
			b.otkCounted = true
		}
		v, err := sp.value()
		if err != nil {
			return fmt.Errorf("%q: %w", key, err)
		}
		if strings.EqualFold(key, "account_data") && !sink.roomsSeen {
			sink.startEarly(early, v)
		}
		if len(rest) > 1 {
			rest = append(rest, ',')
		}
		rest = appendJSONString(rest, key)
		rest = append(rest, ':')
		rest = append(rest, v...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decoding sync: %w", err)
	}
	if !sp.atEnd() {
		return nil, errors.New("decoding sync: data after the response")
	}
	rest = append(rest, '}')
	if err := json.Unmarshal(rest, b.resp); err != nil {
		return nil, fmt.Errorf("decoding sync: %w", err)
	}
	b.resp.Rooms = mautrix.RespSyncRooms{}
	b.spill = sink.spill
	b.joined = make(map[id.RoomID]bool, len(sink.sections[sectionJoin])+len(sink.earlyIDs))
	for roomID := range sink.earlyIDs {
		b.joined[roomID] = true
	}
	n := 0
	for _, s := range sink.sections {
		n += len(s)
	}
	b.rooms = make([]syncRoom, 0, n)
	for sec, rooms := range sink.sections {
		for _, roomID := range sortedKeys(rooms) {
			r := rooms[roomID]
			r.id, r.section = roomID, roomSection(sec)
			b.rooms = append(b.rooms, r)
			if r.section == sectionJoin {
				b.joined[roomID] = true
			}
		}
	}
	return b, nil
}

// decodeRoomSections reads the value of "rooms" into sink, each room's
// value kept raw.
func decodeRoomSections(sp *jsonSplitter, sink *roomSink) error {
	if null, err := sp.null(); err != nil || null {
		return err
	}
	return sp.object(func(key string) error {
		sec := -1
		switch {
		case strings.EqualFold(key, "join"):
			sec = int(sectionJoin)
		case strings.EqualFold(key, "invite"):
			sec = int(sectionInvite)
		case strings.EqualFold(key, "leave"):
			sec = int(sectionLeave)
		}
		if sec < 0 {
			_, err := sp.value()
			return err
		}
		if null, err := sp.null(); err != nil || null {
			return err
		}
		if sink.sections[sec] == nil {
			sink.sections[sec] = make(map[id.RoomID]syncRoom)
		}
		err := sp.object(func(roomID string) error {
			raw, err := sp.value()
			if err != nil {
				return fmt.Errorf("the sync of %s: %w", roomID, err)
			}
			sink.put(roomSection(sec), id.RoomID(roomID), raw)
			return nil
		})
		// The early rooms of the section go to be stored now, while
		// the rest of the body downloads.
		sink.flushEarly()
		return err
	})
}

// mayHoldEncrypted says whether raw JSON may hold an m.room.encrypted
// event: it names the type, or has escapes, which could spell it.
func mayHoldEncrypted(raw []byte) bool {
	return bytes.Contains(raw, []byte(`m.room.encrypted`)) || bytes.Contains(raw, []byte(`\u`))
}

// syncKeepBytes is how much of a sync's room JSON is kept in memory;
// the rest waits in a spill file beside the store.
const syncKeepBytes = 4 << 20

// syncResponseHandler returns a mautrix response handler that decodes a
// /sync body with decodeSync into *(*syncBatch) as it arrives, never
// holding the whole body, reading at most limit bytes and spilling rooms
// to spillDir past syncKeepBytes, and handing the rooms that may be
// stored before the body ends to early (nil: none).
func syncResponseHandler(spillDir string, early *earlyStore) mautrix.ClientResponseHandler {
	return func(req *http.Request, res *http.Response, responseJSON any, limit int64) ([]byte, error) {
		out, ok := responseJSON.(**syncBatch)
		if !ok {
			return nil, errors.New("syncing: wrong response target")
		}
		lr := &io.LimitedReader{R: res.Body, N: limit + 1}
		b, err := decodeSyncEarly(lr, spillDir, syncKeepBytes, early)
		if lr.N <= 0 {
			early.abort()
			b.close()
			return nil, fmt.Errorf("syncing: %w", mautrix.ErrBodyReadReachedLimit)
		}
		if err != nil {
			return nil, mautrix.HTTPError{Request: req, Response: res, Message: "failed to decode the sync response", WrappedError: err}
		}
		*out = b
		return nil, nil
	}
}

// encryptedSenders returns the senders of the encrypted events in the
// joined rooms' timelines. A room still raw is only decoded (for the
// senders alone) when its JSON may name the encrypted event type.
func (b *syncBatch) encryptedSenders() []id.UserID {
	var users []id.UserID
	seen := make(map[id.UserID]bool)
	note := func(typ string, sender id.UserID) {
		if typ == "m.room.encrypted" && !seen[sender] {
			seen[sender] = true
			users = append(users, sender)
		}
	}
	for i := range b.rooms {
		r := &b.rooms[i]
		if r.section != sectionJoin {
			continue
		}
		if r.join != nil {
			for _, ev := range r.join.Timeline.Events {
				if ev != nil {
					note(ev.Type.Type, ev.Sender)
				}
			}
			continue
		}
		if !r.encrypted {
			continue
		}
		raw := r.raw
		if raw == nil && r.spill != nil {
			raw = make([]byte, r.n)
			if _, err := r.spill.f.ReadAt(raw, r.off); err != nil {
				continue // the apply reports it
			}
		}
		var light struct {
			Timeline struct {
				Events []struct {
					Type   string    `json:"type"`
					Sender id.UserID `json:"sender"`
				} `json:"events"`
			} `json:"timeline"`
		}
		if err := json.Unmarshal(raw, &light); err != nil {
			continue // the apply reports it
		}
		for _, ev := range light.Timeline.Events {
			note(ev.Type, ev.Sender)
		}
	}
	slices.Sort(users)
	return users
}
