package lkmedia

import (
	protoLogger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
)

// lksdk logs, and hands pion, one package-level logger that writes to the
// standard log (stderr) by default, which would draw over the terminal
// UI; per-room WithLogger does not reach pion. Silence it once, before any
// room exists (so there is no race on lksdk's variable).
func init() {
	lksdk.SetLogger(protoLogger.GetDiscardLogger())
}
