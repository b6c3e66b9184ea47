package teststack

import (
	"archive/zip"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fileProxy writes a Go module proxy in dir serving module mod at version
// v with a main package in cmd/hello, and returns its GOPROXY value.
func fileProxy(t *testing.T, dir, mod, v string) string {
	t.Helper()
	at := filepath.Join(dir, filepath.FromSlash(mod), "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		t.Fatal(err)
	}
	gomod := "module " + mod + "\n\ngo 1.21\n"
	files := map[string]string{
		"list":      v + "\n",
		v + ".info": `{"Version":"` + v + `","Time":"2026-01-01T00:00:00Z"}`,
		v + ".mod":  gomod,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(at, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zf, err := os.Create(filepath.Join(at, v+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(zf)
	for name, body := range map[string]string{
		"go.mod":            gomod,
		"cmd/hello/main.go": "package main\n\nfunc main() { println(\"hello\") }\n",
	} {
		w, err := zw.Create(mod + "@" + v + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zf.Close(); err != nil {
		t.Fatal(err)
	}
	return "file://" + filepath.ToSlash(dir)
}

// TestInstallCached builds a tiny module from a local module proxy the way
// EnsureDendrite and EnsureLiveKit build theirs: two concurrent callers get
// the same working binary, a later call builds nothing, and a failed build
// leaves no bin directory behind.
func TestInstallCached(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	tmp := t.TempDir()
	modCache := filepath.Join(tmp, "modcache")
	t.Cleanup(func() { // the module cache is read-only; let TempDir remove it
		_ = filepath.WalkDir(modCache, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				_ = os.Chmod(p, 0o755)
			}
			return nil
		})
	})
	const mod, v = "example.invalid/tmhello", "v1.0.0"
	t.Setenv("GOPROXY", fileProxy(t, filepath.Join(tmp, "proxy"), mod, v))
	t.Setenv("GOSUMDB", "off")
	t.Setenv("GOMODCACHE", modCache)
	t.Setenv("TERMATRIX_CACHE", filepath.Join(tmp, "cache"))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	pkgs, tools := []string{mod + "/cmd/hello@" + v}, []string{"hello"}
	dirs := make([]string, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dirs[i], errs[i] = installCached(ctx, "hello-"+v, pkgs, tools)
		}()
	}
	wg.Wait()
	t.Logf("two concurrent installs done in %v", time.Since(start).Round(time.Millisecond))
	for i, err := range errs {
		if err != nil {
			t.Fatalf("install %d: %v", i, err)
		}
	}
	want := filepath.Join(tmp, "cache", "hello-"+v, "bin")
	if dirs[0] != want || dirs[1] != want {
		t.Fatalf("bin dirs %v, want %s", dirs, want)
	}
	bin := filepath.Join(want, "hello")
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "hello" {
		t.Fatalf("running the installed binary: %v %q", err, out)
	}
	before, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := installCached(ctx, "hello-"+v, pkgs, tools); err != nil {
		t.Fatal(err)
	}
	if after, err := os.Stat(bin); err != nil || !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("a cached install built again")
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "cache", "hello-"+v, "build-*")); len(left) != 0 {
		t.Errorf("build directories left: %v", left)
	}

	if _, err := installCached(ctx, "hello-v9", []string{mod + "/cmd/hello@v9.0.0"}, tools); err == nil {
		t.Fatal("installing a version the proxy does not have succeeded")
	}
	if _, err := os.Stat(filepath.Join(tmp, "cache", "hello-v9", "bin")); !os.IsNotExist(err) {
		t.Errorf("a failed build left a bin directory: %v", err)
	}
}
