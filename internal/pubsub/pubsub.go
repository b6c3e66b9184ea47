// Package pubsub fans values out to subscribers without ever blocking the
// publisher or dropping a value: each subscriber has its own unbounded
// queue, drained into its channel by its own goroutine, so every
// subscriber sees every value in publish order however slow it is.
//
// The matrix core, the calls Controller and the 1:1 call Manager all
// publish their typed events through a Hub.
package pubsub

import "sync"

// Hub is a fan-out of values of type T. The zero value is ready to use.
type Hub[T any] struct {
	mu     sync.Mutex
	subs   map[*subscriber[T]]struct{}
	closed bool
}

type subscriber[T any] struct {
	mu     sync.Mutex
	cond   *sync.Cond
	queue  []T
	closed bool
	out    chan T
}

// Subscribe adds a subscriber. Its channel is closed after cancel (queued
// values not yet delivered are discarded) or after Close (once the queued
// values are delivered). cancel may be called more than once.
func (h *Hub[T]) Subscribe() (<-chan T, func()) {
	s := &subscriber[T]{out: make(chan T)}
	s.cond = sync.NewCond(&s.mu)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		close(s.out)
		return s.out, func() {}
	}
	if h.subs == nil {
		h.subs = make(map[*subscriber[T]]struct{})
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	done := make(chan struct{})
	go s.pump(done)
	var once sync.Once
	cancel := func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, s)
			h.mu.Unlock()
			close(done)
			s.mu.Lock()
			s.closed = true
			s.queue = nil
			s.cond.Broadcast()
			s.mu.Unlock()
		})
	}
	return s.out, cancel
}

// pump moves queued values to the channel until the subscription ends.
func (s *subscriber[T]) pump(done <-chan struct{}) {
	defer close(s.out)
	var zero T
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.closed {
			s.cond.Wait()
		}
		if len(s.queue) == 0 {
			s.mu.Unlock()
			return
		}
		v := s.queue[0]
		s.queue[0] = zero
		s.queue = s.queue[1:]
		s.mu.Unlock()
		select {
		case s.out <- v:
		case <-done:
			return
		}
	}
}

// Publish queues values, in order, for every current subscriber.
func (h *Hub[T]) Publish(vs ...T) {
	if len(vs) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.mu.Lock()
		if !s.closed {
			s.queue = append(s.queue, vs...)
			s.cond.Signal()
		}
		s.mu.Unlock()
	}
}

// Close ends every subscription once its queued values are delivered;
// later subscriptions get a closed channel.
func (h *Hub[T]) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		s.mu.Lock()
		s.closed = true
		s.cond.Broadcast()
		s.mu.Unlock()
	}
	h.subs = nil
}
