package browser

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// envDumper writes a script that saves its environment to a file and
// returns the script and the file.
func envDumper(t *testing.T, dir, name string) (script, out string) {
	t.Helper()
	out = filepath.Join(dir, name+".env")
	script = filepath.Join(dir, name)
	body := "#!/bin/sh\n/usr/bin/env > '" + out + "'\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, out
}

// waitFile waits for a file a child writes.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return string(b)
		}
	}
	t.Fatalf("%s was never written", path)
	return ""
}

// TestBrowsersGetNoSecrets: the configured command, $BROWSER and the
// system opener (xdg-open) all run with an explicit environment without
// $TERMATRIX_PASSWORD or any other secret of ours, even one set again
// after the start took it.
func TestBrowsersGetNoSecrets(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("shell scripts")
	}
	if _, err := os.Stat("/usr/bin/env"); err != nil {
		t.Skip("no /usr/bin/env")
	}
	dir := t.TempDir()
	t.Setenv("TERMATRIX_PASSWORD", "hunter2-secret")
	t.Setenv("TERMATRIX_ACCESS_TOKEN", "syt_secret_token")
	t.Setenv("TERMATRIX_TEST_MARKER", "kept")
	t.Setenv("PATH", dir) // the fake xdg-open below is the only opener
	cmd, cmdOut := envDumper(t, dir, "configured")
	brw, brwOut := envDumper(t, dir, "fromenv")
	_, xdgOut := envDumper(t, dir, "xdg-open")
	for _, tc := range []struct {
		name string
		opts Options
		out  string
	}{
		{"configured command", Options{Setting: cmd + " %s", Env: envOf(nil)}, cmdOut},
		{"$BROWSER", Options{Env: envOf(map[string]string{"BROWSER": brw, "DISPLAY": ":0"})}, brwOut},
		{"xdg-open", Options{Env: envOf(map[string]string{"DISPLAY": ":0"})}, xdgOut},
	} {
		tc.opts.GOOS, tc.opts.Grace = "linux", 200*time.Millisecond
		if err := New(tc.opts).Open(context.Background(), testURL); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		env := waitFile(t, tc.out)
		for _, kv := range strings.Split(env, "\n") {
			if strings.Contains(kv, "hunter2") || strings.Contains(kv, "syt_secret") {
				t.Errorf("%s inherited a secret: %s", tc.name, kv)
			}
		}
		if !strings.Contains(env, "TERMATRIX_TEST_MARKER=kept") {
			t.Errorf("%s lost the rest of the environment", tc.name)
		}
	}
}
