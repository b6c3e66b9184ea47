// Package pubsub fans values out to subscribers without ever blocking the
// publisher or dropping a value: each subscriber has a buffered channel
// that Publish fills directly and, when that is full, an unbounded queue
// drained into the channel by the subscriber's own goroutine, so every
// subscriber sees every value it wants in publish order however slow it
// is.
//
// The matrix core, the calls Controller and the 1:1 call Manager all
// publish their typed events through a Hub.
package pubsub

import (
	"sort"
	"sync"
)

// directValues and directBatches are how many values (Subscribe) or
// batches (SubscribeBatches) a subscriber's channel holds. Publish puts a
// value straight into the channel while it has room, so a reader that
// keeps up is woken once per value with no goroutine in between; only a
// reader that falls behind has its values queued and handed over by its
// pump goroutine. A batch reader's channel holds one batch: what comes
// while it is full piles up in the queue and arrives as one slice.
const (
	directValues  = 64
	directBatches = 1
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

// Subscribe adds a subscriber. Its channel is closed after cancel (values
// not yet received are discarded; cancel returns once the channel is
// closed) or after Close (once the queued values are delivered). cancel
// may be called more than once.
func (h *Hub[T]) Subscribe() (<-chan T, func()) { return h.SubscribeOnly(nil) }

// SubscribeOnly is Subscribe for a subscriber that handles only some
// values: want (nil: all) is asked at Publish, on the publisher's
// goroutine, under the hub's lock, so it must be quick and look at the
// value only. A value it refuses is never queued, and the subscriber is
// not woken for it.
func (h *Hub[T]) SubscribeOnly(want func(T) bool) (<-chan T, func()) {
	s := &subscriber[T]{want: want, out: make(chan T, directValues)}
	cancel := h.subscribe(s)
	go s.pump()
	return s.out, cancel
}

// SubscribeBatches is Subscribe for a reader that takes values in bulk:
// each receive hands over values in publish order, those of one Publish
// together, and whatever piled up while the reader was busy in one slice,
// so a burst (an initial sync publishes thousands) reaches the reader in a
// few slices instead of one value per wake-up.
func (h *Hub[T]) SubscribeBatches() (<-chan []T, func()) { return h.SubscribeBatchesOnly(nil) }

// SubscribeBatchesOnly is SubscribeBatches with a filter, as SubscribeOnly.
func (h *Hub[T]) SubscribeBatchesOnly(want func(T) bool) (<-chan []T, func()) {
	s := &subscriber[T]{want: want, outBatch: make(chan []T, directBatches)}
	cancel := h.subscribe(s)
	go s.pumpBatches()
	return s.outBatch, cancel
}

// subscribe registers s and returns its cancel function.
func (h *Hub[T]) subscribe(s *subscriber[T]) func() {
	s.cond = sync.NewCond(&s.mu)
	s.done = make(chan struct{})
	s.exited = make(chan struct{})
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
	s.queue = s.wanted(h.stickyValues())
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
			<-s.exited
		})
	}
}

// Publish hands values, in order, to every current subscriber that wants
// them. It never blocks on a subscriber: a value goes straight into the
// subscriber's channel while that has room and nothing is queued before
// it, else into the subscriber's queue, which its pump goroutine drains.
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
		s.offer(vs)
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
