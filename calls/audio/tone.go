package audio

import (
	"fmt"
	"math"
)

// Tone is a sine source.
type Tone struct {
	hz, amp float64
	phase   float64
}

// NewTone returns a sine of hz at amp (0..1 of full scale).
func NewTone(hz, amp float64) *Tone { return &Tone{hz: hz, amp: amp} }

// ReadFrame fills buf with the next samples of the sine.
func (t *Tone) ReadFrame(buf []int16) error {
	step := 2 * math.Pi * t.hz / SampleRate
	for i := range buf {
		buf[i] = int16(t.amp * 32767 * math.Sin(t.phase))
		t.phase += step
		if t.phase > 2*math.Pi {
			t.phase -= 2 * math.Pi
		}
	}
	return nil
}

// Close does nothing.
func (t *Tone) Close() error { return nil }

// Name says which tone.
func (t *Tone) Name() string { return fmt.Sprintf("tone %g Hz", t.hz) }
