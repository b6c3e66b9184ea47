//go:build opus

package audio

import (
	"fmt"

	"gopkg.in/hraban/opus.v2"
)

// OpusAvailable says this build links libopus (build tag opus).
const OpusAvailable = true

// opusBitrate is what our Opus encoder aims for: plenty for the 8 kHz
// (narrowband) audio of this package.
const opusBitrate = 24000

// OpusEncoder encodes 20 ms frames of this package's 8 kHz mono PCM to
// Opus packets. libopus takes the 8 kHz input itself and resamples
// internally; the packets decode at any rate, and their RTP clock is
// 48 kHz as for every Opus stream. Not safe for concurrent use.
type OpusEncoder struct {
	enc *opus.Encoder
	buf []byte
}

// NewOpusEncoder returns a VoIP-tuned mono encoder.
func NewOpusEncoder() (*OpusEncoder, error) {
	enc, err := opus.NewEncoder(SampleRate, 1, opus.AppVoIP)
	if err != nil {
		return nil, fmt.Errorf("opus encoder: %w", err)
	}
	if err := enc.SetBitrate(opusBitrate); err != nil {
		return nil, fmt.Errorf("opus encoder bitrate: %w", err)
	}
	return &OpusEncoder{enc: enc, buf: make([]byte, 1275)}, nil // 1275: the largest Opus frame
}

// Encode appends the Opus packet for pcm (one FrameSamples frame) to dst.
func (e *OpusEncoder) Encode(dst []byte, pcm []int16) ([]byte, error) {
	n, err := e.enc.Encode(pcm, e.buf)
	if err != nil {
		return dst, fmt.Errorf("opus encode: %w", err)
	}
	return append(dst, e.buf[:n]...), nil
}

// OpusDecoder decodes Opus packets (any mode and bandwidth, up to 120 ms)
// to this package's 8 kHz mono PCM; libopus resamples and downmixes.
// Not safe for concurrent use.
type OpusDecoder struct {
	dec *opus.Decoder
	buf []int16
}

// NewOpusDecoder returns a mono decoder at SampleRate.
func NewOpusDecoder() (*OpusDecoder, error) {
	dec, err := opus.NewDecoder(SampleRate, 1)
	if err != nil {
		return nil, fmt.Errorf("opus decoder: %w", err)
	}
	return &OpusDecoder{dec: dec, buf: make([]int16, SampleRate*120/1000)}, nil
}

// Decode appends the PCM of one Opus packet to dst.
func (d *OpusDecoder) Decode(dst []int16, pkt []byte) ([]int16, error) {
	n, err := d.dec.Decode(pkt, d.buf)
	if err != nil {
		return dst, fmt.Errorf("opus decode: %w", err)
	}
	return append(dst, d.buf[:n]...), nil
}
