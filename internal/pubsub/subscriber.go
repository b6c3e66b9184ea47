package pubsub

import "sync"

// subscriber is one subscription: a channel Publish fills directly while
// nothing waits before it, and a queue its pump goroutine drains into the
// channel once the channel was full.
type subscriber[T any] struct {
	want func(T) bool // nil: every value

	mu    sync.Mutex
	cond  *sync.Cond
	queue []T
	// busy is set while the pump holds values taken from the queue and
	// not yet in the channel: Publish must queue behind them then, or it
	// would overtake them.
	busy   bool
	closed bool

	done     chan struct{} // closed by cancel
	exited   chan struct{} // closed when the pump has closed the channel
	out      chan T        // Subscribe's channel
	outBatch chan []T      // SubscribeBatches' channel
}

// wanted returns the values of vs the subscriber wants, vs itself when
// it wants them all.
func (s *subscriber[T]) wanted(vs []T) []T {
	if s.want == nil {
		return vs
	}
	for i, v := range vs {
		if s.want(v) {
			continue
		}
		// The first refused value: copy the rest that are wanted.
		out := append(make([]T, 0, len(vs)-1), vs[:i]...)
		for _, v := range vs[i+1:] {
			if s.want(v) {
				out = append(out, v)
			}
		}
		return out
	}
	return vs
}

// offer hands the values of one Publish to the subscriber without
// blocking: into the channel while it has room and nothing is queued or
// held by the pump, the rest into the queue (waking the pump).
func (s *subscriber[T]) offer(vs []T) {
	vs = s.wanted(vs)
	if len(vs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if len(s.queue) == 0 && !s.busy {
		vs = s.sendNow(vs)
	}
	if len(vs) > 0 {
		s.queue = append(s.queue, vs...)
		s.cond.Signal()
	}
}

// sendNow puts what fits of vs into the channel and returns the rest;
// s.mu is held and the channel is open (closed is false).
func (s *subscriber[T]) sendNow(vs []T) []T {
	if s.outBatch != nil {
		select {
		case s.outBatch <- append([]T(nil), vs...):
			return nil
		default:
			return vs
		}
	}
	for i, v := range vs {
		select {
		case s.out <- v:
		default:
			return vs[i:]
		}
	}
	return nil
}

// take waits for queued values and takes the first one, or all of them
// (all); ok is false once the subscription has ended with nothing left.
// While it waits the pump holds nothing, so Publish may send directly.
func (s *subscriber[T]) take(all bool) (_ []T, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue) == 0 && !s.closed {
		s.busy = false
		s.cond.Wait()
	}
	if len(s.queue) == 0 {
		return nil, false
	}
	s.busy = true
	if all {
		vs := s.queue
		s.queue = nil
		return vs, true
	}
	var zero T
	v := s.queue[0]
	s.queue[0] = zero
	s.queue = s.queue[1:]
	return []T{v}, true
}

// finish closes the channel when the pump stops. Under s.mu with closed
// set, so no Publish sends after it; after cancel the values still in the
// channel are dropped first, so the reader sees the close next.
func (s *subscriber[T]) finish() {
	s.mu.Lock()
	s.closed = true
	s.queue = nil
	cancelled := false
	select {
	case <-s.done:
		cancelled = true
	default:
	}
	if s.out != nil {
		for cancelled && len(s.out) > 0 {
			select {
			case <-s.out:
			default:
			}
		}
		close(s.out)
	} else {
		for cancelled && len(s.outBatch) > 0 {
			select {
			case <-s.outBatch:
			default:
			}
		}
		close(s.outBatch)
	}
	s.mu.Unlock()
	close(s.exited)
}

// pump moves queued values to the channel until the subscription ends.
func (s *subscriber[T]) pump() {
	defer s.finish()
	for {
		vs, ok := s.take(false)
		if !ok {
			return
		}
		select {
		case s.out <- vs[0]:
		case <-s.done:
			return
		}
	}
}

// pumpBatches hands everything queued to the channel at once until the
// subscription ends.
func (s *subscriber[T]) pumpBatches() {
	defer s.finish()
	for {
		vs, ok := s.take(true)
		if !ok {
			return
		}
		select {
		case s.outBatch <- vs:
		case <-s.done:
			return
		}
	}
}
