package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFileName is the lock file in a profile's data directory.
const LockFileName = "termatrix.lock"

// ErrProfileInUse is matched by the error LockProfile returns when another
// termatrix runs on the profile.
var ErrProfileInUse = errors.New("profile in use")

// ProfileInUseError says another termatrix holds the profile's lock.
type ProfileInUseError struct {
	Profile string
	PID     int // 0 if the holder has not written its pid yet
}

// Error names the running instance and what to do instead.
func (e *ProfileInUseError) Error() string {
	who := "another termatrix"
	if e.PID > 0 {
		who += fmt.Sprintf(" (pid %d)", e.PID)
	}
	return fmt.Sprintf("%s is already running on profile %q: two on one profile would split its messages between them; "+
		"quit that one, or start this one with --profile NAME for another account", who, e.Profile)
}

// Is makes errors.Is(err, ErrProfileInUse) true.
func (e *ProfileInUseError) Is(target error) bool { return target == ErrProfileInUse }

// ProfileLock is a held profile lock; Release lets it go. The kernel lets
// it go too when the process ends, however it ends.
type ProfileLock struct {
	f *os.File
}

// LockProfile takes the profile's advisory lock (flock on its lock file in
// dataDir, created with mode 0600) without waiting, and writes our pid
// into the file. If another process holds it, the error is a
// *ProfileInUseError naming that process's pid.
func LockProfile(dataDir, profile string) (*ProfileLock, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	path := filepath.Join(dataDir, LockFileName)
	// Go opens files close-on-exec, so no child (a browser) keeps the lock.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the profile lock: %w", err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking the profile: %w", err)
	}
	if !held {
		data, _ := os.ReadFile(path)
		f.Close()
		pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
		return nil, &ProfileInUseError{Profile: profile, PID: pid}
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &ProfileLock{f: f}, nil
}

// Release lets the lock go. It leaves the file: removing it would race
// with a process that has just opened it.
func (l *ProfileLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := l.f.Close() // closing the last descriptor drops the flock
	l.f = nil
	return err
}
