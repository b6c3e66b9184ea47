package lkmedia

import (
	"testing"

	"github.com/termatrix/termatrix/calls/audio"
)

func frameOf(v int16, n int) []int16 {
	f := make([]int16, n)
	for i := range f {
		f[i] = v
	}
	return f
}

// TestMixerSumsPrebuffersAndCaps: streams play after two frames, sum with
// clipping, split longer decodes into frames, and a flooding stream keeps
// only the newest jitterFrames.
func TestMixerSumsPrebuffersAndCaps(t *testing.T) {
	m := &mixer{streams: map[*stream]struct{}{}, pending: map[*stream][]int16{}}
	out := make([]int16, audio.FrameSamples)
	if m.mix(out) {
		t.Fatal("mix with no streams says there was one")
	}
	a, b := m.add(), m.add()
	m.push(a, frameOf(1000, audio.FrameSamples))
	m.mix(out)
	if out[0] != 0 {
		t.Fatalf("played before the prebuffer filled: %d", out[0])
	}
	m.push(a, frameOf(1000, audio.FrameSamples*2)) // a 40 ms decode: two frames
	m.push(b, frameOf(-30000, audio.FrameSamples*2))
	m.mix(out)
	if out[0] != -29000 {
		t.Fatalf("mixed %d, want -29000", out[0])
	}
	m.push(b, frameOf(32000, audio.FrameSamples))
	m.mix(out) // a 1000, b -30000
	m.mix(out) // a 1000, b 32000
	if out[0] != 32767 {
		t.Fatalf("mixed %d, want clipped 32767", out[0])
	}
	for range 3 * jitterFrames {
		m.push(b, frameOf(5, audio.FrameSamples))
	}
	if len(b.frames) != jitterFrames || b.dropped == 0 {
		t.Fatalf("flooding stream holds %d frames, dropped %d; want %d held", len(b.frames), b.dropped, jitterFrames)
	}
	m.remove(a)
	m.remove(b)
	m.push(a, frameOf(1, audio.FrameSamples)) // after remove: ignored
	if len(m.pending) != 0 || m.mix(out) {
		t.Fatal("removed streams still mixed")
	}
}

// TestRMS: full-scale square is 1, silence 0.
func TestRMS(t *testing.T) {
	if r := rms(frameOf(-32768, 10)); r != 1 {
		t.Errorf("rms full scale = %v", r)
	}
	if r := rms(make([]int16, 10)); r != 0 {
		t.Errorf("rms silence = %v", r)
	}
}
