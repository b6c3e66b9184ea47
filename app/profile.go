package app

import (
	"fmt"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"time"
)

// ProfileEnv names a file to write a CPU profile of the whole run to, for
// `go tool pprof` (cmd/bench sets it with -cpuprofile). A developer's aid: it
// is read at start and never passed on. Where the system has SIGUSR1, each
// such signal ends the current file and starts the next one (path.1, path.2,
// …), so a bench can profile one phase of a run on its own.
const ProfileEnv = "TERMATRIX_CPUPROFILE"

// profiler writes the CPU profile in phases: path, then path.1, path.2, ….
type profiler struct {
	mu    sync.Mutex
	path  string
	phase int
	f     *os.File
}

// start begins the current phase's file.
func (p *profiler) start() error {
	name := p.path
	if p.phase > 0 {
		name = fmt.Sprintf("%s.%d", p.path, p.phase)
	}
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("CPU profile: %w", err)
	}
	p.f = f
	return nil
}

// stop ends the current phase's file.
func (p *profiler) stop() {
	if p.f == nil {
		return
	}
	pprof.StopCPUProfile()
	p.f.Close()
	p.f = nil
}

// next ends the current phase and starts the next one.
func (p *profiler) next() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil {
		return
	}
	p.stop()
	p.phase++
	_ = p.start()
}

// MemProfileEnv names a file to write a heap profile to, taken at the
// largest live heap of the run (cmd/bench sets it with -memprofile). A
// developer's aid like ProfileEnv.
const MemProfileEnv = "TERMATRIX_MEMPROFILE"

// startProfile starts the CPU profile path asks for ("" does nothing) and
// returns the function that ends it.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	p := &profiler{path: path}
	if err := p.start(); err != nil {
		return nil, err
	}
	unwatch := watchProfileSignal(p.next)
	return func() {
		unwatch()
		p.mu.Lock()
		defer p.mu.Unlock()
		p.stop()
	}, nil
}

// startMemProfile watches the live heap (as the last garbage collection
// measured it) and writes a heap profile to path each time it reaches a
// new peak, so the file ends up describing the run's largest live heap.
// "" does nothing. The returned function stops the watch.
func startMemProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var peak uint64
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				return
			}
			live := sample[0].Value.Uint64()
			if live <= peak+peak/20 {
				continue
			}
			peak = live
			if err := writeHeapProfile(path); err != nil {
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// writeHeapProfile writes the heap profile to path, replacing it.
func writeHeapProfile(path string) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("heap profile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	return os.Rename(tmp, path)
}
