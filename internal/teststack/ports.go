package teststack

import (
	"fmt"
	"math/rand/v2"
	"net"
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

// freeTCPPort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freeTCPPort() (int, error) {
	for range 100 {
		port := portLo + rand.IntN(portHi-portLo)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			l.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("finding a free TCP port in [%d, %d): none in 100 tries", portLo, portHi)
}

// freeTCPUDPPort returns a port free for both TCP and UDP on 127.0.0.1,
// as coturn listens on both.
func freeTCPUDPPort() (int, error) {
	for range 100 {
		port := portLo + rand.IntN(portHi-portLo)
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
