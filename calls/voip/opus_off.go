//go:build !opus

package voip

import (
	"errors"

	"github.com/pion/webrtc/v4"
)

// opusBuilt says this build links libopus; without the build tag opus it
// does not, and calls use G.711 only.
const opusBuilt = false

var errNoOpus = errors.New("opus: not built in (build tag opus)")

// opusCodecs is empty: without libopus we offer G.711 only.
func opusCodecs() []webrtc.RTPCodecParameters { return nil }

func opusCapability() webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
}

func newOpusEncoder() (frameEncoder, error) { return nil, errNoOpus }

func newOpusDecoder() (frameDecoder, error) { return nil, errNoOpus }
