package matrix

import "sync"

// keyedLocks hands out one mutex per key (per room: history loads,
// encryption), made on first use. The zero value is ready.
type keyedLocks[K comparable] struct {
	mu    sync.Mutex
	locks map[K]*sync.Mutex
}

// get returns the key's mutex.
func (k *keyedLocks[K]) get(key K) *sync.Mutex {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.locks == nil {
		k.locks = make(map[K]*sync.Mutex)
	}
	m := k.locks[key]
	if m == nil {
		m = new(sync.Mutex)
		k.locks[key] = m
	}
	return m
}
