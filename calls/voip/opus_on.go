//go:build opus

package voip

import (
	"fmt"

	"github.com/pion/webrtc/v4"
	"gopkg.in/hraban/opus.v2"

	"github.com/termatrix/termatrix/calls/audio"
)

// opusBuilt says this build links libopus (build tag opus) and offers Opus.
const opusBuilt = true

// opusBitrate is what our Opus encoder aims for: plenty for the 8 kHz
// (narrowband) audio of package audio.
const opusBitrate = 24000

// opusCodecs is Opus as browsers offer it (48 kHz, 2 channels in the SDP;
// we send mono, which every decoder takes), registered before G.711 so it
// is our first preference.
func opusCodecs() []webrtc.RTPCodecParameters {
	return []webrtc.RTPCodecParameters{{RTPCodecCapability: opusCapability(), PayloadType: 111}}
}

func opusCapability() webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}
}

// newOpusEncoder encodes 20 ms frames of package audio's 8 kHz mono PCM
// with libopus, which takes 8 kHz input itself (the RTP clock stays 48 kHz).
func newOpusEncoder() (frameEncoder, error) {
	enc, err := opus.NewEncoder(audio.SampleRate, 1, opus.AppVoIP)
	if err != nil {
		return nil, fmt.Errorf("opus encoder: %w", err)
	}
	if err := enc.SetBitrate(opusBitrate); err != nil {
		return nil, fmt.Errorf("opus encoder bitrate: %w", err)
	}
	buf := make([]byte, 1275) // the largest Opus frame
	return func(dst []byte, pcm []int16) ([]byte, error) {
		n, err := enc.Encode(pcm, buf)
		if err != nil {
			return dst, fmt.Errorf("opus encode: %w", err)
		}
		return append(dst, buf[:n]...), nil
	}, nil
}

// newOpusDecoder decodes Opus packets (any mode, up to 120 ms) to package
// audio's 8 kHz mono PCM; libopus resamples and downmixes.
func newOpusDecoder() (frameDecoder, error) {
	dec, err := opus.NewDecoder(audio.SampleRate, 1)
	if err != nil {
		return nil, fmt.Errorf("opus decoder: %w", err)
	}
	buf := make([]int16, audio.SampleRate*120/1000)
	return func(dst []int16, payload []byte) ([]int16, error) {
		n, err := dec.Decode(payload, buf)
		if err != nil {
			return dst, fmt.Errorf("opus decode: %w", err)
		}
		return append(dst, buf[:n]...), nil
	}, nil
}
