// Package pubsub fans values out to subscribers without ever blocking the
// publisher or dropping a value: each subscriber has its own unbounded
// queue, drained into its channel by its own goroutine, so every
// subscriber sees every value in publish order however slow it is.
//
// The matrix core, the calls Controller and the 1:1 call Manager all
// publish their typed events through a Hub.
package pubsub

import (
	"sort"
	"sync"
)

// Hub is a fan-out of values of type T. The zero value is ready to use.
type Hub[T any] struct {
	mu     sync.Mutex
	subs   map[*subscriber[T]]struct{}
	closed bool

	// stickyKey, when set, names the kinds of value the hub remembers
	// (the last of each key) and hands to new subscribers first.
	stickyKey func(T) (string, bool)
	sticky    map[string]stickyValue[T]
	seq       uint64
}

type stickyValue[T any] struct {
	v   T
	seq uint64
}

// SetSticky makes the hub remember, for each key keyOf gives, the last
// value published with that key: a new subscriber receives those values
// first (in the order they were published), then everything published
// after it subscribed. A status that was published before a subscriber
// came is then not missed. Call it before publishing.
func (h *Hub[T]) SetSticky(keyOf func(T) (key string, ok bool)) {
	h.mu.Lock()
	h.stickyKey = keyOf
	h.mu.Unlock()
}

type subscriber[T any] struct {
	mu       sync.Mutex
	cond     *sync.Cond
	queue    []T
	closed   bool
	done     chan struct{} // closed by cancel
	out      chan T        // Subscribe's channel
	outBatch chan []T      // SubscribeBatches' channel
}

// Subscribe adds a subscriber. Its channel is closed after cancel (queued
// values not yet delivered are discarded) or after Close (once the queued
// values are delivered). cancel may be called more than once.
func (h *Hub[T]) Subscribe() (<-chan T, func()) {
	s := &subscriber[T]{out: make(chan T)}
	cancel := h.subscribe(s)
	go s.pump()
	return s.out, cancel
}

// SubscribeBatches is Subscribe for a reader that takes values in bulk:
// each receive hands over everything published since the last one, in
// order, so a burst (an initial sync publishes thousands) reaches the
// reader in a few slices instead of one value per wake-up.
func (h *Hub[T]) SubscribeBatches() (<-chan []T, func()) {
	s := &subscriber[T]{outBatch: make(chan []T)}
	cancel := h.subscribe(s)
	go s.pumpBatches()
	return s.outBatch, cancel
}

// subscribe registers s and returns its cancel function.
func (h *Hub[T]) subscribe(s *subscriber[T]) func() {
	s.cond = sync.NewCond(&s.mu)
	s.done = make(chan struct{})
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		s.closed = true
		close(s.done)
		return func() {}
	}
	if h.subs == nil {
		h.subs = make(map[*subscriber[T]]struct{})
	}
	h.subs[s] = struct{}{}
	s.queue = h.stickyValues()
	h.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, s)
			h.mu.Unlock()
			close(s.done)
			s.mu.Lock()
			s.closed = true
			s.queue = nil
			s.cond.Broadcast()
			s.mu.Unlock()
		})
	}
}

// take waits for queued values and takes the first one, or all of them
// (all); ok is false once the subscription has ended with nothing left.
func (s *subscriber[T]) take(all bool) (_ []T, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue) == 0 && !s.closed {
		s.cond.Wait()
	}
	if len(s.queue) == 0 {
		return nil, false
	}
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

// pump moves queued values to the channel until the subscription ends.
func (s *subscriber[T]) pump() {
	defer close(s.out)
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
	defer close(s.outBatch)
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

// Publish queues values, in order, for every current subscriber.
func (h *Hub[T]) Publish(vs ...T) {
	if len(vs) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stickyKey != nil {
		for _, v := range vs {
			if key, ok := h.stickyKey(v); ok {
				if h.sticky == nil {
					h.sticky = make(map[string]stickyValue[T])
				}
				h.seq++
				h.sticky[key] = stickyValue[T]{v: v, seq: h.seq}
			}
		}
	}
	for s := range h.subs {
		s.mu.Lock()
		if !s.closed {
			s.queue = append(s.queue, vs...)
			s.cond.Signal()
		}
		s.mu.Unlock()
	}
}

// stickyValues returns the remembered values in publish order; h.mu is held.
func (h *Hub[T]) stickyValues() []T {
	if len(h.sticky) == 0 {
		return nil
	}
	vals := make([]stickyValue[T], 0, len(h.sticky))
	for _, sv := range h.sticky {
		vals = append(vals, sv)
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i].seq < vals[j].seq })
	out := make([]T, len(vals))
	for i, sv := range vals {
		out[i] = sv.v
	}
	return out
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
