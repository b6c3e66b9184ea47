package matrix

import (
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// The fast path for message content: most of a timeline is m.room.message
// events of a few keys, and mautrix parses their content with
// encoding/json's reflection (Content.ParseRaw), which was the largest
// part of decoding a big initial sync. The wire scanner reads the common
// shape itself, as encoding/json would, and gives up (ParseRaw then
// decides) on any other key, a key named twice, or a value of another
// type. FuzzMessageContent holds the two to the same result.

// messageFields are the m.room.message content keys the fast path reads.
var messageFields = wireFields{"msgtype", "body", "format", "formatted_body", "m.mentions"}

// mentionsFields are the keys of m.mentions.
var mentionsFields = wireFields{"user_ids", "room"}

// parseMessageContent decodes an m.room.message event's content JSON
// into what ParseRaw would make of it; false where the fast path gives
// up.
func parseMessageContent(raw []byte) (*event.MessageEventContent, bool) {
	s := wireScan{data: raw}
	if s.peek() != '{' {
		return nil, false
	}
	var m event.MessageEventContent
	var seen uint32
	ok := s.object(0, func(key string) bool {
		f, ok := messageFields.field(key, &seen)
		switch {
		case !ok || f < 0:
			return false
		case f == 0:
			return s.stringField((*string)(&m.MsgType))
		case f == 1:
			return s.stringField(&m.Body)
		case f == 2:
			return s.stringField((*string)(&m.Format))
		case f == 3:
			return s.stringField(&m.FormattedBody)
		}
		return s.mentionsField(&m.Mentions)
	}) && s.end()
	if !ok {
		return nil, false
	}
	return &m, true
}

// mentionsField consumes m.mentions: an object of mentionsFields, or
// null (nil).
func (s *wireScan) mentionsField(to **event.Mentions) bool {
	if null, ok := s.nullOr('{'); null || !ok {
		*to = nil
		return ok
	}
	m := &event.Mentions{}
	*to = m
	var seen uint32
	return s.object(1, func(key string) bool {
		f, ok := mentionsFields.field(key, &seen)
		switch {
		case !ok || f < 0:
			return false
		case f == 0:
			return s.userIDsField(&m.UserIDs)
		}
		return s.boolField(&m.Room)
	})
}

// userIDsField consumes an array of strings (an empty one is kept as
// empty, not nil) or null (nil).
func (s *wireScan) userIDsField(to *[]id.UserID) bool {
	if null, ok := s.nullOr('['); null || !ok {
		*to = nil
		return ok
	}
	ids := []id.UserID{}
	ok := s.array(2, func() bool {
		if s.peek() != '"' {
			return false
		}
		v, ok := s.string()
		ids = append(ids, id.UserID(v))
		return ok
	})
	*to = ids
	return ok
}

// nullOr consumes null (null) or says whether open (a brace or bracket)
// comes next (ok); neither is not ok.
func (s *wireScan) nullOr(open byte) (null, ok bool) {
	switch s.peek() {
	case 'n':
		return true, s.literal("null")
	case open:
		return false, true
	}
	return false, false
}
