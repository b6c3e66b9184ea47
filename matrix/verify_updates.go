package matrix

import "maunium.net/go/mautrix/id"

// SASEmoji is one of the seven emoji of a verification, with its English
// name as the specification gives it (Element shows the same names).
type SASEmoji struct {
	Symbol string
	Name   string
}

// VerificationRequested says an emoji verification began: Incoming, the
// other side asks (answer with AcceptVerification or CancelVerification);
// otherwise StartVerification sent the request. RoomID is set when the
// verification runs in a DM, DeviceID when the other device is known.
type VerificationRequested struct {
	TxnID    string
	UserID   id.UserID
	DeviceID id.DeviceID
	RoomID   id.RoomID
	Incoming bool
}

// VerificationSAS carries the emoji (and the decimals) both users compare;
// answer with ConfirmSAS, or CancelVerification(txnID, true) if they
// differ.
type VerificationSAS struct {
	TxnID    string
	UserID   id.UserID
	Emoji    []SASEmoji
	Decimals [3]int
}

// VerificationEnded says a verification finished: Done when both sides
// verified each other (the keys are trusted by then), else Reason says
// why not ("they cancelled: …", "the emoji did not match", "timed out",
// …). Reason may quote the other side: sanitize it before display.
type VerificationEnded struct {
	TxnID  string
	UserID id.UserID
	Done   bool
	Reason string
}

func (VerificationRequested) isUpdate() {}
func (VerificationSAS) isUpdate()       {}
func (VerificationEnded) isUpdate()     {}
