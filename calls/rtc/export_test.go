package rtc

// Test helpers for the external test package (rtc_test), whose tests
// may import lkmedia (which imports rtc).
var (
	SharedStack     = stack.Get
	LiveClient      = liveClient
	EncryptedDM     = encryptedDM
	WaitFor         = waitFor
	WaitCall        = waitCall
	TestLog         = testLog
	HasMember       = hasMember
	NoSessionGorout = noSessionGoroutines
	CallRoom        = callRoom
	ElementPeer     = elementPeer
	CrossSigned     = crossSignedClient
	WaitInRoom      = waitInRoom
	NewElementDM    = newElementDM
)
