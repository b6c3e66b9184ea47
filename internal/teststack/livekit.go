package teststack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/termatrix/termatrix/internal/sfujwt"
)

// LiveKitVersion is the livekit-server release the stack builds and runs.
// Newer tags replace pion modules with forks the module proxy does not
// serve, so they do not build here.
const LiveKitVersion = "v1.13.5"

// EnsureLiveKit returns the path of the livekit-server binary, building it
// with `go install` into CacheDir()/livekit-VERSION/bin on first use (about
// 3 minutes on two cores), with the same lock and atomic install as
// EnsureDendrite.
func EnsureLiveKit(ctx context.Context) (string, error) {
	binDir, err := installCached(ctx, "livekit-"+LiveKitVersion,
		[]string{"github.com/livekit/livekit-server/cmd/server@" + LiveKitVersion}, []string{"server"})
	if err != nil {
		return "", err
	}
	return filepath.Join(binDir, "server"), nil
}

// LiveKitLogPath returns the file livekit-server logs to.
func (s *Stack) LiveKitLogPath() string { return filepath.Join(s.Dir, "livekit.log") }

// liveKitConfig is the part of livekit-server's YAML config the stack sets.
type liveKitConfig struct {
	Port          int               `yaml:"port"`
	BindAddresses []string          `yaml:"bind_addresses"`
	Keys          map[string]string `yaml:"keys"`
	RTC           liveKitRTC        `yaml:"rtc"`
	Logging       struct {
		Level string `yaml:"level"`
	} `yaml:"logging"`
}

type liveKitRTC struct {
	TCPPort       int    `yaml:"tcp_port"`
	UDPPort       int    `yaml:"udp_port"`
	NodeIP        string `yaml:"node_ip"`
	UseExternalIP bool   `yaml:"use_external_ip"`
	// Loopback is the only interface the stack's clients share with it.
	EnableLoopbackCandidate bool                `yaml:"enable_loopback_candidate"`
	Interfaces              liveKitIncludeRules `yaml:"interfaces"`
	IPs                     liveKitIncludeRules `yaml:"ips"`
}

type liveKitIncludeRules struct {
	Includes []string `yaml:"includes"`
}

// startLiveKit starts livekit-server on free ports of 127.0.0.1 with a new
// API key and secret, and waits until it answers HTTP.
func (s *Stack) startLiveKit(ctx context.Context) error {
	bin, err := EnsureLiveKit(ctx)
	if err != nil {
		return err
	}
	var cfg liveKitConfig
	if cfg.Port, err = s.freeTCPPort(); err != nil {
		return err
	}
	if cfg.RTC.TCPPort, err = s.freeTCPPort(); err != nil {
		return err
	}
	if cfg.RTC.UDPPort, err = s.freeTCPUDPPort(); err != nil {
		return err
	}
	key, secret := "TK"+randomSecret(6), randomSecret(24)
	cfg.BindAddresses = []string{"127.0.0.1"}
	cfg.Keys = map[string]string{key: secret}
	cfg.RTC.NodeIP = "127.0.0.1"
	cfg.RTC.EnableLoopbackCandidate = true
	// Media on loopback only: the UDP port is bound on lo alone, and only
	// 127.0.0.1 candidates are offered.
	cfg.RTC.Interfaces.Includes = []string{"lo"}
	cfg.RTC.IPs.Includes = []string{"127.0.0.1/32"}
	cfg.Logging.Level = "warn"
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encoding the livekit config: %w", err)
	}
	cfgPath := filepath.Join(s.Dir, "livekit.yaml")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		return fmt.Errorf("writing the livekit config: %w", err)
	}
	start := time.Now()
	p, err := startProc("livekit", s.Dir, s.LiveKitLogPath(), bin, "--config", cfgPath)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.livekit = p
	s.mu.Unlock()
	hostPort := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port))
	if err := waitHTTP(ctx, "http://"+hostPort+"/", p, s.opts.StartTimeout); err != nil {
		return err
	}
	s.LiveKitStartup = time.Since(start)
	s.LiveKitURL = "ws://" + hostPort
	s.LiveKitKey = key
	s.LiveKitSecret = secret
	return nil
}

// startJWTService starts the /sfu/get service (package sfujwt) on a free
// port of 127.0.0.1, verifying OpenID tokens against Dendrite.
func (s *Stack) startJWTService() error {
	port, err := s.freeTCPPort()
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("listening for the JWT service: %w", err)
	}
	svc := sfujwt.New(sfujwt.Config{
		HomeserverURL: s.HomeserverURL(),
		ServerName:    ServerName,
		LiveKitURL:    s.LiveKitURL,
		APIKey:        s.LiveKitKey,
		APISecret:     s.LiveKitSecret,
	})
	s.jwtServer = &http.Server{Handler: svc, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.jwtServer.Serve(l) }()
	s.RTCServiceURL = "http://" + l.Addr().String()
	return nil
}

// rtcTransport is the transport the stack advertises: its JWT service.
func (s *Stack) rtcTransport() map[string]any {
	return map[string]any{"type": "livekit", "livekit_service_url": s.RTCServiceURL}
}

// OpenIDToken requests an OpenID token for u
// (POST /user/{userId}/openid/request_token), the proof of identity a
// MatrixRTC client hands the JWT service.
func (u User) OpenIDToken(ctx context.Context) (sfujwt.OpenIDToken, error) {
	var tok sfujwt.OpenIDToken
	err := u.Do(ctx, http.MethodPost, "/_matrix/client/v3/user/"+url.PathEscape(u.UserID)+"/openid/request_token", map[string]any{}, &tok)
	if err != nil {
		return tok, fmt.Errorf("requesting an openid token for %s: %w", u.UserID, err)
	}
	return tok, nil
}

// SFUGet asks the stack's JWT service for u's (u's device's) LiveKit URL
// and token for the call in roomID, as Element Call does: a new OpenID
// token, then POST RTCServiceURL/sfu/get.
func (s *Stack) SFUGet(ctx context.Context, u User, roomID string) (sfujwt.SFUResponse, error) {
	var resp sfujwt.SFUResponse
	if s.RTCServiceURL == "" {
		return resp, errors.New("the stack runs no JWT service (Options.LiveKit)")
	}
	tok, err := u.OpenIDToken(ctx)
	if err != nil {
		return resp, err
	}
	req := sfujwt.SFURequest{Room: roomID, OpenIDToken: tok, DeviceID: u.DeviceID}
	if err := doJSON(ctx, http.MethodPost, s.RTCServiceURL+"/sfu/get", "", req, &resp); err != nil {
		return resp, fmt.Errorf("getting a livekit token for %s: %w", u.UserID, err)
	}
	return resp, nil
}
