package lkmedia

import (
	"context"
	"errors"
	"sync"

	"github.com/termatrix/termatrix/calls/audio"
	"github.com/termatrix/termatrix/calls/rtc"
)

// Dialer opens LiveKit connections that all play into one sink.
type Dialer struct {
	mixer *mixer

	mu     sync.Mutex
	conns  map[*conn]struct{}
	closed bool
}

// NewDialer returns a MediaDialer whose connections' remote audio is
// mixed into sink, one 20 ms frame at a time. The sink stays the
// caller's: Close stops writing to it but does not close it.
func NewDialer(sink audio.Sink) rtc.MediaDialer {
	return newDialer(sink)
}

func newDialer(sink audio.Sink) *Dialer {
	return &Dialer{mixer: newMixer(sink), conns: map[*conn]struct{}{}}
}

// Dial joins the LiveKit room of cfg.Token on cfg.URL.
func (d *Dialer) Dial(ctx context.Context, cfg rtc.MediaConfig) (rtc.Media, error) {
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return nil, errors.New("livekit: dialer closed")
	}
	m, err := dial(ctx, d, cfg)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		_ = m.Close()
		return nil, errors.New("livekit: dialer closed")
	}
	d.conns[m] = struct{}{}
	d.mu.Unlock()
	return m, nil
}

// forget drops a closed connection.
func (d *Dialer) forget(m *conn) {
	d.mu.Lock()
	delete(d.conns, m)
	d.mu.Unlock()
}

// Close closes the connections still open and stops the output.
func (d *Dialer) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	conns := make([]*conn, 0, len(d.conns))
	for m := range d.conns {
		conns = append(conns, m)
	}
	d.mu.Unlock()
	var errs []error
	for _, m := range conns {
		errs = append(errs, m.Close())
	}
	d.mixer.close()
	return errors.Join(errs...)
}
