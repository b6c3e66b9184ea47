package calls

import (
	"encoding/json"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// callMembers returns the number of joined members that count for a call
// (functional members, io.element.functional_members service_members, do
// not) and those other than the user, as Element's
// getJoinedNonFunctionalMembers does. Invites never count.
func (c *Controller) callMembers(roomID id.RoomID) (int, []id.UserID) {
	functional := map[id.UserID]bool{}
	if ev := c.mx.StateEvent(roomID, FunctionalMembersType, ""); ev != nil {
		var fm struct {
			ServiceMembers []json.RawMessage `json:"service_members"`
		}
		if json.Unmarshal(contentBytes(&ev.Content), &fm) == nil {
			for _, raw := range fm.ServiceMembers {
				var u string
				if json.Unmarshal(raw, &u) == nil {
					functional[id.UserID(u)] = true
				}
			}
		}
	}
	me := c.mx.UserID()
	n, listed, functionalJoined := 0, 0, 0
	var others []id.UserID
	for _, m := range c.mx.Members(roomID) {
		if m.Membership != event.MembershipJoin {
			continue
		}
		listed++
		if functional[m.UserID] {
			functionalJoined++
			continue
		}
		n++
		if m.UserID != me {
			others = append(others, m.UserID)
		}
	}
	// With lazy-loaded members the list may be short of the sync summary's
	// count; the summary then decides.
	if r, ok := c.mx.Room(roomID); ok && r.JoinedMembers > listed {
		n = r.JoinedMembers - functionalJoined
	}
	return n, others
}
