package audio

import (
	"context"
	"time"
)

// FrameInterval is the length of one frame.
const FrameInterval = 20 * time.Millisecond

// EachFrame reads src (Silence when nil) once every FrameInterval and
// hands each frame to f, until ctx ends or f returns false. A frame the
// source fails to give is silence. The frame's buffer is reused: f must
// not keep it.
func EachFrame(ctx context.Context, src Source, f func(pcm []int16) bool) {
	if src == nil {
		src = Silence{}
	}
	pcm := make([]int16, FrameSamples)
	tick := time.NewTicker(FrameInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := src.ReadFrame(pcm); err != nil {
			clear(pcm)
		}
		if !f(pcm) {
			return
		}
	}
}
