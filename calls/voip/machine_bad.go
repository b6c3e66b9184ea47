package voip

import (
	"encoding/json"
	"time"
)

// onBadInvite handles an m.call.invite that fails Parse: it cannot ring,
// but when it is fresh, from someone else and for us (or for anyone), the
// user is told a call was missed because it could not be set up, rather
// than nothing at all. An invite without a usable call_id is only logged.
func (m *Machine) onBadInvite(now time.Time, s Signal) []Action {
	var head struct {
		CallID  any `json:"call_id"`
		Invitee any `json:"invitee"`
	}
	if err := json.Unmarshal(s.Content, &head); err != nil {
		return nil
	}
	callID, ok := head.CallID.(string)
	if !ok || !validID(callID) || s.Sender == m.cfg.UserID || m.calls[callID] != nil {
		return nil
	}
	if inv, ok := head.Invitee.(string); ok && inv != "" && inv != string(m.cfg.UserID) {
		return nil
	}
	if s.Age > m.cfg.Lifetime {
		return nil // old history: nothing rang then either
	}
	m.remember(now, s.RoomID, callID, s.Sender, "missed call from "+string(s.Sender)+": it could not be set up")
	return []Action{Changed{callID}}
}
