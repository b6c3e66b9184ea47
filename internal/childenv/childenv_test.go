package childenv

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

func TestIsSecret(t *testing.T) {
	for name, want := range map[string]bool{
		"TERMATRIX_PASSWORD":         true,
		"termatrix_password":         true,
		"TERMATRIX_ACCESS_TOKEN":     true,
		"TERMATRIX_RECOVERY_KEY":     true,
		"TERMATRIX_TURN_SECRET":      true,
		"TERMATRIX_DB_PASSPHRASE":    true,
		"TERMATRIX_APIKEY":           false, // KEY only as a whole part
		"TERMATRIX_KEEP_STACK":       false,
		"TERMATRIX_CACHE":            false,
		"TERMATRIX_SKIP_INTEGRATION": false,
		"PASSWORD":                   false, // not ours
		"GITHUB_TOKEN":               false,
		"BROWSER":                    false,
	} {
		if got := IsSecret(name); got != want {
			t.Errorf("IsSecret(%s) = %v", name, got)
		}
	}
}

// TestTakeRemovesSecretsFromChildren: after Take, a child started with
// Command sees none of our secrets but everything else; Take returned the
// value once.
func TestTakeRemovesSecretsFromChildren(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses env(1)")
	}
	t.Setenv("TERMATRIX_PASSWORD", "hunter2-pw")
	t.Setenv("TERMATRIX_ACCESS_TOKEN", "syt_secret_token")
	t.Setenv("TERMATRIX_TEST_MARKER", "kept")
	v, ok := Take("TERMATRIX_PASSWORD")
	if !ok || v != "hunter2-pw" {
		t.Fatalf("Take: %q %v", v, ok)
	}
	if _, ok := os.LookupEnv("TERMATRIX_PASSWORD"); ok {
		t.Fatal("the password is still in the environment")
	}
	if _, ok := os.LookupEnv("TERMATRIX_ACCESS_TOKEN"); ok {
		t.Fatal("another secret is still in the environment")
	}
	out, err := Command("env").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "hunter2") || strings.Contains(string(out), "syt_secret") {
		t.Fatalf("the child saw a secret:\n%s", out)
	}
	if !strings.Contains(string(out), "TERMATRIX_TEST_MARKER=kept") {
		t.Fatalf("the child lost the rest of the environment:\n%s", out)
	}
}

// TestCommandFiltersEvenWhenSetLater: Command filters what is in the
// environment when it is called, not only what Take saw.
func TestCommandFiltersEvenWhenSetLater(t *testing.T) {
	if _, err := exec.LookPath("env"); err != nil {
		t.Skip("no env(1)")
	}
	t.Setenv("TERMATRIX_PASSWORD", "set-after-take")
	cmd := Command("env")
	for _, kv := range cmd.Env {
		if strings.HasPrefix(kv, "TERMATRIX_PASSWORD=") {
			t.Fatalf("Command's environment holds %q", kv)
		}
	}
	if got := Filter([]string{"A=1", "TERMATRIX_PASSWORD=x", "TERMATRIX_CACHE=/c"}); strings.Join(got, " ") != "A=1 TERMATRIX_CACHE=/c" {
		t.Fatalf("Filter: %v", got)
	}
}
