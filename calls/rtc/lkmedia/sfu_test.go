package lkmedia

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"

	"github.com/termatrix/termatrix/calls/audio"
	"github.com/termatrix/termatrix/calls/rtc"
)

// testSFU is a livekit-server for these tests.
//
// TEMPORARY: until internal/teststack's Options.LiveKit is on main, the
// tests start the binary teststack caches (livekit-server v1.13.5 in the
// user cache dir) themselves with a minimal config, and skip when it is
// not built yet.
type testSFU struct {
	URL, Key, Secret string
}

func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startSFU(t *testing.T) testSFU {
	t.Helper()
	if testing.Short() {
		t.Skip("needs livekit-server")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skip(err)
	}
	bin := filepath.Join(cache, "termatrix", "livekit-v1.13.5", "bin", "server")
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("livekit-server not built (%v); internal/teststack builds it", err)
	}
	dir := t.TempDir()
	port, tcp, udp := freePort(t, "tcp"), freePort(t, "tcp"), freePort(t, "udp")
	s := testSFU{URL: fmt.Sprintf("ws://127.0.0.1:%d", port), Key: "TKlkmedia", Secret: "lkmedia-test-secret-0123456789abcdef"}
	cfg := fmt.Sprintf("port: %d\nbind_addresses: [127.0.0.1]\nkeys:\n  %s: %s\nrtc:\n  tcp_port: %d\n  udp_port: %d\n  node_ip: 127.0.0.1\n  use_external_ip: false\n  enable_loopback_candidate: true\nlogging:\n  level: warn\n",
		port, s.Key, s.Secret, tcp, udp)
	cfgPath := filepath.Join(dir, "livekit.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "livekit.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("livekit log:\n%s", b[max(0, len(b)-4000):])
		}
	})
	for {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("livekit-server did not answer: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("livekit-server up in %v", time.Since(start).Round(time.Millisecond))
	return s
}

// token mints a join token for identity in room.
func (s testSFU) token(t *testing.T, room, identity string) string {
	t.Helper()
	at := auth.NewAccessToken(s.Key, s.Secret)
	at.SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: room, CanPublish: ptr(true), CanSubscribe: ptr(true)}).
		SetIdentity(identity).SetValidFor(time.Hour)
	jwt, err := at.ToJWT()
	if err != nil {
		t.Fatal(err)
	}
	return jwt
}

func ptr[T any](v T) *T { return &v }

// recorder is a sink that keeps the last second it was given.
type recorder struct {
	mu     sync.Mutex
	buf    []int16
	frames int
}

func (r *recorder) WriteFrame(f []int16) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf = append(r.buf, f...)
	if over := len(r.buf) - audio.SampleRate; over > 0 {
		r.buf = append(r.buf[:0], r.buf[over:]...)
	}
	r.frames++
	return nil
}

func (r *recorder) Close() error { return nil }
func (r *recorder) Name() string { return "recorder" }

// share is hz's share of the last half second played.
func (r *recorder) share(hz float64) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) < audio.SampleRate/2 {
		return 0
	}
	return audio.Goertzel(r.buf[len(r.buf)-audio.SampleRate/2:], hz)
}

// waitFor polls cond every 50 ms for up to d.
func waitFor(d time.Duration, cond func() bool) bool {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

// participant finds identity in m's list.
func participant(m rtc.Media, identity string) (rtc.Participant, bool) {
	for _, p := range m.Participants() {
		if p.Identity == identity {
			return p, true
		}
	}
	return rtc.Participant{}, false
}

// dialT dials and closes the connection at the end of the test.
func dialT(t *testing.T, d rtc.MediaDialer, cfg rtc.MediaConfig) rtc.Media {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := d.Dial(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// settledGoroutines waits up to 10 s for the goroutine count to fall to
// at most want, and returns it.
func settledGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for end := time.Now().Add(10 * time.Second); n > want && time.Now().Before(end); n = runtime.NumGoroutine() {
		time.Sleep(100 * time.Millisecond)
	}
	return n
}
