// Package teststack runs a real Matrix test stack on 127.0.0.1 for
// integration tests and for trying the client by hand: a Dendrite
// homeserver (built once with `go install` and cached), optionally a coturn
// TURN server, and a small HTTP front that serves
// /.well-known/matrix/client and proxies everything else to Dendrite.
//
// Clients always use Stack.BaseURL, the front's address. It stays the same
// while a test stops and restarts Dendrite (StopHomeserver,
// StartHomeserver); while Dendrite is down the front answers 502 at once.
//
// # One stack per test package
//
// Dendrite takes several seconds to start, so share one stack per package
// through TestMain. The stack starts lazily on the first Get, so a run that
// selects only unit tests pays nothing:
//
//	var stack teststack.Shared
//
//	func TestMain(m *testing.M) { os.Exit(stack.Run(m, teststack.Options{TURN: true})) }
//
//	func TestSomething(t *testing.T) {
//		st := stack.Get(t) // *teststack.Stack
//		alice := st.MustRegister(t, "alice")
//		...
//	}
//
// Tests sharing a stack must use distinct user names: MustRegister and
// UniqueLocalpart add a suffix that is unique within the stack.
//
// Users are registered with RegisterUser or MustRegister; Login (or
// MustLogin) logs the same account in again as a new device, for tests
// that need a second session of one user. A User's small
// plain-HTTP methods (CreateRoom, SendMessage, SendState, Invite, Join,
// Messages, WaitForEvent, Do) act as "another user" without termatrix's own
// client. Dendrite applies events to /sync and /messages asynchronously,
// shortly after /send returns: wait for an event (WaitForEvent) rather than
// expecting it in the very next request.
//
// A test that needs its own stack (for instance to stop the homeserver
// without disturbing other tests) calls ForTest, which registers the
// teardown with t.Cleanup:
//
//	st := teststack.ForTest(t, teststack.Options{})
//
// Both skip only when TERMATRIX_SKIP_INTEGRATION=1; otherwise a stack that
// cannot start fails the test, it is never skipped silently.
//
// Child processes run in their own process group and get SIGKILL when the
// test binary dies (Linux parent-death signal), so a panic or timeout does
// not leave Dendrite or coturn running.
package teststack
