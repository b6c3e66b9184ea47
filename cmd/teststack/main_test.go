package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/termatrix/termatrix/internal/teststack"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPrintedLoginWorks starts the command, follows the login line it
// prints (homeserver URL, user, password file) with a plain password login,
// and checks that cancelling tears the stack down.
func TestPrintedLoginWorks(t *testing.T) {
	if os.Getenv(teststack.SkipEnv) == "1" {
		t.Skip("integration test skipped")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--users", "carol,dave", "--log-level", "warn"}, &out) }()

	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(out.String(), "Ctrl+C") {
		select {
		case err := <-done:
			t.Fatalf("run ended early: %v\n%s", err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no instructions printed:\n%s", out.String())
		}
	}
	text := out.String()
	re := regexp.MustCompile(`go run -tags goolm \. --homeserver (\S+) --user (@carol:localhost) --password-file (\S+)\n`)
	m := re.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no login line for carol in:\n%s", text)
	}
	if !strings.Contains(text, "--user @dave:localhost") || !strings.Contains(text, "TURN server:") {
		t.Fatalf("dave or TURN missing in:\n%s", text)
	}
	hs, userID, passFile := m[1], m[2], m[3]
	pw, err := os.ReadFile(passFile)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"type":"m.login.password","identifier":{"type":"m.id.user","user":"` + userID + `"},"password":"` + strings.TrimSpace(string(pw)) + `"}`
	resp, err := http.Post(hs+"/_matrix/client/v3/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login with the printed password file: HTTP %d", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop after cancel")
	}
	if _, err := os.Stat(passFile); !os.IsNotExist(err) {
		t.Errorf("stack directory not removed: %v", err)
	}
	if _, err := http.Get(hs + "/_matrix/client/versions"); err == nil {
		t.Errorf("homeserver still answers after teardown")
	}
}
