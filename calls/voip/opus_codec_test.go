//go:build opus

package voip

import (
	"testing"

	"github.com/termatrix/termatrix/calls/audio"
)

// TestOpusEncodeDecodeTone: a 440 Hz tone through our Opus encoder and
// decoder comes out as a 440 Hz tone at package audio's rate.
func TestOpusEncodeDecodeTone(t *testing.T) {
	enc, err := newOpusEncoder()
	if err != nil {
		t.Fatal(err)
	}
	dec, err := newOpusDecoder()
	if err != nil {
		t.Fatal(err)
	}
	tone := audio.NewTone(440, 0.5)
	frame := make([]int16, audio.FrameSamples)
	var out []int16
	var pkt []byte
	for range 50 { // one second
		if err := tone.ReadFrame(frame); err != nil {
			t.Fatal(err)
		}
		if pkt, err = enc(pkt[:0], frame); err != nil {
			t.Fatal(err)
		}
		if out, err = dec(out, pkt); err != nil {
			t.Fatal(err)
		}
	}
	if len(out) != audio.SampleRate {
		t.Fatalf("decoded %d samples from 1 s, want %d", len(out), audio.SampleRate)
	}
	last := out[len(out)/2:]
	if p := audio.Goertzel(last, 440); p < 0.8 {
		t.Errorf("440 Hz share after Opus %.2f, want ≥ 0.8", p)
	}
	if p := audio.Goertzel(last, 1000); p > 0.05 {
		t.Errorf("1000 Hz share after Opus %.2f, want ≈ 0", p)
	}
}

// TestOpusSDPAudioHasOpus: only an audio section's opus rtpmap counts.
func TestOpusSDPAudioHasOpus(t *testing.T) {
	for _, c := range []struct {
		sdp  string
		want bool
	}{
		{"v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n", true},
		{"v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n", false},
		{"v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\nm=video 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 OPUS/48000/2\r\n", false},
		{"v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 OPUS/48000/2\r\n", true},
		{"", false},
	} {
		if got := sdpAudioHasOpus(c.sdp); got != c.want {
			t.Errorf("sdpAudioHasOpus(%q) = %v, want %v", c.sdp, got, c.want)
		}
	}
}
