//go:build !unix

package app

import "os"

// tryLock cannot lock on this system: every start gets the profile.
func tryLock(*os.File) (bool, error) { return true, nil }
