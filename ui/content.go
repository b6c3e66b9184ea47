package ui

import (
	"encoding/json"
	"strings"

	"maunium.net/go/mautrix/event"
)

// obj is an event content as a loosely typed JSON object. Every accessor
// checks the type it finds, so malformed remote content yields "missing"
// rather than a panic.
type obj map[string]any

// contentOf returns an event content's JSON object, whichever of its forms
// is filled in. ok is false when the content is not a JSON object.
func contentOf(c *event.Content) (obj, bool) {
	if c == nil {
		return nil, false
	}
	if len(c.VeryRaw) > 0 {
		// Decoded from JSON (the store, a sync): Raw, when built, is that
		// JSON as a map, and Parsed was read from it. Only content made
		// here (an echo: Parsed, and Raw holding extra keys) needs the
		// merge json.Marshal does.
		if c.Raw != nil {
			return obj(c.Raw), true
		}
		return decodeObj(c.VeryRaw)
	}
	if c.Raw != nil && c.Parsed == nil {
		return obj(c.Raw), true
	}
	data, err := json.Marshal(c)
	if err != nil {
		return nil, false
	}
	return decodeObj(data)
}

func decodeObj(data []byte) (obj, bool) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return nil, false
	}
	return obj(m), true
}

// str returns a string field.
func (o obj) str(key string) (string, bool) {
	v, ok := o[key].(string)
	return v, ok
}

// strOr returns a string field or def.
func (o obj) strOr(key, def string) string {
	if v, ok := o.str(key); ok {
		return v
	}
	return def
}

// sub returns an object field.
func (o obj) sub(key string) (obj, bool) {
	v, ok := o[key].(map[string]any)
	return obj(v), ok
}

// boolean returns a boolean field, false if missing or not a boolean.
func (o obj) boolean(key string) bool {
	v, _ := o[key].(bool)
	return v
}

// replyTo returns the event ID a message replies to, or "".
func (o obj) replyTo() string {
	rel, ok := o.sub("m.relates_to")
	if !ok {
		return ""
	}
	in, ok := rel.sub("m.in_reply_to")
	if !ok {
		return ""
	}
	return in.strOr("event_id", "")
}

// relation returns the rel_type and target event ID of m.relates_to.
func (o obj) relation() (relType, target string) {
	rel, ok := o.sub("m.relates_to")
	if !ok {
		return "", ""
	}
	return rel.strOr("rel_type", ""), rel.strOr("event_id", "")
}

// stripReplyFallback removes the "> <@alice> quoted" lines a reply's plain
// body starts with.
func stripReplyFallback(body string) string {
	if !strings.HasPrefix(body, "> ") {
		return body
	}
	lines := strings.Split(body, "\n")
	i := 0
	for i < len(lines) && strings.HasPrefix(lines[i], ">") {
		i++
	}
	if i < len(lines) && lines[i] == "" {
		i++
	}
	return strings.Join(lines[i:], "\n")
}
