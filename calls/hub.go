package calls

import "sync"

// hub fans Events out to subscribers. Each subscriber has its own
// unbounded queue, so a slow subscriber never blocks the Controller and
// never loses an event.
type hub struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

type subscriber struct {
	ch     chan Event
	mu     sync.Mutex
	queue  []Event
	wake   chan struct{}
	closed chan struct{}
	once   sync.Once
}

func (h *hub) subscribe() (<-chan Event, func()) {
	s := &subscriber{ch: make(chan Event), wake: make(chan struct{}, 1), closed: make(chan struct{})}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*subscriber]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	go s.pump()
	return s.ch, func() {
		h.mu.Lock()
		delete(h.subs, s)
		h.mu.Unlock()
		s.once.Do(func() { close(s.closed) })
	}
}

func (h *hub) publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.mu.Lock()
		s.queue = append(s.queue, e)
		s.mu.Unlock()
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// pump hands queued events to the channel in order until closed; the
// channel is closed when the subscription ends.
func (s *subscriber) pump() {
	defer close(s.ch)
	for {
		s.mu.Lock()
		var next Event
		if len(s.queue) > 0 {
			next = s.queue[0]
			s.queue[0] = nil
			s.queue = s.queue[1:]
		}
		s.mu.Unlock()
		if next == nil {
			select {
			case <-s.wake:
				continue
			case <-s.closed:
				return
			}
		}
		select {
		case s.ch <- next:
		case <-s.closed:
			return
		}
	}
}
