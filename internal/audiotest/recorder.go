// Package audiotest holds what call tests share to listen to a call: a
// sink that keeps the last second it played and says how much of it is a
// given tone, and when sound first came. Test support only.
package audiotest

import (
	"math"
	"sync"
	"time"

	"github.com/termatrix/termatrix/calls/audio"
)

// soundRMS is the level (of full scale 32767) above which a frame is
// sound rather than silence or comfort noise.
const soundRMS = 300

// Recorder is an audio.Sink keeping the last second played.
type Recorder struct {
	mu      sync.Mutex
	buf     []int16
	frames  int
	sounded time.Time
}

var _ audio.Sink = (*Recorder)(nil)

// WriteFrame keeps f (the last second only) and notes the first sound.
func (r *Recorder) WriteFrame(f []int16) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf = append(r.buf, f...)
	if over := len(r.buf) - audio.SampleRate; over > 0 {
		r.buf = append(r.buf[:0], r.buf[over:]...)
	}
	r.frames++
	if r.sounded.IsZero() && len(f) > 0 {
		var sum float64
		for _, v := range f {
			sum += float64(v) * float64(v)
		}
		if math.Sqrt(sum/float64(len(f))) > soundRMS {
			r.sounded = time.Now()
		}
	}
	return nil
}

// Close does nothing.
func (r *Recorder) Close() error { return nil }

// Name says what the sink is.
func (r *Recorder) Name() string { return "recorder" }

// Share is hz's share of the last half second played (Goertzel), 0 before
// half a second was played.
func (r *Recorder) Share(hz float64) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) < audio.SampleRate/2 {
		return 0
	}
	return audio.Goertzel(r.buf[len(r.buf)-audio.SampleRate/2:], hz)
}

// Frames is how many frames were played since the last Reset.
func (r *Recorder) Frames() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frames
}

// Reset forgets what was played (the next call starts afresh).
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf, r.frames, r.sounded = r.buf[:0], 0, time.Time{}
}

// FirstSound is when sound was first played since the last Reset.
func (r *Recorder) FirstSound() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sounded
}
