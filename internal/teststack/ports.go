package teststack

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
)

// freeTCPPort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freeTCPPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// freeTCPUDPPort returns a port free for both TCP and UDP on 127.0.0.1,
// as coturn listens on both.
func freeTCPUDPPort() (int, error) {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("finding a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		l.Close()
		if err == nil {
			u.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("finding a port free for both TCP and UDP: none in 50 tries")
}

// relayPortRange picks a range of UDP ports for TURN relays below Linux's
// ephemeral range (32768+), so it rarely meets ports others picked with :0.
// Overlaps between stacks are harmless: coturn skips ports in use.
func relayPortRange() (lo, hi int) {
	const size = 200
	lo = 20000 + rand.IntN(12000-size)
	return lo, lo + size - 1
}
