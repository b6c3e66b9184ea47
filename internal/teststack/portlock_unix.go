//go:build unix

package teststack

import (
	"os"
	"syscall"
)

// tryLock takes an exclusive lock on f without waiting; false if another
// process holds it.
func tryLock(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
