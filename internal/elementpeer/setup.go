package elementpeer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// InteropDir returns the repository's interop/ directory: $TERMATRIX_INTEROP_DIR
// if set, otherwise found from this package's source location.
func InteropDir() (string, error) {
	if d := os.Getenv("TERMATRIX_INTEROP_DIR"); d != "" {
		return d, nil
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("elementpeer: cannot find the package's source directory")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..", "interop")
	if _, err := os.Stat(filepath.Join(dir, "peer.mjs")); err != nil {
		return "", fmt.Errorf("elementpeer: interop driver not found (set TERMATRIX_INTEROP_DIR): %w", err)
	}
	return filepath.Clean(dir), nil
}

// Prepare makes interop/ ready to run: `npm ci` if its node_modules lacks the
// packages, and the browser bundle rebuilt if a source is newer. It holds a
// file lock meanwhile, so test packages running in parallel wait for each
// other instead of installing or bundling over one another.
func Prepare(ctx context.Context, dir string) error {
	lock, err := os.OpenFile(filepath.Join(dir, "node_modules.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("elementpeer: opening the interop lock: %w", err)
	}
	defer lock.Close()
	if err := lockFile(lock); err != nil {
		return fmt.Errorf("elementpeer: locking interop/: %w", err)
	}
	defer unlockFile(lock)

	needed := []string{"matrix-js-sdk", "livekit-client", "playwright-core", "esbuild"}
	missing := false
	for _, pkg := range needed {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			missing = true
		}
	}
	if missing {
		if err := run(ctx, dir, "npm", "ci", "--no-audit", "--no-fund"); err != nil {
			return fmt.Errorf("elementpeer: installing interop's npm packages: %w", err)
		}
	}
	if err := run(ctx, dir, "node", "-e", `import("./build.mjs").then(async (b) => { await b.ensureBuilt(); })`); err != nil {
		return fmt.Errorf("elementpeer: bundling matrix-js-sdk: %w", err)
	}
	return nil
}

// run runs a command in dir and returns its output's tail on failure.
func run(ctx context.Context, dir, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		b := out.Bytes()
		if len(b) > 2000 {
			b = b[len(b)-2000:]
		}
		return fmt.Errorf("%s: %w\n%s", name, err, b)
	}
	return nil
}
