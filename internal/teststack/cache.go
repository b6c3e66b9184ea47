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
// with `go install` on first use (see installCached).
func EnsureDendrite(ctx context.Context) (string, error) {
	pkgs := make([]string, len(dendriteTools))
	for i, t := range dendriteTools {
		pkgs[i] = "github.com/matrix-org/dendrite/cmd/" + t + "@" + DendriteVersion
	}
	return installCached(ctx, "dendrite-"+DendriteVersion, pkgs, dendriteTools)
}

// installCached returns CacheDir()/name/bin, first building pkgs into it
// with `go install` unless every one of tools is already there. A file lock
// keeps parallel test binaries from building twice, and the binaries appear
// atomically: built into a temporary directory, then renamed.
func installCached(ctx context.Context, name string, pkgs, tools []string) (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	base := filepath.Join(cache, name)
	binDir := filepath.Join(base, "bin")
	if haveTools(binDir, tools) {
		return binDir, nil
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("creating the %s cache: %w", name, err)
	}
	unlock, err := lockFile(ctx, filepath.Join(base, "build.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if haveTools(binDir, tools) { // someone else built it while we waited
		return binDir, nil
	}
	tmp, err := os.MkdirTemp(base, "build-*")
	if err != nil {
		return "", fmt.Errorf("creating the %s build directory: %w", name, err)
	}
	defer os.RemoveAll(tmp)
	tmpBin := filepath.Join(tmp, "bin")
	cmd := exec.CommandContext(ctx, "go", append([]string{"install"}, pkgs...)...)
	cmd.Dir = tmp // outside any module, so our go.mod plays no part
	cmd.Env = append(os.Environ(), "GOBIN="+tmpBin, "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building %s: %w\n%s", name, err, tail(out, 4000))
	}
	_ = os.RemoveAll(binDir) // a partial directory left by hand
	if err := os.Rename(tmpBin, binDir); err != nil {
		return "", fmt.Errorf("installing the %s binaries: %w", name, err)
	}
	return binDir, nil
}

// haveTools reports whether every tool is an executable file in dir.
func haveTools(dir string, tools []string) bool {
	for _, t := range tools {
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
