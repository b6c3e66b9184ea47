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
	"maunium.net/go/mautrix/id"
)

// A /sync response is decoded in two steps. decodeSync reads the body as
// it arrives: everything but the rooms into mautrix's types (to-device,
// device lists and account data are needed before any room is stored),
// each room as its raw JSON. A room is decoded into mautrix's types only
// when its turn comes in the apply (syncRoom.decode), and dropped once it
// is stored, so the memory of the whole decoded response is never held at
// once: mautrix keeps every event three times over (the raw content, a
// map of it and the parsed struct), about 4 times the response's size.

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
	join    *mautrix.SyncJoinedRoom
	invite  *mautrix.SyncInvitedRoom
	leave   *mautrix.SyncLeftRoom
}

// decode decodes the room's raw JSON (once) and drops it.
func (r *syncRoom) decode() error {
	if r.raw == nil {
		return nil
	}
	var err error
	switch r.section {
	case sectionJoin:
		err = json.Unmarshal(r.raw, &r.join)
	case sectionInvite:
		err = json.Unmarshal(r.raw, &r.invite)
	case sectionLeave:
		err = json.Unmarshal(r.raw, &r.leave)
	}
	if err != nil {
		return fmt.Errorf("decoding the sync of %s: %w", r.id, err)
	}
	r.raw = nil
	return nil
}

// release forgets the room's content once it is stored.
func (r *syncRoom) release() { r.raw, r.join, r.invite, r.leave = nil, nil, nil, nil }

// syncBatch is one /sync response on its way to the store: resp holds
// all but the rooms (resp.Rooms stays empty), rooms the joined, invited
// and left rooms in that order, each section sorted by room ID.
type syncBatch struct {
	resp   *mautrix.RespSync
	rooms  []syncRoom
	joined map[id.RoomID]bool
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
		size += len(b.rooms[i].raw)
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
// keeps its last value, as a map would.
func decodeSync(r io.Reader) (*syncBatch, error) {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("decoding sync: %w", err)
	}
	if tok == nil {
		// null: an empty response, as mautrix reads it.
		return &syncBatch{resp: &mautrix.RespSync{}, joined: map[id.RoomID]bool{}}, expectEOF(dec)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("decoding sync: %v where an object belongs", tok)
	}
	// The members other than rooms, put back together for mautrix.
	rest := []byte{'{'}
	sections := [3]map[id.RoomID][]byte{}
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return nil, err
		}
		// encoding/json matches keys to fields ignoring case.
		if !strings.EqualFold(key, "rooms") {
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil, fmt.Errorf("decoding sync %q: %w", key, err)
			}
			if len(rest) > 1 {
				rest = append(rest, ',')
			}
			rest = appendJSONString(rest, key)
			rest = append(rest, ':')
			rest = append(rest, v...)
			continue
		}
		if err := decodeRoomSections(dec, &sections); err != nil {
			return nil, err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if err := expectEOF(dec); err != nil {
		return nil, err
	}
	rest = append(rest, '}')
	b := &syncBatch{resp: &mautrix.RespSync{}, joined: make(map[id.RoomID]bool, len(sections[sectionJoin]))}
	if err := json.Unmarshal(rest, b.resp); err != nil {
		return nil, fmt.Errorf("decoding sync: %w", err)
	}
	b.resp.Rooms = mautrix.RespSyncRooms{}
	n := 0
	for _, s := range sections {
		n += len(s)
	}
	b.rooms = make([]syncRoom, 0, n)
	for sec, rooms := range sections {
		for _, roomID := range sortedKeys(rooms) {
			b.rooms = append(b.rooms, syncRoom{id: roomID, section: roomSection(sec), raw: rooms[roomID]})
			if roomSection(sec) == sectionJoin {
				b.joined[roomID] = true
			}
		}
	}
	return b, nil
}

// decodeRoomSections reads the value of "rooms" into sections (by
// roomSection), each room's value kept raw.
func decodeRoomSections(dec *json.Decoder, sections *[3]map[id.RoomID][]byte) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("decoding sync rooms: %w", err)
	}
	if tok == nil {
		return nil // "rooms": null
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("decoding sync rooms: %v where an object belongs", tok)
	}
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return err
		}
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
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("decoding sync rooms %q: %w", key, err)
			}
			continue
		}
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("decoding sync rooms %q: %w", key, err)
		}
		if tok == nil {
			continue // "join": null
		}
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return fmt.Errorf("decoding sync rooms %q: %v where an object belongs", key, tok)
		}
		if sections[sec] == nil {
			sections[sec] = make(map[id.RoomID][]byte)
		}
		for dec.More() {
			roomID, err := objectKey(dec)
			if err != nil {
				return err
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return fmt.Errorf("decoding sync of %s: %w", roomID, err)
			}
			sections[sec][id.RoomID(roomID)] = raw
		}
		if err := expectDelim(dec, '}'); err != nil {
			return err
		}
	}
	return expectDelim(dec, '}')
}

// expectEOF checks that nothing but space follows the response.
func expectEOF(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("decoding sync: data after the response")
	}
	return nil
}

// objectKey reads the next key of an object.
func objectKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", fmt.Errorf("decoding sync: %w", err)
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("decoding sync: %v where a key belongs", tok)
	}
	return key, nil
}

// expectDelim reads the next token, which must be d.
func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("decoding sync: %w", err)
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return fmt.Errorf("decoding sync: %v where %v belongs", tok, d)
	}
	return nil
}

// syncResponseHandler is a mautrix response handler that decodes a /sync
// body with decodeSync into *(*syncBatch) as it arrives, never holding the
// whole body, and reading at most limit bytes.
func syncResponseHandler(req *http.Request, res *http.Response, responseJSON any, limit int64) ([]byte, error) {
	out, ok := responseJSON.(**syncBatch)
	if !ok {
		return nil, errors.New("syncing: wrong response target")
	}
	lr := &io.LimitedReader{R: res.Body, N: limit + 1}
	b, err := decodeSync(lr)
	if lr.N <= 0 {
		return nil, fmt.Errorf("syncing: %w", mautrix.ErrBodyReadReachedLimit)
	}
	if err != nil {
		return nil, mautrix.HTTPError{Request: req, Response: res, Message: "failed to decode the sync response", WrappedError: err}
	}
	*out = b
	return nil, nil
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
	marker := []byte(`m.room.encrypted`)
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
		// JSON may spell the type with escapes: a room with any escape
		// is decoded too.
		if r.raw == nil || !bytes.Contains(r.raw, marker) && !bytes.Contains(r.raw, []byte(`\u`)) {
			continue
		}
		var light struct {
			Timeline struct {
				Events []struct {
					Type   string    `json:"type"`
					Sender id.UserID `json:"sender"`
				} `json:"events"`
			} `json:"timeline"`
		}
		if err := json.Unmarshal(r.raw, &light); err != nil {
			continue // the apply reports it
		}
		for _, ev := range light.Timeline.Events {
			note(ev.Type, ev.Sender)
		}
	}
	slices.Sort(users)
	return users
}
