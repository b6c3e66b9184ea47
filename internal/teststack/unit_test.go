package teststack

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCacheDirPrecedence(t *testing.T) {
	t.Setenv("TERMATRIX_CACHE", "/a")
	t.Setenv("XDG_CACHE_HOME", "/b")
	t.Setenv("HOME", "/c")
	if d, _ := CacheDir(); d != "/a" {
		t.Errorf("with TERMATRIX_CACHE: %s", d)
	}
	t.Setenv("TERMATRIX_CACHE", "")
	if d, _ := CacheDir(); d != "/b/termatrix" {
		t.Errorf("with XDG_CACHE_HOME: %s", d)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	if d, _ := CacheDir(); d != "/c/.cache/termatrix" {
		t.Errorf("with HOME only: %s", d)
	}
}

func TestSetPath(t *testing.T) {
	m := map[string]any{"a": map[string]any{"b": map[string]any{"c": 1}}}
	if err := setPath(m, "a.b.c", 2); err != nil {
		t.Fatal(err)
	}
	if m["a"].(map[string]any)["b"].(map[string]any)["c"] != 2 {
		t.Fatalf("not set: %v", m)
	}
	if err := setPath(m, "a.x.c", 2); err == nil {
		t.Fatal("missing parent accepted")
	}
}

func TestLogTail(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log")
	var b strings.Builder
	for i := range 100 {
		b.WriteString(strings.Repeat("x", i%7) + "line\n")
	}
	b.WriteString("last line\n")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	got := logTail(p, 3)
	if strings.Count(got, "\n") != 3 || !strings.HasSuffix(got, "last line\n") {
		t.Fatalf("tail = %q", got)
	}
}

// TestLockFileExcludes checks that the build lock admits one holder at a
// time, so parallel test binaries never build Dendrite twice at once.
func TestLockFileExcludes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock")
	ctx := context.Background()
	var mu sync.Mutex
	holders, maxHolders := 0, 0
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := lockFile(ctx, p)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			holders++
			maxHolders = max(maxHolders, holders)
			mu.Unlock()
			time.Sleep(30 * time.Millisecond)
			mu.Lock()
			holders--
			mu.Unlock()
			unlock()
		}()
	}
	wg.Wait()
	if maxHolders != 1 {
		t.Fatalf("%d holders at once", maxHolders)
	}
	unlock, err := lockFile(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := lockFile(short, p); err == nil {
		t.Fatal("second lock taken while held")
	}
}

// TestPortReservedUntilClose: a port one stack picked is never picked by
// another stack until the first closes, even while nothing listens on it.
func TestPortReservedUntilClose(t *testing.T) {
	a, b := &Stack{}, &Stack{}
	port, err := a.freeTCPPort()
	if err != nil {
		t.Fatal(err)
	}
	if b.reservePort(port) {
		b.releasePorts()
		t.Fatalf("port %d reserved twice", port)
	}
	a.releasePorts()
	if !b.reservePort(port) {
		t.Fatalf("port %d still reserved after release", port)
	}
	b.releasePorts()
}
