package teststack

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

// Ports for the stack's servers come from [portLo, portHi), below Linux's
// ephemeral range (32768+): there, outgoing connections never take a port
// Dendrite must bind again after a restart. TURN relays use
// [relayLo, relayHi), also below it.
const (
	portLo  = 10000
	portHi  = 20000
	relayLo = 20000
	relayHi = 32000
)

// A port that was free a moment ago is not yet taken: Dendrite and coturn
// bind it later, and Dendrite lets go of it while it restarts. Stacks in
// other test binaries (go test -p 2 runs two packages at once) could pick
// it in between, and then one stack's clients would talk to another's
// Dendrite. So each port a stack uses is also reserved with an exclusive
// lock on a file named after it in a directory all test processes share;
// the lock lasts until the stack closes (or its process dies).

// portLockDir is where the port lock files live.
func portLockDir() string {
	return filepath.Join(os.TempDir(), "termatrix-ports-"+strconv.Itoa(os.Getuid()))
}

// reservePort locks port for this stack; false if another stack holds it.
func (s *Stack) reservePort(port int) bool {
	dir := portLockDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return true // no locking possible: fall back to probing alone
	}
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(port)), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return true
	}
	if !tryLock(f) {
		f.Close()
		return false
	}
	s.portMu.Lock()
	s.portLocks = append(s.portLocks, f)
	s.portMu.Unlock()
	return true
}

// releasePorts gives up the stack's port reservations.
func (s *Stack) releasePorts() {
	s.portMu.Lock()
	defer s.portMu.Unlock()
	for _, f := range s.portLocks {
		f.Close() // closing the file drops its lock
	}
	s.portLocks = nil
}

// freeTCPPort returns a TCP port on 127.0.0.1 that is free and reserved
// for this stack.
func (s *Stack) freeTCPPort() (int, error) {
	for range 100 {
		port := portLo + rand.IntN(portHi-portLo)
		if !s.reservePort(port) {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			l.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("finding a free TCP port in [%d, %d): none in 100 tries", portLo, portHi)
}

// freeTCPUDPPort returns a port free for both TCP and UDP on 127.0.0.1,
// as coturn listens on both, reserved for this stack.
func (s *Stack) freeTCPUDPPort() (int, error) {
	for range 100 {
		port := portLo + rand.IntN(portHi-portLo)
		if !s.reservePort(port) {
			continue
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		u, err := net.ListenPacket("udp", addr)
		l.Close()
		if err == nil {
			u.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("finding a port free for TCP and UDP in [%d, %d): none in 100 tries", portLo, portHi)
}

// relayPortRange picks a range of UDP ports for TURN relays. Overlaps
// between stacks are harmless: coturn skips ports in use.
func relayPortRange() (lo, hi int) {
	const size = 200
	lo = relayLo + rand.IntN(relayHi-relayLo-size)
	return lo, lo + size - 1
}
