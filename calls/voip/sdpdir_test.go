package voip

import (
	"strings"
	"testing"
)

func TestConformDirections(t *testing.T) {
	offer := "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=sendonly\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\nm=audio 9 X 0\r\na=inactive\r\nm=audio 9 X 0\r\n"
	answer := "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=sendrecv\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendrecv\r\nm=audio 9 X 0\r\na=sendrecv\r\nm=audio 9 X 0\r\na=sendrecv\r\n"
	got := sectionDirections(conformDirections(offer, answer))
	want := []string{"recvonly", "sendonly", "inactive", "sendrecv"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("got %v, want %v", got, want)
	}
	if a := "v=0\r\nm=audio 9 X 0\r\na=recvonly\r\n"; conformDirections("v=0\r\nm=audio 9 X 0\r\n", a) != a {
		t.Fatal("an allowed direction changed")
	}
}
