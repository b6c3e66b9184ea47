package voip

import (
	"github.com/pion/webrtc/v4"

	"github.com/termatrix/termatrix/calls/audio"
)

// opusBuilt says this build links libopus (build tag opus, see package
// audio) and offers Opus; otherwise calls use G.711 only.
const opusBuilt = audio.OpusAvailable

// opusCodecs is Opus as browsers offer it (48 kHz, 2 channels in the SDP;
// we send mono, which every decoder takes), registered before G.711 so it
// is our first preference; empty without libopus.
func opusCodecs() []webrtc.RTPCodecParameters {
	if !opusBuilt {
		return nil
	}
	return []webrtc.RTPCodecParameters{{RTPCodecCapability: opusCapability(), PayloadType: 111}}
}

func opusCapability() webrtc.RTPCodecCapability {
	c := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
	if opusBuilt {
		c.SDPFmtpLine = "minptime=10;useinbandfec=1"
	}
	return c
}

// newOpusEncoder encodes 20 ms frames of package audio's PCM with the
// shared Opus codec of package audio.
func newOpusEncoder() (frameEncoder, error) {
	enc, err := audio.NewOpusEncoder()
	if err != nil {
		return nil, err
	}
	return enc.Encode, nil
}

// newOpusDecoder decodes Opus packets to package audio's PCM.
func newOpusDecoder() (frameDecoder, error) {
	dec, err := audio.NewOpusDecoder()
	if err != nil {
		return nil, err
	}
	return dec.Decode, nil
}
