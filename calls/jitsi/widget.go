package jitsi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// EventType is the widget state event type Element sends and reads.
const EventType = "im.vector.modular.widgets"

// Widget types Element counts as Jitsi (WidgetType.JITSI: legacy, preferred).
const (
	TypeJitsi       = "jitsi"
	TypeJitsiStable = "m.jitsi"
)

// LegacyDefaultDomain is the domain Element joins on when a Jitsi widget
// names none (jitsi-widgets.md §3.2).
const LegacyDefaultDomain = "meet.element.io"

// AuthOpenIDJWT is the only auth mode anyone acts on.
const AuthOpenIDJWT = "openidtoken-jwt"

// maxContentSize bounds the widget content parsed.
const maxContentSize = 64 << 10

// Conference is the validated data of a Jitsi widget: what joining needs.
type Conference struct {
	Domain         string
	ConferenceID   string
	IsAudioOnly    bool
	IsVideoChannel bool
	RoomName       string // remote text, may be ""
	Auth           string // "" or AuthOpenIDJWT
	// DomainFrom says where Domain came from: "data", "url" or "default".
	DomainFrom string
}

// Widget is one im.vector.modular.widgets state event, parsed.
type Widget struct {
	ID     string // the state key
	Sender string // Element takes the creator from the sender, not the content
	Type   string
	Name   string
	URL    string // the event's url: never opened as it stands for Jitsi
	// Data holds the data object's members in their order, for templating.
	Data []Var
	// Active is false for removed widgets (no type or no url, e.g. {}).
	Active bool
	// IsJitsi is set for type jitsi or m.jitsi.
	IsJitsi bool
	// Jitsi is set for active Jitsi widgets that passed validation.
	Jitsi *Conference
	// Timestamp is the event's origin_server_ts in ms, set by the caller.
	Timestamp int64
	// Suspicious is set when the widget failed validation; Reason says why.
	Suspicious bool
	Reason     string
}

// Parse reads a widget state event's content. It never fails: content
// that cannot be read gives an inactive widget, and a Jitsi widget whose
// data fails validation is returned Suspicious with a Reason.
func Parse(stateKey, sender string, content []byte) Widget {
	w := Widget{ID: stateKey, Sender: sender}
	if len(content) > maxContentSize {
		w.Suspicious, w.Reason = true, "widget content is too large"
		return w
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(content, &raw); err != nil {
		return w
	}
	w.Type = jsonString(raw["type"])
	w.URL = jsonString(raw["url"])
	w.Name = jsonString(raw["name"])
	w.Data = orderedData(raw["data"])
	w.Active = w.Type != "" && w.URL != ""
	w.IsJitsi = w.Type == TypeJitsi || w.Type == TypeJitsiStable
	if !w.Active {
		return w
	}
	u, err := url.Parse(w.URL)
	switch {
	case err != nil:
		w.Suspicious, w.Reason = true, "widget URL cannot be parsed"
		return w
	case u.Scheme != "https" && u.Scheme != "http":
		w.Suspicious, w.Reason = true, fmt.Sprintf("widget URL scheme %s is not http(s)", quote(u.Scheme))
		return w
	case u.Host == "":
		w.Suspicious, w.Reason = true, "widget URL has no host"
		return w
	case u.User != nil:
		w.Suspicious, w.Reason = true, "widget URL carries user info"
		return w
	}
	if !w.IsJitsi {
		return w
	}
	c, err := jitsiConference(raw["data"], u)
	if err != nil {
		w.Suspicious, w.Reason = true, err.Error()
		return w
	}
	w.Jitsi = c
	return w
}

// jitsiConference takes the conference from data, falling back to the
// event URL's query and fragment parameters (confId, conferenceId,
// conferenceDomain, isAudioConf) for v1 and integration manager widgets,
// and to Element's default domain, then validates it.
func jitsiConference(dataRaw json.RawMessage, u *url.URL) (*Conference, error) {
	var data map[string]json.RawMessage
	_ = json.Unmarshal(dataRaw, &data) // not an object: treated as no data
	query, _ := url.ParseQuery(u.RawQuery)
	frag, _ := url.ParseQuery(u.EscapedFragment())
	param := func(names ...string) string {
		for _, vals := range []url.Values{query, frag} {
			for _, n := range names {
				if v := vals.Get(n); v != "" && !strings.Contains(v, "$") {
					return v
				}
			}
		}
		return ""
	}
	c := &Conference{DomainFrom: "data"}
	c.Domain = jsonString(data["domain"])
	if c.Domain == "" {
		c.Domain, c.DomainFrom = param("conferenceDomain"), "url"
	}
	if c.Domain == "" {
		c.Domain, c.DomainFrom = LegacyDefaultDomain, "default"
	}
	c.ConferenceID = jsonString(data["conferenceId"])
	if c.ConferenceID == "" {
		c.ConferenceID = param("confId", "conferenceId")
	}
	if v, ok := jsonBool(data["isAudioOnly"]); ok {
		c.IsAudioOnly = v
	} else {
		c.IsAudioOnly = param("isAudioOnly", "isAudioConf") == "true"
	}
	c.IsVideoChannel, _ = jsonBool(data["isVideoChannel"])
	c.RoomName = truncateRunes(jsonString(data["roomName"]), maxRoomNameLength)
	c.Auth = jsonString(data["auth"])
	if err := ValidateDomain(c.Domain); err != nil {
		return nil, err
	}
	if err := ValidateConferenceID(c.ConferenceID); err != nil {
		return nil, err
	}
	if c.Auth != "" && (len(c.Auth) > 64 || !safeToken(c.Auth)) {
		return nil, fmt.Errorf("auth %s has unsafe characters", quote(c.Auth))
	}
	return c, nil
}

// jsonString returns a JSON string's value, or "" for anything else.
func jsonString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// jsonBool reads a JSON boolean, or the strings "true"/"false".
func jsonBool(raw json.RawMessage) (bool, bool) {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b, true
	}
	switch jsonString(raw) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// orderedData returns the members of a JSON object in document order, each
// value turned into a string as JavaScript's String() would.
func orderedData(raw json.RawMessage) []Var {
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil
	}
	var vars []Var
	seen := map[string]int{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return vars
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return vars
		}
		// A repeated key keeps its first position and its last value, as
		// JSON.parse does.
		if i, ok := seen[key]; ok {
			vars[i].Value = jsString(val)
			continue
		}
		seen[key] = len(vars)
		vars = append(vars, Var{Key: key, Value: jsString(val)})
	}
	return vars
}

// jsString renders a JSON value as JavaScript's String(value) would.
func jsString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "undefined"
	}
	switch raw[0] {
	case '"':
		return jsonString(raw)
	case '{':
		return "[object Object]"
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return ""
		}
		parts := make([]string, len(items))
		for i, it := range items {
			if s := jsString(it); s != "null" && s != "undefined" {
				parts[i] = s
			}
		}
		return strings.Join(parts, ",")
	case 't', 'f', 'n':
		return string(raw)
	default:
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return string(raw)
		}
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
}

// truncateRunes shortens s to at most n runes.
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
