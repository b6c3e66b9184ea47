package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/termatrix/termatrix/internal/childenv"
	"github.com/termatrix/termatrix/matrix"
)

// envSecrets are the secrets termatrix reads from its environment. Main
// takes them once, first thing, and removes them from the environment
// (childenv.Take), so no child process (the browser, notify-send)
// inherits them.
type envSecrets struct {
	password string
}

// takeEnvSecrets reads and removes the secrets of the environment.
func takeEnvSecrets() envSecrets {
	pw, _ := childenv.Take(PasswordEnv)
	return envSecrets{password: pw}
}

// getenv is a getenv over the taken secrets only.
func (e envSecrets) getenv(key string) string {
	if key == PasswordEnv {
		return e.password
	}
	return ""
}

// redactedMark is what matrix puts where it cut a secret out of an error.
const redactedMark = "[redacted]"

// secretError is an error whose text was replaced because the original
// could give a secret away; the chain stays for errors.Is and errors.As.
type secretError struct {
	msg string
	err error
}

func (e *secretError) Error() string { return e.msg }
func (e *secretError) Unwrap() error { return e.err }

// withoutSecrets returns err as it is unless its text could give one of
// the secrets away: when it holds a secret anywhere (even inside another
// word), or one of the marks matrix puts where it cut a secret out (their
// places spell a short secret out: "l[redacted]gin" for the password "o").
// The text is then replaced by what failed, without the details.
func withoutSecrets(err error, what string, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	leaks := strings.Contains(msg, redactedMark)
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			leaks = true
		}
	}
	if !leaks {
		return err
	}
	text := what + " failed"
	if errors.Is(err, matrix.ErrBadCredentials) {
		text += ": " + matrix.ErrBadCredentials.Error()
	}
	return &secretError{msg: text + " (details withheld: they would have shown a secret)", err: err}
}

// warnPasswordFile warns, as ssh does for keys, when the password file
// can be read or changed by other users; the login goes on.
func warnPasswordFile(path string, warn io.Writer) {
	st, err := os.Stat(path)
	if err != nil || warn == nil {
		return
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		fmt.Fprintf(warn, "termatrix: warning: the password file %s is open to other users (mode %#o): "+
			"anyone on this machine who can read it has your password; chmod 600 it\n", path, perm)
	}
}
