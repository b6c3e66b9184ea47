package voip

import (
	"sync"

	"github.com/termatrix/termatrix/calls"
)

// subscriber is one Subscribe: an unbounded queue drained into its channel,
// so the Manager never blocks on a slow reader and no snapshot is lost.
type subscriber struct {
	mu     sync.Mutex
	cond   *sync.Cond
	queue  []calls.CallChanged
	closed bool
	out    chan calls.CallChanged
}

// Subscribe returns a channel of call snapshots and a function that ends
// the subscription.
func (m *Manager) Subscribe() (<-chan calls.CallChanged, func()) {
	s := &subscriber{out: make(chan calls.CallChanged)}
	s.cond = sync.NewCond(&s.mu)
	m.subMu.Lock()
	m.subs[s] = struct{}{}
	m.subMu.Unlock()
	stop := make(chan struct{})
	go func() {
		defer close(s.out)
		for {
			s.mu.Lock()
			for len(s.queue) == 0 && !s.closed {
				s.cond.Wait()
			}
			if s.closed {
				s.mu.Unlock()
				return
			}
			e := s.queue[0]
			s.queue = s.queue[1:]
			s.mu.Unlock()
			select {
			case s.out <- e:
			case <-stop:
				return
			}
		}
	}()
	var once sync.Once
	return s.out, func() {
		once.Do(func() {
			m.subMu.Lock()
			delete(m.subs, s)
			m.subMu.Unlock()
			s.mu.Lock()
			s.closed = true
			s.cond.Broadcast()
			s.mu.Unlock()
			close(stop)
		})
	}
}

func (m *Manager) broadcast(e calls.CallChanged) {
	m.subMu.Lock()
	defer m.subMu.Unlock()
	for s := range m.subs {
		s.mu.Lock()
		s.queue = append(s.queue, e)
		s.cond.Signal()
		s.mu.Unlock()
	}
}
