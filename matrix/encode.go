package matrix

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"maunium.net/go/mautrix/event"
)

// encodeEvent serialises an event for the store, keeping its content as
// the server sent it. The envelope is written directly: json.Marshal of
// an event validates and re-compacts the content it was handed as raw
// JSON, which was a third of the time spent storing an initial sync.
// Events whose content is not at hand as JSON take the generic path.
func encodeEvent(ev *event.Event) ([]byte, error) {
	if len(ev.Content.VeryRaw) == 0 || ev.Sticky != nil || ev.ToUserID != "" || ev.ToDeviceID != "" {
		return encodeEventGeneric(ev)
	}
	b := make([]byte, 0, len(ev.Content.VeryRaw)+256)
	b = append(b, `{"type":`...)
	b = appendJSONString(b, ev.Type.Type)
	if ev.StateKey != nil {
		b = append(b, `,"state_key":`...)
		b = appendJSONString(b, *ev.StateKey)
	}
	if ev.Sender != "" {
		b = append(b, `,"sender":`...)
		b = appendJSONString(b, string(ev.Sender))
	}
	if ev.Timestamp != 0 {
		b = append(b, `,"origin_server_ts":`...)
		b = strconv.AppendInt(b, ev.Timestamp, 10)
	}
	if ev.ID != "" {
		b = append(b, `,"event_id":`...)
		b = appendJSONString(b, string(ev.ID))
	}
	if ev.RoomID != "" {
		b = append(b, `,"room_id":`...)
		b = appendJSONString(b, string(ev.RoomID))
	}
	if ev.Redacts != "" {
		b = append(b, `,"redacts":`...)
		b = appendJSONString(b, string(ev.Redacts))
	}
	if b2, ok := appendAgeOnlyUnsigned(b, &ev.Unsigned); ok {
		b = b2
	} else if !ev.Unsigned.IsEmpty() {
		u, err := json.Marshal(&ev.Unsigned)
		if err != nil {
			return nil, fmt.Errorf("encoding event %s: %w", ev.ID, err)
		}
		b = append(b, `,"unsigned":`...)
		b = append(b, u...)
	}
	b = append(b, `,"content":`...)
	b = append(b, ev.Content.VeryRaw...)
	return append(b, '}'), nil
}

// appendAgeOnlyUnsigned appends ,"unsigned":{...} as json.Marshal
// writes it when u holds an age or a transaction ID and nothing else (a
// sync's events nearly all do); false if it holds anything else, or
// nothing.
func appendAgeOnlyUnsigned(b []byte, u *event.Unsigned) ([]byte, bool) {
	if u.Age == 0 && u.TransactionID == "" {
		return b, false
	}
	rest := *u
	rest.Age, rest.TransactionID = 0, ""
	if !rest.IsEmpty() || rest.BeeperFromBackup || rest.ElementPolicyServerSpammy {
		return b, false
	}
	b = append(b, `,"unsigned":{`...)
	if u.Age != 0 {
		b = append(b, `"age":`...)
		b = strconv.AppendInt(b, u.Age, 10)
	}
	if u.TransactionID != "" {
		if u.Age != 0 {
			b = append(b, ',')
		}
		b = append(b, `"transaction_id":`...)
		b = appendJSONString(b, u.TransactionID)
	}
	return append(b, '}'), true
}

// encodeEventGeneric is encodeEvent through json.Marshal.
func encodeEventGeneric(ev *event.Event) ([]byte, error) {
	cp := *ev
	if len(ev.Content.VeryRaw) > 0 {
		cp.Content = event.Content{VeryRaw: ev.Content.VeryRaw}
	}
	data, err := json.Marshal(&cp)
	if err != nil {
		return nil, fmt.Errorf("encoding event %s: %w", ev.ID, err)
	}
	return data, nil
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				switch c {
				case '\n':
					b = append(b, '\\', 'n')
				case '\r':
					b = append(b, '\\', 'r')
				case '\t':
					b = append(b, '\\', 't')
				default:
					b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
				}
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
