//go:build !unix

package lkmedia

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
