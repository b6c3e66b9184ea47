package matrix

import "sync"

// hub fans Updates out to subscribers. Each subscriber has its own
// unbounded queue drained by its own goroutine, so publishing never blocks
// (a slow UI never stalls sync) and nothing is dropped: every subscriber
// sees every update, in publish order.
type hub struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	mu     sync.Mutex
	cond   *sync.Cond
	queue  []Update
	closed bool
	out    chan Update
}

func newHub() *hub { return &hub{subs: make(map[*subscriber]struct{})} }

// subscribe adds a subscriber. The returned channel is closed after cancel
// or after the hub closes, once the queued updates are delivered (after
// cancel, undelivered updates are discarded).
func (h *hub) subscribe() (<-chan Update, func()) {
	s := &subscriber{out: make(chan Update)}
	s.cond = sync.NewCond(&s.mu)
	done := make(chan struct{})
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		close(s.out)
		return s.out, func() {}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
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

// pump moves queued updates to the channel until closed.
func (s *subscriber) pump(done <-chan struct{}) {
	defer close(s.out)
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.closed {
			s.cond.Wait()
		}
		if len(s.queue) == 0 {
			s.mu.Unlock()
			return
		}
		u := s.queue[0]
		s.queue[0] = nil
		s.queue = s.queue[1:]
		s.mu.Unlock()
		select {
		case s.out <- u:
		case <-done:
			return
		}
	}
}

// publish queues updates for every subscriber.
func (h *hub) publish(us ...Update) {
	if len(us) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.mu.Lock()
		if !s.closed {
			s.queue = append(s.queue, us...)
			s.cond.Signal()
		}
		s.mu.Unlock()
	}
}

// close ends every subscription after its queued updates are delivered.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		s.mu.Lock()
		s.closed = true
		s.cond.Broadcast()
		s.mu.Unlock()
	}
	h.subs = map[*subscriber]struct{}{}
}
