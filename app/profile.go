package app

import (
	"fmt"
	"os"
	"runtime/pprof"
	"sync"
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
