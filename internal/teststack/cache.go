package teststack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// DendriteVersion is the Dendrite release the stack builds and runs.
const DendriteVersion = "v0.13.8"

// dendriteTools are the commands EnsureDendrite installs.
var dendriteTools = []string{"dendrite", "generate-keys", "generate-config", "create-account"}

// CacheDir returns the directory where termatrix caches test tools:
// $TERMATRIX_CACHE, else $XDG_CACHE_HOME/termatrix, else ~/.cache/termatrix.
func CacheDir() (string, error) {
	if d := os.Getenv("TERMATRIX_CACHE"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "termatrix"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache directory: %w", err)
	}
	return filepath.Join(home, ".cache", "termatrix"), nil
}

// EnsureDendrite returns the directory holding the Dendrite binaries
// (dendrite, generate-keys, generate-config, create-account), building them
// with `go install` on first use. A file lock keeps parallel test binaries
// from building twice, and the binaries appear atomically (built in a
// temporary directory, then renamed).
func EnsureDendrite(ctx context.Context) (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	base := filepath.Join(cache, "dendrite-"+DendriteVersion)
	binDir := filepath.Join(base, "bin")
	if haveTools(binDir) {
		return binDir, nil
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("creating the dendrite cache: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(base, "build.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if haveTools(binDir) { // someone else built it while we waited
		return binDir, nil
	}
	tmp, err := os.MkdirTemp(base, "build-*")
	if err != nil {
		return "", fmt.Errorf("creating the dendrite build directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	tmpBin := filepath.Join(tmp, "bin")
	args := []string{"install"}
	for _, t := range dendriteTools {
		args = append(args, "github.com/matrix-org/dendrite/cmd/"+t+"@"+DendriteVersion)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = tmp // outside any module, so our go.mod plays no part
	cmd.Env = append(os.Environ(), "GOBIN="+tmpBin, "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building dendrite %s: %w\n%s", DendriteVersion, err, tail(out, 4000))
	}
	_ = os.RemoveAll(binDir) // a partial directory left by hand
	if err := os.Rename(tmpBin, binDir); err != nil {
		return "", fmt.Errorf("installing the dendrite binaries: %w", err)
	}
	return binDir, nil
}

func haveTools(dir string) bool {
	for _, t := range dendriteTools {
		fi, err := os.Stat(filepath.Join(dir, t))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// lockFile takes an exclusive flock on path, waiting until ctx ends.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for lock %s: %w", path, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// tail returns at most the last n bytes of b as a string.
func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
