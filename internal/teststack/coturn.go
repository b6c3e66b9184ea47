package teststack

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// startCoturn starts Debian's turnserver on free ports of 127.0.0.1 with a
// shared auth secret, and waits until it accepts TCP connections.
func (s *Stack) startCoturn(ctx context.Context) (*turnSettings, error) {
	bin, err := exec.LookPath("turnserver")
	if err != nil {
		return nil, fmt.Errorf("coturn's turnserver is not installed (./scripts/test installs it): %w", err)
	}
	port, err := s.freeTCPUDPPort()
	if err != nil {
		return nil, err
	}
	lo, hi := relayPortRange()
	secret := randomSecret(16)
	start := time.Now()
	p, err := startProc("coturn", s.Dir, s.CoturnLogPath(), bin,
		"-n", "-L", "127.0.0.1", "-E", "127.0.0.1",
		"--listening-port", strconv.Itoa(port),
		"--min-port", strconv.Itoa(lo), "--max-port", strconv.Itoa(hi),
		"--use-auth-secret", "--static-auth-secret", secret,
		"--realm", "localhost",
		"--allow-loopback-peers", "--no-cli", "--no-tls", "--no-dtls", "--fingerprint",
		"--userdb", filepath.Join(s.Dir, "turndb"),
		"--log-file", "stdout",
		"--pidfile", filepath.Join(s.Dir, "turnserver.pid"))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.coturn = p
	s.mu.Unlock()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := waitTCP(ctx, addr, p, s.opts.StartTimeout); err != nil {
		return nil, err
	}
	s.CoturnStartup = time.Since(start)
	s.TURNAddr = addr
	s.TURNSecret = secret
	s.TURNURIs = []string{
		"turn:" + addr + "?transport=udp",
		"turn:" + addr + "?transport=tcp",
	}
	return &turnSettings{uris: s.TURNURIs, secret: secret}, nil
}

// waitTCP dials addr until it connects, p exits or timeout passes.
func waitTCP(ctx context.Context, addr string, p *proc, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	for {
		dctx, dcancel := context.WithTimeout(ctx, time.Second)
		c, err := d.DialContext(dctx, "tcp", addr)
		dcancel()
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-p.done:
			return p.exitError()
		case <-ctx.Done():
			return fmt.Errorf("%s did not listen on %s within %v: %w; last log lines:\n%s",
				p.name, addr, timeout, ctx.Err(), logTail(p.logPath, 40))
		case <-time.After(20 * time.Millisecond):
		}
	}
}
