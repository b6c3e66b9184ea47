package matrix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Rooms and stored events are decoded into wire types that keep each
// event's content as its raw JSON, then turned into mautrix's events.
// mautrix's own decoding (event.Event.UnmarshalJSON) decodes every event
// again from its bytes, then its content once more into a map
// (Content.Raw), each step re-checking the JSON it was given: the
// profile of a cold start spent a third of its time there. Here the JSON
// of a room is checked once, content is copied, not decoded, and
// prepareEvent parses it into mautrix's typed content (Content.Parsed)
// as before. Content.Raw is left nil: readers of content use VeryRaw
// (or Parsed).

// wireEvent is a room event as a sync or the store carries it. Its fields
// and their JSON names are mautrix's (event.Event's wire form) but for
// content and unsigned, kept raw.
type wireEvent struct {
	StateKey      *string         `json:"state_key"`
	Sender        id.UserID       `json:"sender"`
	Type          string          `json:"type"`
	Timestamp     int64           `json:"origin_server_ts"`
	ID            id.EventID      `json:"event_id"`
	RoomID        id.RoomID       `json:"room_id"`
	Content       json.RawMessage `json:"content"`
	Redacts       id.EventID      `json:"redacts"`
	Unsigned      json.RawMessage `json:"unsigned"`
	Sticky        *event.Sticky   `json:"msc4354_sticky"`
	PrevContent   *event.Content  `json:"prev_content"`
	ReplacesState *id.EventID     `json:"replaces_state"`
	ToUserID      id.UserID       `json:"to_user_id"`
	ToDeviceID    id.DeviceID     `json:"to_device_id"`

	// What encoding/json's struct decoding would lose against mautrix's,
	// which decodes each event afresh (UnmarshalJSON below): the unsigned
	// objects named before the last one (mautrix merges them), and the
	// event this one replaced when a section named "events" twice
	// (mautrix keeps its unsigned when this one has none).
	unsignedEarlier [][]byte
	replaced        *wireEvent
	decoded         bool
}

// wireEventJSON is wireEvent without its methods, for encoding/json.
type wireEventJSON wireEvent

// UnmarshalJSON decodes an event as event.Event.UnmarshalJSON does, on
// encoding/json's path (the hand-written one, eventwire.go, gives these
// cases up): afresh, member by member so that every unsigned object and
// content counts, and keeping the event decoded before into w, if any,
// for its unsigned.
func (w *wireEvent) UnmarshalJSON(data []byte) error {
	prev := *w
	*w = wireEvent{}
	if prev.decoded {
		// mautrix refused it as it came.
		if err := prev.fill(new(event.Event)); err != nil {
			return err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return json.Unmarshal(data, (*wireEventJSON)(w))
	}
	var unsigned, content json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		member := append(appendJSONString([]byte{'{'}, key), ':')
		member = append(append(member, v...), '}')
		w.Unsigned, w.Content = nil, nil
		if err := json.Unmarshal(member, (*wireEventJSON)(w)); err != nil {
			return err
		}
		switch {
		case w.Content != nil:
			if c := w.Content[0]; c != '{' && c != 'n' {
				return fmt.Errorf("decoding event %s: %w", w.ID, errContentNotObject)
			}
			content = w.Content
		case w.Unsigned == nil:
		case bytes.Equal(w.Unsigned, []byte("null")):
			unsigned, w.unsignedEarlier = nil, nil
		default:
			if unsigned != nil {
				w.unsignedEarlier = append(w.unsignedEarlier, unsigned)
			}
			unsigned = w.Unsigned
		}
		w.Content = content
	}
	w.Unsigned = unsigned
	if unsigned == nil && prev.decoded {
		w.replaced = &prev
	}
	w.decoded = true
	return nil
}

// errContentNotObject is mautrix's refusal of content that is neither an
// object nor null, kept so that what decodes does not change.
var errContentNotObject = errors.New("event content is not a JSON object")

// fill turns w into ev as event.Event.UnmarshalJSON would, but for
// Content.Raw, left nil.
func (w *wireEvent) fill(ev *event.Event) error {
	*ev = event.Event{
		StateKey:   w.StateKey,
		Sender:     w.Sender,
		Type:       event.Type{Type: w.Type},
		Timestamp:  w.Timestamp,
		ID:         w.ID,
		RoomID:     w.RoomID,
		Redacts:    w.Redacts,
		Sticky:     w.Sticky,
		ToUserID:   w.ToUserID,
		ToDeviceID: w.ToDeviceID,
	}
	ev.Type.Class = ev.Type.GuessClass()
	if w.Content != nil {
		if c := w.Content[0]; c != '{' && c != 'n' {
			return fmt.Errorf("decoding event %s: %w", w.ID, errContentNotObject)
		}
		ev.Content.VeryRaw = w.Content
	}
	if err := w.fillUnsigned(ev); err != nil {
		return fmt.Errorf("decoding event %s: unsigned: %w", w.ID, err)
	}
	if w.PrevContent != nil && ev.Unsigned.PrevContent == nil {
		ev.Unsigned.PrevContent = w.PrevContent
	}
	if w.ReplacesState != nil && *w.ReplacesState != "" && ev.Unsigned.ReplacesState == "" {
		ev.Unsigned.ReplacesState = *w.ReplacesState
	}
	return nil
}

// fillUnsigned decodes w's unsigned into ev's, or keeps the unsigned of
// the event w replaced when it has none.
func (w *wireEvent) fillUnsigned(ev *event.Event) error {
	if len(w.Unsigned) == 0 || bytes.Equal(w.Unsigned, []byte("null")) {
		if w.replaced != nil {
			var was event.Event
			if err := w.replaced.fill(&was); err != nil {
				return err
			}
			ev.Unsigned = was.Unsigned
		}
		return nil
	}
	if w.unsignedEarlier == nil && wireUnsigned(w.Unsigned, &ev.Unsigned) {
		return nil
	}
	ev.Unsigned = event.Unsigned{}
	for _, raw := range append(w.unsignedEarlier, w.Unsigned) {
		if err := json.Unmarshal(raw, &ev.Unsigned); err != nil {
			return err
		}
	}
	return nil
}

// wireEvents is a list of events ({"events": [...]}).
type wireEvents struct {
	Events []*wireEvent `json:"events"`
}

// events turns the list into mautrix's, one allocation for all of them.
// A null entry stays nil, as mautrix keeps it.
func (l *wireEvents) events() ([]*event.Event, error) {
	if l == nil || l.Events == nil {
		return nil, nil
	}
	evs := make([]event.Event, len(l.Events))
	out := make([]*event.Event, len(l.Events))
	for i, w := range l.Events {
		if w == nil {
			continue
		}
		if err := w.fill(&evs[i]); err != nil {
			return nil, err
		}
		out[i] = &evs[i]
	}
	return out, nil
}

// list is events as a mautrix.SyncEventsList.
func (l *wireEvents) list() (mautrix.SyncEventsList, error) {
	evs, err := l.events()
	return mautrix.SyncEventsList{Events: evs}, err
}

// listPtr is list for an optional section (nil stays nil).
func (l *wireEvents) listPtr() (*mautrix.SyncEventsList, error) {
	if l == nil {
		return nil, nil
	}
	out, err := l.list()
	return &out, err
}

// wireTimeline is a room's timeline section.
type wireTimeline struct {
	wireEvents
	Limited   bool   `json:"limited"`
	PrevBatch string `json:"prev_batch"`
}

func (t *wireTimeline) timeline() (mautrix.SyncTimeline, error) {
	list, err := t.list()
	return mautrix.SyncTimeline{SyncEventsList: list, Limited: t.Limited, PrevBatch: t.PrevBatch}, err
}

// wireJoinedRoom is mautrix.SyncJoinedRoom with its state and timeline
// events (the bulk of a sync) in wire form; ephemeral and account data
// events, few and parsed by mautrix's helpers, keep mautrix's decoding.
type wireJoinedRoom struct {
	wireRoomEvents
	// slab holds the events of the hand-written decoder (eventwire.go),
	// until release.
	slab                *[]wireEvent
	Summary             mautrix.LazyLoadSummary           `json:"summary"`
	Ephemeral           mautrix.SyncEventsList            `json:"ephemeral"`
	AccountData         mautrix.SyncEventsList            `json:"account_data"`
	Sticky              wireEvents                        `json:"msc4354_sticky"`
	UnreadNotifications *mautrix.UnreadNotificationCounts `json:"unread_notifications"`
	MSC2654UnreadCount  *int                              `json:"org.matrix.msc2654.unread_count"`
	BeeperInboxPreview  *mautrix.BeeperInboxPreviewEvent  `json:"com.beeper.inbox.preview"`
}

// wireRoomEvents are the sections a joined and a left room share.
type wireRoomEvents struct {
	State      wireEvents   `json:"state"`
	StateAfter *wireEvents  `json:"state_after"`
	Timeline   wireTimeline `json:"timeline"`
}

// convert turns the sections into mautrix's.
func (w *wireRoomEvents) convert() (state mautrix.SyncEventsList, after *mautrix.SyncEventsList, tl mautrix.SyncTimeline, err error) {
	if state, err = w.State.list(); err != nil {
		return
	}
	if after, err = w.StateAfter.listPtr(); err != nil {
		return
	}
	tl, err = w.Timeline.timeline()
	return
}

// decodeJoinedRoom decodes a joined room's JSON as json.Unmarshal into a
// *mautrix.SyncJoinedRoom would (null gives nil), content kept raw.
func decodeJoinedRoom(raw []byte) (*mautrix.SyncJoinedRoom, error) {
	w, ok := wireRoom(raw, false)
	if ok {
		defer w.release()
	} else {
		w = nil
		if err := json.Unmarshal(raw, &w); err != nil || w == nil {
			return nil, err
		}
	}
	out := &mautrix.SyncJoinedRoom{
		Summary:             w.Summary,
		Ephemeral:           w.Ephemeral,
		AccountData:         w.AccountData,
		UnreadNotifications: w.UnreadNotifications,
		MSC2654UnreadCount:  w.MSC2654UnreadCount,
		BeeperInboxPreview:  w.BeeperInboxPreview,
	}
	var err error
	if out.State, out.StateAfter, out.Timeline, err = w.convert(); err != nil {
		return nil, err
	}
	if out.Sticky, err = w.Sticky.list(); err != nil {
		return nil, err
	}
	return out, nil
}

// wireLeftRoom is mautrix.SyncLeftRoom in wire form.
type wireLeftRoom struct {
	wireRoomEvents
	Summary mautrix.LazyLoadSummary `json:"summary"`
}

// decodeLeftRoom is decodeJoinedRoom for a left room.
func decodeLeftRoom(raw []byte) (*mautrix.SyncLeftRoom, error) {
	var rooms *wireRoomEvents
	var out *mautrix.SyncLeftRoom
	if fast, ok := wireRoom(raw, true); ok {
		defer fast.release()
		rooms, out = &fast.wireRoomEvents, &mautrix.SyncLeftRoom{Summary: fast.Summary}
	} else {
		var w *wireLeftRoom
		if err := json.Unmarshal(raw, &w); err != nil || w == nil {
			return nil, err
		}
		rooms, out = &w.wireRoomEvents, &mautrix.SyncLeftRoom{Summary: w.Summary}
	}
	var err error
	if out.State, out.StateAfter, out.Timeline, err = rooms.convert(); err != nil {
		return nil, err
	}
	return out, nil
}

// decodeWireEvent decodes one event (a stored one) as
// event.Event.UnmarshalJSON would, content kept raw.
func decodeWireEvent(data []byte, ev *event.Event) error {
	var w wireEvent
	if !wireEventOf(data, &w) {
		w = wireEvent{}
		if err := json.Unmarshal(data, &w); err != nil {
			return err
		}
	}
	return w.fill(ev)
}
