package audio

import (
	"context"
	"errors"
	"testing"
	"time"
)

// failing is a source whose every read fails after filling noise.
type failing struct{}

func (failing) ReadFrame(buf []int16) error {
	for i := range buf {
		buf[i] = 1000
	}
	return errors.New("device gone")
}
func (failing) Close() error { return nil }
func (failing) Name() string { return "failing" }

func TestEachFramePacesAndStops(t *testing.T) {
	tone, err := OpenSource("tone:440")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	n := 0
	EachFrame(context.Background(), tone, func(pcm []int16) bool {
		if len(pcm) != FrameSamples {
			t.Fatalf("frame of %d samples", len(pcm))
		}
		n++
		return n < 5
	})
	if n != 5 {
		t.Fatalf("%d frames, want 5 (f returning false stops)", n)
	}
	t.Logf("5 frames in %v (paced at %v)", time.Since(start).Round(time.Millisecond), FrameInterval)

	// A failed read is silence; a nil source is silence.
	for _, src := range []Source{failing{}, nil} {
		EachFrame(context.Background(), src, func(pcm []int16) bool {
			for _, s := range pcm {
				if s != 0 {
					t.Fatalf("%v: not silence", src)
				}
			}
			return false
		})
	}

	// A cancelled context ends it without a frame.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	EachFrame(ctx, tone, func([]int16) bool { t.Fatal("frame after cancel"); return false })
}
