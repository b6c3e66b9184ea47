package teststack

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// SkipEnv is the environment variable that, set to 1, skips every test
// needing the stack. Nothing else skips them.
const SkipEnv = "TERMATRIX_SKIP_INTEGRATION"

// TestPassword is the password MustRegister gives users.
const TestPassword = "correct-horse-battery"

func skipIntegration(tb testing.TB) {
	tb.Helper()
	if os.Getenv(SkipEnv) == "1" {
		tb.Skipf("integration test skipped: %s=1", SkipEnv)
	}
}

// ForTest starts a stack of the test's own and stops it when the test ends.
// It skips only when TERMATRIX_SKIP_INTEGRATION=1 and fails the test if the
// stack cannot start.
func ForTest(tb testing.TB, opts Options) *Stack {
	tb.Helper()
	skipIntegration(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // includes a first build
	defer cancel()
	start := time.Now()
	s, err := Start(ctx, opts)
	if err != nil {
		tb.Fatalf("starting the test stack: %v", err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("test stack logs:\n%s", s.LogTail(30))
		}
		s.Close()
	})
	tb.Logf("test stack up in %v at %s (dendrite %v, coturn %v, livekit %v)", time.Since(start).Round(time.Millisecond), s.BaseURL,
		s.DendriteStartup.Round(time.Millisecond), s.CoturnStartup.Round(time.Millisecond), s.LiveKitStartup.Round(time.Millisecond))
	return s
}

// Shared is one stack for all tests of a package, started on first use by
// Get and stopped by Run after the tests. See the package documentation.
type Shared struct {
	once  sync.Once
	opts  Options
	stack *Stack
	err   error
}

// Run runs the package's tests with opts for the shared stack, stops the
// stack if a test started it, and returns the exit code for os.Exit.
func (sh *Shared) Run(m *testing.M, opts Options) int {
	sh.opts = opts
	code := m.Run()
	if sh.stack != nil {
		if code != 0 {
			fmt.Fprintf(os.Stderr, "teststack: shared stack logs:\n%s\n", sh.stack.LogTail(30))
		}
		sh.stack.Close()
	}
	return code
}

// Get returns the shared stack, starting it on the first call. It skips
// only when TERMATRIX_SKIP_INTEGRATION=1 and fails the test if the stack
// could not start.
func (sh *Shared) Get(tb testing.TB) *Stack {
	tb.Helper()
	skipIntegration(tb)
	sh.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		start := time.Now()
		sh.stack, sh.err = Start(ctx, sh.opts)
		if sh.err == nil {
			fmt.Fprintf(os.Stderr, "teststack: shared stack up in %v at %s (dendrite %v, coturn %v)\n",
				time.Since(start).Round(time.Millisecond), sh.stack.BaseURL,
				sh.stack.DendriteStartup.Round(time.Millisecond), sh.stack.CoturnStartup.Round(time.Millisecond))
		}
	})
	if sh.err != nil {
		tb.Fatalf("starting the shared test stack: %v", sh.err)
	}
	return sh.stack
}

// MustRegister registers a user with a unique localpart starting with
// prefix and the password TestPassword, failing the test on error.
func (s *Stack) MustRegister(tb testing.TB, prefix string) User {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u, err := s.RegisterUser(ctx, s.UniqueLocalpart(prefix), TestPassword)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// MustLogin is Login failing the test on error.
func (s *Stack) MustLogin(tb testing.TB, u User) User {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nu, err := s.Login(ctx, u)
	if err != nil {
		tb.Fatal(err)
	}
	return nu
}
