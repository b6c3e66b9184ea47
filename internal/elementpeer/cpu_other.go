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
