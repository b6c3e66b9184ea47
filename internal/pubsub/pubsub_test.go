package pubsub

import (
	"strings"
	"testing"
	"time"
)

func TestOrderUnboundedCancelClose(t *testing.T) {
	var h Hub[int]
	a, cancelA := h.Subscribe()
	b, cancelB := h.Subscribe()
	defer cancelB()
	// Publishing far more than any channel buffer never blocks.
	const n = 10000
	done := make(chan struct{})
	go func() {
		for i := 0; i < n; i++ {
			h.Publish(i)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on slow subscribers")
	}
	for _, ch := range []<-chan int{a, b} {
		for i := 0; i < n; i++ {
			if v := <-ch; v != i {
				t.Fatalf("value %d out of order: %d", i, v)
			}
		}
	}
	cancelA()
	cancelA()
	if _, ok := <-a; ok {
		t.Error("channel open after cancel")
	}
	h.Publish(1)
	h.Close()
	if _, ok := <-b; !ok {
		t.Error("queued value lost at Close")
	}
	if _, ok := <-b; ok {
		t.Error("channel open after Close")
	}
	c, _ := h.Subscribe()
	if _, ok := <-c; ok {
		t.Error("Subscribe after Close gave an open channel")
	}
}

func TestPublishWithoutSubscribers(t *testing.T) {
	var h Hub[string]
	h.Publish("nobody listens")
	ch, cancel := h.Subscribe()
	defer cancel()
	h.Publish("x")
	if v := <-ch; v != "x" {
		t.Fatalf("got %q", v)
	}
}

// TestStickyValuesReachLateSubscribers checks that a subscriber that comes
// after a status was published still gets the last one of each key first,
// in publish order, and then what follows.
func TestStickyValuesReachLateSubscribers(t *testing.T) {
	var h Hub[string]
	h.SetSticky(func(v string) (string, bool) {
		if k, _, ok := strings.Cut(v, "="); ok {
			return k, true
		}
		return "", false
	})
	h.Publish("status=connecting", "plain", "verified=no", "status=synced")
	ch, cancel := h.Subscribe()
	defer cancel()
	h.Publish("after")
	want := []string{"verified=no", "status=synced", "after"}
	for _, w := range want {
		select {
		case got := <-ch:
			if got != w {
				t.Fatalf("got %q, want %q", got, w)
			}
		case <-time.After(time.Second):
			t.Fatalf("timed out waiting for %q", w)
		}
	}
}

// A batch subscriber gets a burst in bulk, in order, and its channel
// closes after Close once everything queued is handed over.
func TestSubscribeBatches(t *testing.T) {
	var h Hub[int]
	ch, cancel := h.SubscribeBatches()
	defer cancel()
	for i := 0; i < 10000; i++ {
		h.Publish(i)
	}
	h.Close()
	var got []int
	batches := 0
	for b := range ch {
		got = append(got, b...)
		batches++
	}
	if len(got) != 10000 {
		t.Fatalf("got %d values", len(got))
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("value %d is %d", i, v)
		}
	}
	// The first value goes straight into the channel, what follows piles
	// up behind it: the pump may hand over part before Close and the rest
	// after.
	if batches > 3 {
		t.Errorf("10,000 values published at once came in %d batches", batches)
	}
}
