package teststack

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// FaultProxy is a loopback TCP proxy between clients and the homeserver
// that a test can break: Pause holds every connection (old and new) open
// without passing a byte either way, as a stalled network or a hung
// server does; Resume lets the held bytes through; Drop closes every open
// connection at once, as a network change or a reset does.
type FaultProxy struct {
	target   string
	listener net.Listener

	mu     sync.Mutex
	open   chan struct{} // closed while the proxy passes bytes
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// NewFaultProxy listens on a free loopback port and forwards every
// connection to target (host:port).
func NewFaultProxy(target string) (*FaultProxy, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fault proxy: listening: %w", err)
	}
	p := &FaultProxy{target: target, listener: l, open: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	close(p.open)
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// FaultProxyForTest puts a FaultProxy in front of the stack's BaseURL and
// closes it when the test ends.
func (s *Stack) FaultProxyForTest(tb testing.TB) *FaultProxy {
	tb.Helper()
	u, err := url.Parse(s.BaseURL)
	if err != nil {
		tb.Fatalf("fault proxy: %v", err)
	}
	p, err := NewFaultProxy(u.Host)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}

// URL is the proxy's base URL, to use as the homeserver URL.
func (p *FaultProxy) URL() string { return "http://" + p.listener.Addr().String() }

// Pause stops passing bytes: connections stay open and new ones are
// accepted, but nothing reaches either side until Resume.
func (p *FaultProxy) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
		p.open = make(chan struct{})
	default: // already paused
	}
}

// Resume passes bytes again, the held ones first.
func (p *FaultProxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
	default:
		close(p.open)
	}
}

// Drop closes every open connection (both sides) and returns how many
// client connections it closed. New connections are accepted as before.
func (p *FaultProxy) Drop() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c := range p.conns {
		_ = c.Close()
		n++
	}
	clear(p.conns)
	return n / 2
}

// Close stops the proxy and closes its connections.
func (p *FaultProxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	_ = p.listener.Close()
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
	select {
	case <-p.open:
	default:
		close(p.open)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *FaultProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.listener.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// serve connects one client to the target and pumps both ways.
func (p *FaultProxy) serve(client net.Conn) {
	defer p.wg.Done()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = client.Close()
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = client.Close()
		_ = up.Close()
		return
	}
	p.conns[client] = struct{}{}
	p.conns[up] = struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { p.pump(up, client); done <- struct{}{} }()
	go func() { p.pump(client, up); done <- struct{}{} }()
	<-done
	_ = client.Close()
	_ = up.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, up)
	p.mu.Unlock()
}

// pump copies src to dst, holding each chunk while the proxy is paused.
func (p *FaultProxy) pump(dst, src net.Conn) {
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			gate := p.open
			p.mu.Unlock()
			<-gate
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return
			}
			// Half-close: pass the end on, keep the other way open.
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			return
		}
	}
}
