//go:build !linux

package elementpeer

import (
	"errors"
	"time"
)

// CPUTime is the CPU the peer's processes have used so far; only Linux's
// /proc tells it.
func (p *Peer) CPUTime() (time.Duration, error) {
	return 0, errors.New("elementpeer: process CPU times need Linux's /proc")
}

// SelfCPUTime is the CPU the calling process has used so far; only Linux
// is measured.
func SelfCPUTime() (time.Duration, error) {
	return 0, errors.New("elementpeer: process CPU times are measured on Linux only")
}
