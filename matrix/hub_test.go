package matrix

import (
	"testing"
	"time"
)

func TestHubOrderAndUnbounded(t *testing.T) {
	h := newHub()
	a, cancelA := h.subscribe()
	b, cancelB := h.subscribe()
	defer cancelB()
	// Publishing far more than any channel buffer never blocks.
	const n = 10000
	done := make(chan struct{})
	go func() {
		for i := 0; i < n; i++ {
			h.publish(StatusChanged{RetryIn: time.Duration(i)})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("publish blocked on slow subscribers")
	}
	for _, ch := range []<-chan Update{a, b} {
		for i := 0; i < n; i++ {
			u := (<-ch).(StatusChanged)
			if u.RetryIn != time.Duration(i) {
				t.Fatalf("update %d out of order: %v", i, u.RetryIn)
			}
		}
	}
	cancelA()
	if _, ok := <-a; ok {
		t.Error("channel open after cancel")
	}
	h.publish(StatusChanged{})
	h.close()
	if _, ok := <-b; !ok {
		t.Error("queued update lost at close")
	}
	if _, ok := <-b; ok {
		t.Error("channel open after close")
	}
	c, _ := h.subscribe()
	if _, ok := <-c; ok {
		t.Error("subscribe after close gave an open channel")
	}
}
