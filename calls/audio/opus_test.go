//go:build opus

package audio

import "testing"

// TestOpusEncodeDecodeTone: a 440 Hz tone through our Opus encoder and
// decoder comes out as a 440 Hz tone at the package's rate.
func TestOpusEncodeDecodeTone(t *testing.T) {
	enc, err := NewOpusEncoder()
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewOpusDecoder()
	if err != nil {
		t.Fatal(err)
	}
	tone := NewTone(440, 0.5)
	frame := make([]int16, FrameSamples)
	var out []int16
	var pkt []byte
	for range 50 { // one second
		if err := tone.ReadFrame(frame); err != nil {
			t.Fatal(err)
		}
		if pkt, err = enc.Encode(pkt[:0], frame); err != nil {
			t.Fatal(err)
		}
		if out, err = dec.Decode(out, pkt); err != nil {
			t.Fatal(err)
		}
	}
	if len(out) != SampleRate {
		t.Fatalf("decoded %d samples from 1 s, want %d", len(out), SampleRate)
	}
	last := out[len(out)/2:]
	if p := Goertzel(last, 440); p < 0.8 {
		t.Errorf("440 Hz share after Opus %.2f, want ≥ 0.8", p)
	}
	if p := Goertzel(last, 1000); p > 0.05 {
		t.Errorf("1000 Hz share after Opus %.2f, want ≈ 0", p)
	}
}
