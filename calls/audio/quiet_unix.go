//go:build cgo && unix

package audio

import (
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

var stderrMu sync.Mutex

// quietStderr points file descriptor 2 at /dev/null until the returned
// function is called. Audio libraries (ALSA above all) print their
// complaints there, which would scribble over a full-screen terminal UI;
// what went wrong still reaches the user as the returned error.
func quietStderr() func() {
	stderrMu.Lock()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		stderrMu.Unlock()
		return func() {}
	}
	saved, err := unix.Dup(2)
	if err != nil {
		null.Close()
		stderrMu.Unlock()
		return func() {}
	}
	if err := unix.Dup2(int(null.Fd()), 2); err != nil {
		unix.Close(saved)
		null.Close()
		stderrMu.Unlock()
		return func() {}
	}
	return func() {
		_ = unix.Dup2(saved, 2)
		unix.Close(saved)
		null.Close()
		stderrMu.Unlock()
	}
}
