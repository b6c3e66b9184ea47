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
// # LiveKit and Element Call
//
// With Options.LiveKit the stack also runs livekit-server (LiveKitVersion,
// built once with `go install` like Dendrite) on 127.0.0.1 with a fresh
// API key (Stack.LiveKitURL, LiveKitKey, LiveKitSecret, LiveKitLogPath)
// and our JWT service (package sfujwt) at Stack.RTCServiceURL. The front
// advertises that service as the homeserver's MatrixRTC transport, as
// deployments do: "org.matrix.msc4143.rtc_foci" in the well-known document,
// and GET /_matrix/client/unstable/org.matrix.msc4143/rtc/transports (and
// /_matrix/client/v1/rtc/transports), answered by the front itself for a
// valid access token, since Dendrite does not know them.
// Options.NoRTCTransportsEndpoint or SetRTCTransportsEndpoint(false) make
// those answer 404 M_UNRECOGNIZED, to test the well-known fallback.
// User.OpenIDToken and Stack.SFUGet do what Element Call does to get a
// LiveKit token.
//
// What Dendrite v0.13.8 does for MatrixRTC (TestDendriteIgnoresEventDelay,
// TestDendriteOpenIDToken):
//
//   - It has NO delayed events (MSC4140) and does not say so where a
//     client would look first: a PUT …/state/… (or /send) with
//     ?org.matrix.msc4140.delay=N ignores the parameter and sends the event
//     AT ONCE, answering {"event_id": …} with no delay_id. A client that
//     schedules its delayed leave `{}` that way after joining leaves at
//     once; scheduled before the join (js-sdk's order) the `{}` lands first
//     and is overwritten by the join. Clients must check /versions
//     (unstable_features has no "org.matrix.msc4140") before scheduling, and
//     treat an answer without delay_id as "not delayed". The
//     …/org.matrix.msc4140/delayed_events endpoints answer 404
//     M_UNRECOGNIZED.
//   - POST /_matrix/client/v3/user/{userId}/openid/request_token works, and
//     GET /_matrix/federation/v1/openid/userinfo?access_token=… answers
//     {"sub": userID} on the client port (through the front too). Its
//     expires_in is an absolute Unix time in seconds, not a duration.
//
// Child processes run in their own process group and get SIGKILL when the
// test binary dies (Linux parent-death signal), so a panic or timeout does
// not leave Dendrite or coturn running.
package teststack
