package lkmedia

import (
	"context"
	"sync"
	"time"

	"github.com/termatrix/termatrix/calls/audio"
)

const (
	// jitterFrames is the most 20 ms frames a stream buffers (200 ms): a
	// sender that floods loses its oldest frames beyond that.
	jitterFrames = 10
	// prebufferFrames is how many frames a stream collects before it
	// plays, and again after it ran dry.
	prebufferFrames = 2
	frameInterval   = 20 * time.Millisecond
)

// stream is one remote audio track's jitter buffer: a bounded queue of
// decoded frames of audio.FrameSamples.
type stream struct {
	frames  [][]int16
	playing bool
	// dropped counts frames thrown away because the buffer was full.
	dropped int
}

// mixer plays every stream of every connection of a dialer into one
// sink, one mixed 20 ms frame per tick.
type mixer struct {
	sink audio.Sink

	mu      sync.Mutex
	streams map[*stream]struct{}
	// pending is decoded audio not yet a whole frame, per stream.
	pending map[*stream][]int16
	// written counts frames handed to the sink (for tests and figures).
	written int

	cancel context.CancelFunc
	done   chan struct{}
}

func newMixer(sink audio.Sink) *mixer {
	ctx, cancel := context.WithCancel(context.Background())
	m := &mixer{
		sink:    sink,
		streams: map[*stream]struct{}{},
		pending: map[*stream][]int16{},
		cancel:  cancel,
		done:    make(chan struct{}),
	}
	go m.run(ctx)
	return m
}

// add registers a new stream.
func (m *mixer) add() *stream {
	s := &stream{}
	m.mu.Lock()
	m.streams[s] = struct{}{}
	m.mu.Unlock()
	return s
}

// remove drops a stream and whatever it had buffered.
func (m *mixer) remove(s *stream) {
	m.mu.Lock()
	delete(m.streams, s)
	delete(m.pending, s)
	m.mu.Unlock()
}

// push queues decoded PCM (any length) for s, cut into whole frames.
func (m *mixer) push(s *stream, pcm []int16) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.streams[s]; !ok {
		return
	}
	buf := append(m.pending[s], pcm...)
	for len(buf) >= audio.FrameSamples {
		f := make([]int16, audio.FrameSamples)
		copy(f, buf)
		buf = buf[audio.FrameSamples:]
		if len(s.frames) == jitterFrames {
			s.frames = s.frames[1:]
			s.dropped++
		}
		s.frames = append(s.frames, f)
	}
	m.pending[s] = append(m.pending[s][:0], buf...)
}

// mix takes one frame from every stream that is playing and sums them
// into out (clipped). It reports whether there was any stream at all.
func (m *mixer) mix(out []int16) bool {
	acc := make([]int32, len(out))
	m.mu.Lock()
	some := len(m.streams) > 0
	for s := range m.streams {
		if !s.playing && len(s.frames) >= prebufferFrames {
			s.playing = true
		}
		if !s.playing {
			continue
		}
		if len(s.frames) == 0 {
			s.playing = false // ran dry: collect again before playing
			continue
		}
		for i, v := range s.frames[0] {
			acc[i] += int32(v)
		}
		s.frames = s.frames[1:]
	}
	m.mu.Unlock()
	for i, v := range acc {
		out[i] = int16(max(-32768, min(32767, v)))
	}
	return some
}

// run writes one mixed frame every 20 ms while any stream exists.
func (m *mixer) run(ctx context.Context) {
	defer close(m.done)
	tick := time.NewTicker(frameInterval)
	defer tick.Stop()
	out := make([]int16, audio.FrameSamples)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !m.mix(out) {
			continue
		}
		if err := m.sink.WriteFrame(out); err == nil {
			m.mu.Lock()
			m.written++
			m.mu.Unlock()
		}
	}
}

// close stops the output and waits for it.
func (m *mixer) close() {
	m.cancel()
	<-m.done
}
