package matrix

import (
	"encoding/json"
	"sync"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// A hand-written decoder of the wire types of eventdecode.go. Decoding
// the joined rooms of an initial /sync with encoding/json was the bulk of
// its decoding in the cold start's profile: encoding/json checks the
// whole input once (checkValid), then walks it again by reflection,
// unquoting every key. Here a room's JSON is walked once (wirescan.go):
// checked as it goes, the fields the wire types hold picked out, content
// and unsigned kept as sub-slices of the input. Content is copied, as
// json.RawMessage does, since it outlives the room's JSON; unsigned is
// not, fill decodes it at once.
//
// Anything unusual gives up the fast path: a key with escapes or
// non-ASCII bytes, a key that differs from a field's name only in case
// (encoding/json matches those), a key named twice (encoding/json merges
// into what it decoded first), a value of an unexpected type, invalid
// JSON. The input is then decoded by encoding/json as before, so what
// decodes, and what is refused, is what encoding/json says (FuzzWireEvent
// and FuzzDecodeSync compare the two).

// eventFields are wireEvent's JSON names, by field index in event.
var eventFields = wireFields{"state_key", "sender", "type", "origin_server_ts", "event_id", "room_id",
	"content", "redacts", "unsigned", "msc4354_sticky", "prev_content", "replaces_state", "to_user_id", "to_device_id"}

// event consumes an event object (s.pos at its brace) into w, a zero
// wireEvent.
func (s *wireScan) event(w *wireEvent, depth int) bool {
	var seen uint32
	d := depth + 1
	w.decoded = true
	return s.object(depth, func(key string) bool {
		f, ok := eventFields.field(key, &seen)
		if !ok {
			return false
		}
		switch f {
		case 0:
			return s.stringPtrField(&w.StateKey)
		case 1:
			return s.stringField((*string)(&w.Sender))
		case 2:
			return s.stringField(&w.Type)
		case 3:
			return s.intField(&w.Timestamp)
		case 4:
			return s.stringField((*string)(&w.ID))
		case 5:
			return s.stringField((*string)(&w.RoomID))
		case 6:
			raw, ok := s.raw(d)
			w.Content = append(json.RawMessage(nil), raw...)
			// Content that is no object is mautrix's error: given up
			// for encoding/json's path to report.
			return ok && (raw[0] == '{' || raw[0] == 'n')
		case 7:
			return s.stringField((*string)(&w.Redacts))
		case 8:
			w.Unsigned, ok = s.raw(d)
			if string(w.Unsigned) == "null" {
				w.Unsigned = nil
			}
			return ok
		case 9:
			return s.jsonField(d, &w.Sticky)
		case 10:
			return s.jsonField(d, &w.PrevContent)
		case 11:
			var v *string
			ok := s.stringPtrField(&v)
			w.ReplacesState = (*id.EventID)(v)
			return ok
		case 12:
			return s.stringField((*string)(&w.ToUserID))
		case 13:
			return s.stringField((*string)(&w.ToDeviceID))
		}
		return s.skip(d)
	})
}

// events consumes the value of "events" (depth: the arrays and objects
// holding it) into l. The events go to s.slab; l.Events points at them
// once the room is read (s.link), since the slab may grow until then.
func (s *wireScan) events(l *wireEvents, depth int) bool {
	switch s.peek() {
	case 'n':
		l.Events = nil
		return s.literal("null")
	case '[':
	default:
		return false
	}
	start := len(s.slab)
	ok := s.array(depth, func() bool {
		// A null stays a zero wireEvent, not decoded: nil in the list.
		s.slab = append(s.slab, wireEvent{})
		switch s.peek() {
		case 'n':
			return s.literal("null")
		case '{':
			return s.event(&s.slab[len(s.slab)-1], depth+1)
		}
		return false
	})
	s.lists = append(s.lists, wireList{l, start, len(s.slab)})
	return ok
}

// wireList is a list of events in a wireScan's slab, slab[start:end].
type wireList struct {
	l          *wireEvents
	start, end int
}

// link points the lists read at their events in the slab. An empty
// array gives an empty list, not nil, as encoding/json's.
func (s *wireScan) link() {
	for _, wl := range s.lists {
		evs := make([]*wireEvent, wl.end-wl.start)
		for i := range evs {
			if ev := &s.slab[wl.start+i]; ev.decoded {
				evs[i] = ev
			}
		}
		wl.l.Events = evs
	}
}

// wireSlabs keeps the slabs of the rooms decoded, for the next ones: the
// events are copied out of them (wireEvents.events) before the next room.
var wireSlabs = sync.Pool{New: func() any { return new([]wireEvent) }}

// wireSlabMax is the most events a slab handed back may hold: a room
// that brought more (a hostile one can bring any number) leaves its slab
// to the collector rather than to the next room.
const wireSlabMax = 4096

// release hands the room's slab back; its events must not be used after.
func (w *wireJoinedRoom) release() {
	if w.slab != nil && cap(*w.slab) > wireSlabMax {
		w.slab = nil
	}
	if w.slab != nil {
		clear(*w.slab)
		*w.slab = (*w.slab)[:0]
		wireSlabs.Put(w.slab)
		w.slab = nil
	}
}

var (
	eventsFields   = wireFields{"events"}
	timelineFields = wireFields{"events", "limited", "prev_batch"}
)

// section consumes an events section ({"events": [...]}, or the
// timeline's, with limited and prev_batch, when t is not nil) into l.
func (s *wireScan) section(l *wireEvents, t *wireTimeline, depth int) bool {
	fields := eventsFields
	if t != nil {
		fields = timelineFields
	}
	var seen uint32
	return s.object(depth, func(key string) bool {
		f, ok := fields.field(key, &seen)
		switch {
		case !ok:
			return false
		case f == 0:
			return s.events(l, depth+1)
		case f == 1:
			return s.boolField(&t.Limited)
		case f == 2:
			return s.stringField(&t.PrevBatch)
		}
		return s.skip(depth + 1)
	})
}

// sectionField consumes the value of a section's key: null leaves it
// as it is.
func (s *wireScan) sectionField(l *wireEvents, t *wireTimeline, depth int) bool {
	switch s.peek() {
	case 'n':
		return s.literal("null")
	case '{':
		return s.section(l, t, depth)
	}
	return false
}

// roomFields are wireJoinedRoom's JSON names; a left room has the first
// four (leftRoomFields).
var (
	roomFields = wireFields{"state", "state_after", "timeline", "summary", "ephemeral", "account_data",
		"msc4354_sticky", "unread_notifications", "org.matrix.msc2654.unread_count", "com.beeper.inbox.preview"}
	leftRoomFields = roomFields[:4]
)

// wireRoom decodes a joined room's JSON (left: a left room's, whose
// fields beyond the first four stay zero) with the fast path; false
// where it gives up (null too).
func wireRoom(raw []byte, left bool) (*wireJoinedRoom, bool) {
	s := wireScan{data: raw}
	if s.peek() != '{' {
		return nil, false
	}
	fields := roomFields
	if left {
		fields = leftRoomFields
	}
	w := new(wireJoinedRoom)
	slab := wireSlabs.Get().(*[]wireEvent)
	s.slab = *slab
	var seen uint32
	ok := s.object(0, func(key string) bool {
		f, ok := fields.field(key, &seen)
		if !ok {
			return false
		}
		switch f {
		case 0:
			return s.sectionField(&w.State, nil, 1)
		case 1:
			switch s.peek() {
			case 'n':
				w.StateAfter = nil
				return s.literal("null")
			case '{':
				w.StateAfter = new(wireEvents)
				return s.section(w.StateAfter, nil, 1)
			}
			return false
		case 2:
			return s.sectionField(&w.Timeline.wireEvents, &w.Timeline, 1)
		case 3:
			return s.jsonField(1, &w.Summary)
		case 4:
			return s.jsonField(1, &w.Ephemeral)
		case 5:
			return s.jsonField(1, &w.AccountData)
		case 6:
			return s.sectionField(&w.Sticky, nil, 1)
		case 7:
			return s.jsonField(1, &w.UnreadNotifications)
		case 8:
			return s.jsonField(1, &w.MSC2654UnreadCount)
		case 9:
			return s.jsonField(1, &w.BeeperInboxPreview)
		}
		return s.skip(1)
	})
	s.link()
	*slab = s.slab
	w.slab = slab
	if !ok || !s.end() {
		w.release()
		return nil, false
	}
	return w, true
}

// wireEventOf decodes one event's JSON with the fast path into w, a zero
// wireEvent; false where it gives up.
func wireEventOf(data []byte, w *wireEvent) bool {
	s := wireScan{data: data}
	return s.peek() == '{' && s.event(w, 0) && s.end()
}

// unsignedFields are the fields of event.Unsigned that wireUnsigned
// decodes itself: an event's unsigned seldom holds others.
var unsignedFields = wireFields{"age", "transaction_id", "prev_sender", "replaces_state", "membership"}

// wireUnsigned decodes an event's unsigned JSON, checked already, into
// u, a zero event.Unsigned, when it holds only unsignedFields; false
// (u then half filled) otherwise.
func wireUnsigned(raw []byte, u *event.Unsigned) bool {
	s := wireScan{data: raw}
	if s.peek() != '{' {
		return false
	}
	var seen uint32
	return s.object(0, func(key string) bool {
		f, ok := unsignedFields.field(key, &seen)
		switch {
		case !ok || f < 0:
			return false
		case f == 0:
			return s.intField(&u.Age)
		case f == 1:
			return s.stringField(&u.TransactionID)
		case f == 2:
			return s.stringField((*string)(&u.PrevSender))
		case f == 3:
			return s.stringField((*string)(&u.ReplacesState))
		}
		return s.stringField((*string)(&u.Membership))
	}) && s.end()
}
