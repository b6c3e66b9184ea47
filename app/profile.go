package app

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// ProfileEnv names a file to write a CPU profile of the whole run to, for
// `go tool pprof` (cmd/bench sets it with -profile). A developer's aid: it
// is read at start and never passed on.
const ProfileEnv = "TERMATRIX_CPUPROFILE"

// startProfile starts the CPU profile path asks for ("" does nothing) and
// returns the function that ends it.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("CPU profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
