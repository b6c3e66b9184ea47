// Package childenv keeps termatrix's secrets out of the processes it
// starts (the browser, $BROWSER, xdg-open, notify-send): a secret read from
// the environment is taken once and removed from it (Take), and every
// child gets an explicit environment, the parent's minus every secret
// variable of ours (Environ, Command).
//
// The kernel's copy of the environment termatrix was started with
// (/proc/PID/environ, readable only by the same user) cannot be changed
// from Go; only what children inherit and what the process itself reads
// later is cleaned.
package childenv

import (
	"os"
	"os/exec"
	"strings"
)

// Prefix is the prefix of termatrix's own environment variables.
const Prefix = "TERMATRIX_"

// secretWords mark a variable of ours as a secret by its name.
var secretWords = []string{"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIAL", "RECOVERY", "PRIVATE", "KEY"}

// IsSecret reports whether the environment variable name holds a secret
// of ours: a TERMATRIX_ variable whose name has one of the words
// PASSWORD, PASSWD, PASSPHRASE, SECRET, TOKEN, CREDENTIAL, RECOVERY,
// PRIVATE or KEY as one of its _-separated parts (TERMATRIX_PASSWORD,
// TERMATRIX_ACCESS_TOKEN, TERMATRIX_RECOVERY_KEY...). Letter case is
// ignored, as Windows does.
func IsSecret(name string) bool {
	up := strings.ToUpper(name)
	if !strings.HasPrefix(up, Prefix) {
		return false
	}
	for _, part := range strings.Split(strings.TrimPrefix(up, Prefix), "_") {
		for _, w := range secretWords {
			if part == w || strings.HasSuffix(part, w) && w != "KEY" {
				return true
			}
		}
	}
	return false
}

// Take returns the value of the variable name (and whether it was set),
// and removes it and every other secret variable of ours from the process
// environment, so nothing started later inherits or reads them. Call it
// once, first thing.
func Take(name string) (string, bool) {
	v, ok := os.LookupEnv(name)
	_ = os.Unsetenv(name)
	Scrub()
	return v, ok
}

// Scrub removes every secret variable of ours from the process
// environment.
func Scrub() {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); IsSecret(k) {
			_ = os.Unsetenv(k)
		}
	}
}

// Environ is the environment for a child process: ours without any
// secret variable of ours.
func Environ() []string {
	return Filter(os.Environ())
}

// Filter returns env ("KEY=value" entries) without the secret variables.
func Filter(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); IsSecret(k) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// Command is exec.Command with the explicit environment Environ: use it
// for every child process.
func Command(name string, arg ...string) *exec.Cmd {
	cmd := exec.Command(name, arg...)
	cmd.Env = Environ()
	return cmd
}
