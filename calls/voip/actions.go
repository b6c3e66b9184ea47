package voip

import (
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Action is what the Machine asks its driver (the Manager and its media
// glue) to do. The Machine never does I/O itself.
type Action interface{ isAction() }

// Send asks the driver to send an m.call.* event in a room. Sends of one
// call must go out in the order they were asked for.
type Send struct {
	RoomID  id.RoomID
	CallID  string
	Type    event.Type
	Content any
}

// StartIncoming asks the driver to set up media for a new incoming call:
// a PeerConnection with the remote offer applied. With AutoAnswer (glare)
// the driver answers at once as if the user had; otherwise the call rings.
type StartIncoming struct {
	CallID     string
	Offer      SessionDescription
	AutoAnswer bool
}

// ApplyAnswer asks the driver to apply the chosen remote answer.
type ApplyAnswer struct {
	CallID string
	Answer SessionDescription
}

// AddCandidates asks the driver to add remote ICE candidates, after the
// remote description (it keeps them until then).
type AddCandidates struct {
	CallID     string
	Candidates []Candidate
}

// RemoteNegotiate asks the driver to apply an m.call.negotiate description
// from the chosen peer, and to answer an offer with LocalNegotiate.
type RemoteNegotiate struct {
	CallID      string
	Description SessionDescription
}

// EndMedia asks the driver to close the call's media.
type EndMedia struct {
	CallID string
}

// Changed says a call's snapshot changed and should be published.
type Changed struct {
	CallID string
}

func (Send) isAction()            {}
func (StartIncoming) isAction()   {}
func (ApplyAnswer) isAction()     {}
func (AddCandidates) isAction()   {}
func (RemoteNegotiate) isAction() {}
func (EndMedia) isAction()        {}
func (Changed) isAction()         {}
