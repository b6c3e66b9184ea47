package pubsub

import (
	"runtime"
	"testing"
)

func even(v int) bool { return v%2 == 0 }

// A filtered subscriber gets the values it wants, in order, sticky ones
// included; the values it refuses never reach its channel.
func TestSubscribeOnly(t *testing.T) {
	var h Hub[int]
	h.SetSticky(func(v int) (string, bool) { return "last", v >= 100 })
	h.Publish(100, 101) // sticky: 101 is remembered, and odd
	ch, cancel := h.SubscribeOnly(even)
	defer cancel()
	h.Publish(1, 3, 5)
	if n := len(ch); n != 0 {
		t.Fatalf("%d refused values in the channel", n)
	}
	for i := 0; i < 1000; i++ {
		h.Publish(i)
	}
	for i := 0; i < 1000; i += 2 {
		if v := <-ch; v != i {
			t.Fatalf("want %d, got %d", i, v)
		}
	}
	h.Publish(7)
	if n := len(ch); n != 0 {
		t.Fatalf("%d refused values in the channel", n)
	}

	bch, bcancel := h.SubscribeBatchesOnly(even)
	defer bcancel()
	h.Publish(1, 2, 3, 4)
	if b := <-bch; len(b) != 2 || b[0] != 2 || b[1] != 4 {
		t.Fatalf("batch %v", b)
	}
}

// A subscriber that never reads does not block Publish, and once it reads
// it gets every value in order: the channel's share first, then the
// queue's.
func TestStuckSubscriberNeitherBlocksNorLoses(t *testing.T) {
	var h Hub[int]
	stuck, cancelStuck := h.Subscribe()
	defer cancelStuck()
	batches, cancelBatches := h.SubscribeBatches()
	defer cancelBatches()
	const n = 10 * directValues
	for i := 0; i < n; i++ {
		h.Publish(i)
	}
	for i := 0; i < n; i++ {
		if v := <-stuck; v != i {
			t.Fatalf("want %d, got %d", i, v)
		}
	}
	next := 0
	for next < n {
		for _, v := range <-batches {
			if v != next {
				t.Fatalf("want %d, got %d", next, v)
			}
			next++
		}
	}
}

// Values published while the reader sometimes keeps up and sometimes
// falls behind (so some go straight into the channel, some through the
// queue) arrive in order and all of them.
func TestDirectAndQueuedKeepOrder(t *testing.T) {
	var h Hub[int]
	ch, cancel := h.Subscribe()
	defer cancel()
	bch, bcancel := h.SubscribeBatches()
	defer bcancel()
	const n = 20000
	go func() {
		for i := 0; i < n; {
			k := 1 + i%7
			vs := make([]int, 0, k)
			for j := 0; j < k && i < n; j++ {
				vs = append(vs, i)
				i++
			}
			h.Publish(vs...)
			if i%13 == 0 {
				runtime.Gosched()
			}
		}
		h.Close()
	}()
	done := make(chan int)
	go func() {
		next := 0
		for b := range bch {
			for _, v := range b {
				if v != next {
					t.Errorf("batch reader: want %d, got %d", next, v)
					close(done)
					return
				}
				next++
			}
		}
		done <- next
	}()
	next := 0
	for v := range ch {
		if v != next {
			t.Fatalf("want %d, got %d", next, v)
		}
		next++
		if next%100 == 0 {
			runtime.Gosched()
		}
	}
	if next != n {
		t.Fatalf("got %d of %d values", next, n)
	}
	if got := <-done; got != n {
		t.Fatalf("batch reader got %d of %d values", got, n)
	}
}

// After cancel returns the channel holds nothing but its close, whether
// values were in the channel, in the queue or both.
func TestCancelDiscardsWhatIsWaiting(t *testing.T) {
	for _, pending := range []int{0, 1, directValues, 3 * directValues} {
		var h Hub[int]
		ch, cancel := h.Subscribe()
		bch, bcancel := h.SubscribeBatches()
		for i := 0; i < pending; i++ {
			h.Publish(i)
		}
		cancel()
		bcancel()
		if v, ok := <-ch; ok {
			t.Errorf("%d pending: got %d after cancel", pending, v)
		}
		if v, ok := <-bch; ok {
			t.Errorf("%d pending: got %v after cancel", pending, v)
		}
		h.Publish(1) // no subscriber left: nothing to send on a closed channel
	}
}

// Close hands over everything waiting, in the channel and in the queue,
// before closing the channel.
func TestCloseDeliversWhatIsWaiting(t *testing.T) {
	var h Hub[int]
	ch, cancel := h.SubscribeOnly(even)
	defer cancel()
	const n = 6 * directValues
	for i := 0; i < n; i++ {
		h.Publish(i)
	}
	h.Close()
	next := 0
	for v := range ch {
		if v != next {
			t.Fatalf("want %d, got %d", next, v)
		}
		next += 2
	}
	if next != n {
		t.Fatalf("got values up to %d of %d", next, n)
	}
	cancel() // after Close: nothing left to do, and it returns
}
