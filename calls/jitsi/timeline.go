package jitsi

import "encoding/json"

// How a widget state event changed a Jitsi conference, as Element's
// timeline tile (MJitsiWidgetEvent) says it.
const (
	ChangeStarted = "started"
	ChangeUpdated = "updated"
	ChangeEnded   = "ended"
)

// Change says whether a widget state event started, updated or ended a
// Jitsi conference, from its content and its unsigned prev_content
// (either may be nil). It returns "" for widgets that are not Jitsi. The
// UI shows "Video conference <change> by <sender>".
func Change(prevContent, content []byte) string {
	var cur, prev struct {
		Type json.RawMessage `json:"type"`
		URL  json.RawMessage `json:"url"`
	}
	_ = json.Unmarshal(content, &cur)
	_ = json.Unmarshal(prevContent, &prev)
	typ := jsonString(cur.Type)
	if typ == "" {
		typ = jsonString(prev.Type)
	}
	if typ != TypeJitsi && typ != TypeJitsiStable {
		return ""
	}
	switch {
	case jsonString(cur.URL) == "":
		return ChangeEnded
	case jsonString(prev.URL) != "":
		return ChangeUpdated
	default:
		return ChangeStarted
	}
}
