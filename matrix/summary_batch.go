package matrix

import (
	"slices"
	"strings"
	"unicode/utf8"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// A room new to the store during the initial sync has as its stored
// state exactly the state events that sync put: its summary (name,
// topic, encryption, members) can then be read from those events in
// memory instead of from the store, whose queries (summaryState,
// loadMemberInfo) took a sixth of storing a 1,000-room initial sync, on
// the goroutine every other part waits for. The reading here is the
// store's (SQLite's json_extract and json_type) for the shapes events
// have; on anything else it gives up and the store is asked.
// FuzzSummaryOfBatch holds the two to the same result.

// summaryInput is what refreshSummary computes a summary from.
type summaryInput struct {
	name, alias, topic string
	encrypted          bool
	members            []memberInfo // by user ID, as the store orders them
}

// stateKey identifies a state entry.
type stateKey struct{ typ, key string }

// summaryOfBatch reads the summary input from put, the state events
// stored for a room in the order stored (the last of a type and state
// key is the one kept); false where it gives up.
func summaryOfBatch(put []*event.Event) (summaryInput, bool) {
	var in summaryInput
	last := make(map[stateKey]*event.Event, len(put))
	for _, ev := range put {
		last[stateKey{ev.Type.Type, ev.GetStateKey()}] = ev
	}
	for k, ev := range last {
		raw := []byte(ev.Content.VeryRaw)
		var ok bool
		switch {
		case k.key == "" && k.typ == event.StateRoomName.Type:
			in.name, ok = contentText(raw, "name", false)
		case k.key == "" && k.typ == event.StateCanonicalAlias.Type:
			in.alias, ok = contentText(raw, "alias", false)
		case k.key == "" && k.typ == event.StateTopic.Type:
			in.topic, ok = contentText(raw, "topic", false)
		case k.key == "" && k.typ == event.StateEncryption.Type:
			in.encrypted, ok = true, true
		case k.typ == event.StateMember.Type:
			var m memberInfo
			m, ok = memberOfBatch(k.key, raw)
			in.members = append(in.members, m)
		default:
			ok = true
		}
		if !ok {
			return summaryInput{}, false
		}
	}
	slices.SortFunc(in.members, func(a, b memberInfo) int { return strings.Compare(string(a.UserID), string(b.UserID)) })
	return in, true
}

// memberOfBatch reads a member entry as loadMemberInfo does; false where
// it gives up (a member who left without a display name of their own,
// whose name the store reads from prev_content).
func memberOfBatch(userID string, raw []byte) (memberInfo, bool) {
	ms, ok := contentText(raw, "membership", true)
	if !ok {
		return memberInfo{}, false
	}
	dn, ok := contentText(raw, "displayname", true)
	if !ok {
		return memberInfo{}, false
	}
	m := memberInfo{UserID: id.UserID(userID), Membership: event.Membership(ms), DisplayName: dn}
	if dn == "" && (m.Membership == event.MembershipLeave || m.Membership == event.MembershipBan) {
		return memberInfo{}, false
	}
	return m, true
}

// contentText reads the top-level field key of a content object as the
// store's queries do: a string as it is ("" when the field is absent or
// null). A value of another type is "" with textOnly (json_type is not
// 'text'), else the reading gives up (json_extract would turn it into
// text). It also gives up on a string with escapes or invalid UTF-8, a
// field named twice or in another case, and content that is not an
// object.
func contentText(raw []byte, key string, textOnly bool) (string, bool) {
	s := wireScan{data: raw}
	if s.peek() != '{' {
		return "", false
	}
	fields := wireFields{key}
	var seen uint32
	var out string
	ok := s.object(0, func(k string) bool {
		f, ok := fields.field(k, &seen)
		switch {
		case !ok:
			return false
		case f < 0:
			return s.skip(1)
		}
		switch c := s.peek(); {
		case c == '"':
			body, _, ok := s.str()
			if !ok || containsByte(body, '\\') || !utf8.Valid(body) {
				return false
			}
			out = string(body)
			return true
		case c == 'n':
			return s.literal("null")
		case textOnly:
			return s.skip(1)
		}
		return false
	}) && s.end()
	return out, ok
}
