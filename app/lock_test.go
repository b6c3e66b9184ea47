package app

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestProfileLockIsExclusive: a second lock on the same profile is
// refused at once, naming the holder's pid; another profile is not
// affected; after Release the profile can be locked again.
func TestProfileLockIsExclusive(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
	base := t.TempDir()
	a, err := LockProfile(filepath.Join(base, "a"), "a")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = LockProfile(filepath.Join(base, "a"), "a")
	var inUse *ProfileInUseError
	if !errors.As(err, &inUse) || !errors.Is(err, ErrProfileInUse) || inUse.PID != os.Getpid() {
		t.Fatalf("second lock: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("the refusal took %v: it must not wait", d)
	}
	for _, want := range []string{`profile "a"`, fmt.Sprintf("pid %d", os.Getpid()), "--profile"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	b, err := LockProfile(filepath.Join(base, "b"), "b")
	if err != nil {
		t.Fatalf("another profile: %v", err)
	}
	defer b.Release()
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := LockProfile(filepath.Join(base, "a"), "a")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again.Release()
}

// lockHelperEnv makes the test binary a process that holds a profile lock
// (see TestHelperHoldLock).
const lockHelperEnv = "TERMATRIX_TEST_LOCK_DIR"

// TestHelperHoldLock is not a test: run with lockHelperEnv set, it locks
// that profile, says "locked" and waits to be killed.
func TestHelperHoldLock(t *testing.T) {
	dir := os.Getenv(lockHelperEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	if _, err := LockProfile(dir, "other"); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	time.Sleep(time.Minute)
	os.Exit(0)
}

// TestSecondInstanceIsRefused: while another process holds the profile,
// Main refuses to start on it (exit 1, naming that process's pid) before
// anything else; when that process dies without releasing (SIGKILL, as a
// crash), the kernel frees the lock and the profile can be taken.
func TestSecondInstanceIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dir := filepath.Join(data, "termatrix", "other")

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper: %q", line)
	}

	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := Main([]string{"--profile", "other"}, defaults(t), "test", &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), fmt.Sprintf("pid %d", cmd.Process.Pid)) ||
		!strings.Contains(stderr.String(), "already running") {
		t.Fatalf("second instance: exit %d, %q", code, stderr.String())
	}
	t.Logf("refused in %v: %s", time.Since(start), strings.TrimSpace(stderr.String()))

	// A crash: the kernel drops the lock with the process.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killed = true
	l, err := LockProfile(dir, "other")
	if err != nil {
		t.Fatalf("after the holder died: %v", err)
	}
	l.Release()
}
