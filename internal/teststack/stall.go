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

// StallProxy is a loopback TCP proxy in front of the homeserver that can
// stall: while stalled it still accepts connections and reads what
// clients send, but forwards nothing either way, so requests hang without
// an error, as behind a dead link or a wedged server. Resume lets the held
// bytes through, in order. Point a client at URL.
type StallProxy struct {
	target   string
	listener net.Listener

	mu      sync.Mutex
	stalled chan struct{} // non-nil while stalled; closed by Resume
	conns   map[net.Conn]struct{}
	closed  bool
	wg      sync.WaitGroup
}

// NewStallProxy listens on 127.0.0.1 and forwards to the host of baseURL
// (an http:// URL, such as Stack.BaseURL).
func NewStallProxy(baseURL string) (*StallProxy, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" || u.Scheme != "http" {
		return nil, fmt.Errorf("stall proxy: target %q is not an http:// URL", baseURL)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("stall proxy: listening: %w", err)
	}
	p := &StallProxy{target: u.Host, listener: l, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// StallProxyFor is NewStallProxy in front of st, closed when tb ends.
func StallProxyFor(tb testing.TB, st *Stack) *StallProxy {
	tb.Helper()
	p, err := NewStallProxy(st.BaseURL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}

// URL is the proxy's base URL.
func (p *StallProxy) URL() string { return "http://" + p.listener.Addr().String() }

// Stall holds every byte from now on, on open and new connections.
func (p *StallProxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stalled == nil {
		p.stalled = make(chan struct{})
	}
}

// Resume lets held and new bytes through again.
func (p *StallProxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stalled != nil {
		close(p.stalled)
		p.stalled = nil
	}
}

// Close stops listening and closes every connection.
func (p *StallProxy) Close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.Resume()
	_ = p.listener.Close()
	p.wg.Wait()
}

// gate waits while the proxy is stalled; false once it is closed.
func (p *StallProxy) gate() bool {
	for {
		p.mu.Lock()
		ch, closed := p.stalled, p.closed
		p.mu.Unlock()
		if closed {
			return false
		}
		if ch == nil {
			return true
		}
		<-ch
	}
}

// track remembers c for Close; false if the proxy is closed already.
func (p *StallProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *StallProxy) forget(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

func (p *StallProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.listener.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// serve connects c to the target once the proxy is not stalled and copies
// both ways through the gate.
func (p *StallProxy) serve(c net.Conn) {
	defer p.wg.Done()
	defer p.forget(c)
	if !p.gate() {
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	if !p.track(up) {
		return
	}
	defer p.forget(up)
	done := make(chan struct{}, 2)
	go func() { p.pipe(up, c); done <- struct{}{} }()
	go func() { p.pipe(c, up); done <- struct{}{} }()
	<-done
	// One side ended: end both, so the other copy returns too.
	_ = c.Close()
	_ = up.Close()
	<-done
}

// pipe copies src to dst, holding each chunk while the proxy is stalled.
func (p *StallProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.gate() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return
			}
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			return
		}
	}
}
