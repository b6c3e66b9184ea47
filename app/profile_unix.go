//go:build unix

package app

import (
	"os"
	"os/signal"
	"syscall"
)

// watchProfileSignal calls next at each SIGUSR1 until the returned function
// is called.
func watchProfileSignal(next func()) (unwatch func()) {
	ch := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(ch, syscall.SIGUSR1)
	go func() {
		for {
			select {
			case <-ch:
				next()
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
