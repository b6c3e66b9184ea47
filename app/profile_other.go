//go:build !unix

package app

// watchProfileSignal does nothing where there is no SIGUSR1: the profile
// covers the whole run.
func watchProfileSignal(func()) (unwatch func()) { return func() {} }
