// Package rtc speaks MatrixRTC as Element Call does in its default
// "compatibility" mode: org.matrix.msc3401.call.member state events,
// delayed leave events (MSC4140), transports and LiveKit JWTs from the
// members' services, per-participant media keys sent Olm-encrypted to
// device, and ring notifications. Media (LiveKit over WebRTC, Opus, frame
// encryption) sit behind the MediaDialer interface, implemented by package
// lkmedia. It knows nothing of any UI.
package rtc
