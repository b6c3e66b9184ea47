package teststack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ServerName is the Matrix server name of every test stack: user IDs look
// like @alice:localhost.
const ServerName = "localhost"

// Options configures a stack.
type Options struct {
	// TURN also starts coturn and makes Dendrite hand out its credentials
	// from /voip/turnServer.
	TURN bool
	// FrontPort, if non-zero, is the port of the front (BaseURL) instead of
	// a free one. Useful when starting a stack by hand.
	FrontPort int
	// LogLevel is Dendrite's log level (default "info").
	LogLevel string
	// StartTimeout bounds each wait for Dendrite or coturn to answer
	// (default 60 s).
	StartTimeout time.Duration
	// DendriteConfig sets further keys of dendrite.yaml, by dotted path
	// (e.g. "client_api.registration_disabled": true). Parents must exist.
	DendriteConfig map[string]any
	// LiveKit also starts a LiveKit SFU (livekit-server, built once and
	// cached) and a JWT service for it (package sfujwt), and advertises the
	// service as the homeserver's MatrixRTC transport: in the well-known
	// document (org.matrix.msc4143.rtc_foci) and at the rtc/transports
	// endpoints, which the front answers itself.
	LiveKit bool
	// NoRTCTransportsEndpoint makes the front answer the rtc/transports
	// endpoints with 404 M_UNRECOGNIZED, like a homeserver without MSC4143,
	// so that clients fall back to the well-known document.
	NoRTCTransportsEndpoint bool
	// KeepDir keeps the stack's directory (config, data, logs) after Close.
	// The environment variable TERMATRIX_KEEP_STACK=1 does the same.
	KeepDir bool
}

// Stack is a running test homeserver, optionally with coturn, behind a
// front on a fixed address.
type Stack struct {
	// BaseURL is the homeserver URL clients use (the front), e.g.
	// http://127.0.0.1:40123. It stays the same across StopHomeserver and
	// StartHomeserver.
	BaseURL string
	// TURNAddr is coturn's host:port (UDP and TCP), empty without TURN.
	TURNAddr string
	// TURNSecret is coturn's shared auth secret, empty without TURN.
	TURNSecret string
	// TURNURIs are the URIs Dendrite hands out, empty without TURN.
	TURNURIs []string
	// Dir is the stack's temporary directory (config, data, logs).
	Dir string
	// CoturnStartup is how long coturn took to listen (zero without TURN).
	CoturnStartup time.Duration
	// LiveKitURL is the SFU's WebSocket URL (ws://127.0.0.1:PORT), empty
	// without Options.LiveKit.
	LiveKitURL string
	// LiveKitKey and LiveKitSecret are the SFU's API key and secret.
	LiveKitKey, LiveKitSecret string
	// RTCServiceURL is the JWT service's base URL (POST RTCServiceURL +
	// "/sfu/get"), the livekit_service_url the stack advertises.
	RTCServiceURL string
	// LiveKitStartup is how long livekit-server took to answer HTTP.
	LiveKitStartup time.Duration
	// DendriteStartup is how long Dendrite last took to answer
	// /_matrix/client/versions after being launched.
	DendriteStartup time.Duration

	opts       Options
	binDir     string
	configPath string
	httpPort   int
	httpsPort  int
	front      *front

	mu       sync.Mutex
	dendrite *proc
	coturn   *proc
	livekit  *proc

	jwtServer *http.Server

	portMu    sync.Mutex
	portLocks []*os.File // see reservePort

	users     atomic.Int64
	closeOnce sync.Once
}

// Start builds Dendrite (and livekit-server with opts.LiveKit) if needed,
// then starts coturn (with opts.TURN), livekit-server and its JWT service
// (with opts.LiveKit), Dendrite and the front, and waits until the homeserver answers.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	if opts.LogLevel == "" {
		opts.LogLevel = "info"
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	binDir, err := EnsureDendrite(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "termatrix-stack-*")
	if err != nil {
		return nil, fmt.Errorf("creating the stack directory: %w", err)
	}
	s := &Stack{Dir: dir, opts: opts, binDir: binDir}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	var turn *turnSettings
	if opts.TURN {
		if turn, err = s.startCoturn(ctx); err != nil {
			return nil, err
		}
	}
	if opts.LiveKit {
		if err = s.startLiveKit(ctx); err != nil {
			return nil, err
		}
	}
	if s.configPath, err = writeDendriteConfig(ctx, binDir, dir, opts.LogLevel, turn, opts.DendriteConfig); err != nil {
		return nil, err
	}
	if s.httpPort, err = s.freeTCPPort(); err != nil {
		return nil, err
	}
	if s.httpsPort, err = s.freeTCPPort(); err != nil {
		return nil, err
	}
	target := &url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(s.httpPort)}
	frontPort := opts.FrontPort
	if frontPort == 0 {
		if frontPort, err = s.freeTCPPort(); err != nil {
			return nil, err
		}
	}
	if s.front, err = newFront(target, frontPort); err != nil {
		return nil, err
	}
	s.BaseURL = s.front.url()
	wellKnown := map[string]any{"m.homeserver": map[string]any{"base_url": s.BaseURL}}
	if opts.LiveKit {
		if err = s.startJWTService(); err != nil {
			return nil, err
		}
		wellKnown["org.matrix.msc4143.rtc_foci"] = []any{s.rtcTransport()}
		if err = s.front.setRTCTransports([]any{s.rtcTransport()}); err != nil {
			return nil, err
		}
	}
	s.SetRTCTransportsEndpoint(!opts.NoRTCTransportsEndpoint)
	if err = s.SetClientWellKnown(wellKnown); err != nil {
		return nil, err
	}
	if err = s.StartHomeserver(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// HomeserverURL returns Dendrite's own address, bypassing the front. Most
// tests want BaseURL instead.
func (s *Stack) HomeserverURL() string {
	return "http://127.0.0.1:" + strconv.Itoa(s.httpPort)
}

// SetClientWellKnown sets the JSON document the front serves at
// /.well-known/matrix/client; nil makes it answer 404. The default is
// {"m.homeserver":{"base_url": BaseURL}}, with Options.LiveKit also
// {"org.matrix.msc4143.rtc_foci":[{"type":"livekit","livekit_service_url":
// RTCServiceURL}]}.
func (s *Stack) SetClientWellKnown(doc map[string]any) error {
	if doc == nil {
		s.front.mu.Lock()
		s.front.wellKnown = nil
		s.front.mu.Unlock()
		return nil
	}
	return s.front.setWellKnown(doc)
}

// LogTail returns about the last n lines of Dendrite's log, and a third as
// many of coturn's and livekit-server's if they run, for a failing test to show.
func (s *Stack) LogTail(n int) string {
	out := "--- dendrite log (" + s.DendriteLogPath() + "):\n" + logTail(s.DendriteLogPath(), n)
	if s.TURNAddr != "" {
		out += "\n--- coturn log (" + s.CoturnLogPath() + "):\n" + logTail(s.CoturnLogPath(), max(n/3, 5))
	}
	if s.LiveKitURL != "" {
		out += "\n--- livekit log (" + s.LiveKitLogPath() + "):\n" + logTail(s.LiveKitLogPath(), max(n/3, 5))
	}
	return out
}

// DendriteLogPath returns the file Dendrite logs to.
func (s *Stack) DendriteLogPath() string { return filepath.Join(s.Dir, "dendrite.log") }

// CoturnLogPath returns the file coturn logs to.
func (s *Stack) CoturnLogPath() string { return filepath.Join(s.Dir, "coturn.log") }

// StartHomeserver starts Dendrite (again) with the same data and internal
// port, and waits until it answers /_matrix/client/versions.
//
// Dendrite v0.13.8 can crash while it starts on a data dir whose internal
// queue still holds room events (its federation consumer replays them
// before the room server is wired up: a nil pointer in
// QueryMembershipsForRoom). A start that dies that way, before or just after
// answering, is tried again, as a supervisor would.
func (s *Stack) StartHomeserver(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dendrite != nil && !s.dendrite.exited() {
		return errors.New("homeserver already running")
	}
	start := time.Now()
	defer func() { s.DendriteStartup = time.Since(start) }()
	const attempts = 3
	var err error
	for i := 0; i < attempts; i++ {
		if err = s.startDendriteOnce(ctx); err == nil || ctx.Err() != nil {
			return err
		}
	}
	return fmt.Errorf("dendrite did not stay up in %d starts: %w", attempts, err)
}

// startDendriteOnce starts Dendrite, waits until it answers, and checks
// that it is still running a moment later.
func (s *Stack) startDendriteOnce(ctx context.Context) error {
	p, err := startProc("dendrite", s.Dir, s.DendriteLogPath(), filepath.Join(s.binDir, "dendrite"),
		"-config", s.configPath,
		"-http-bind-address", "127.0.0.1:"+strconv.Itoa(s.httpPort),
		"-https-bind-address", "127.0.0.1:"+strconv.Itoa(s.httpsPort),
		"-really-enable-open-registration")
	if err != nil {
		return err
	}
	s.dendrite = p
	if err := waitHTTP(ctx, s.HomeserverURL()+"/_matrix/client/versions", p, s.opts.StartTimeout); err != nil {
		p.stop(time.Second)
		return err
	}
	select {
	case <-time.After(300 * time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}
	if p.exited() {
		return fmt.Errorf("dendrite exited right after starting; last log lines:\n%s", logTail(s.DendriteLogPath(), 40))
	}
	return nil
}

// StopHomeserver stops Dendrite (SIGTERM, then SIGKILL after 10 s). The
// front keeps its address and answers 502 until StartHomeserver.
func (s *Stack) StopHomeserver() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dendrite != nil {
		s.dendrite.stop(10 * time.Second)
	}
	if s.front != nil {
		s.front.dropConnections()
	}
}

// KillHomeserver kills Dendrite at once (SIGKILL), like a crash.
func (s *Stack) KillHomeserver() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dendrite != nil {
		s.dendrite.stop(0)
	}
	if s.front != nil {
		s.front.dropConnections()
	}
}

// Close stops everything and removes the stack's directory (unless
// Options.KeepDir or TERMATRIX_KEEP_STACK=1). It is safe to call more than
// once.
func (s *Stack) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		if s.dendrite != nil {
			s.dendrite.stop(3 * time.Second)
		}
		if s.coturn != nil {
			s.coturn.stop(3 * time.Second)
		}
		if s.livekit != nil {
			s.livekit.stop(3 * time.Second)
		}
		s.mu.Unlock()
		if s.jwtServer != nil {
			_ = s.jwtServer.Close()
		}
		if s.front != nil {
			s.front.close()
		}
		s.releasePorts()
		if s.Dir != "" && !s.opts.KeepDir && os.Getenv("TERMATRIX_KEEP_STACK") != "1" {
			_ = os.RemoveAll(s.Dir)
		}
	})
}

// waitHTTP polls u until it answers 200, p exits or timeout passes.
func waitHTTP(ctx context.Context, u string, p *proc, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", p.name, err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return p.exitError()
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer %s within %v: %w; last log lines:\n%s",
				p.name, u, timeout, ctx.Err(), logTail(p.logPath, 40))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// randomSecret returns n random bytes as hex.
func randomSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
