package voip

import "testing"

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
