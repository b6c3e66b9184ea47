// Package browser opens URLs for the user: in the system browser (xdg-open
// and the like on Linux and the BSDs, github.com/pkg/browser elsewhere),
// through $BROWSER, or through a configured command, each started with an
// explicit environment without termatrix's secrets (internal/childenv),
// and never on a remote host: over SSH, without a display, or
// with "browser": "none" it refuses with a NotLaunchedError so the caller
// can show the link instead. It also encodes OSC 52 clipboard sequences
// and draws QR codes as text.
package browser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	pkgbrowser "github.com/pkg/browser"

	"github.com/termatrix/termatrix/internal/childenv"
)

// Opener opens an https URL for the user. An error that Is ErrNotLaunched
// means nothing was opened and the caller should show the URL instead;
// NotLaunchedError.Reason says why.
type Opener interface {
	Open(ctx context.Context, rawURL string) error
}

// ErrNotLaunched is matched by every NotLaunchedError.
var ErrNotLaunched = errors.New("browser not launched")

// ErrNotHTTPS says a URL was refused because it is not https.
var ErrNotHTTPS = errors.New("only https URLs are opened")

// NotLaunchedError says no browser was started here, and why.
type NotLaunchedError struct{ Reason string }

// Error says that no browser was launched, and why.
func (e *NotLaunchedError) Error() string { return "browser not launched: " + e.Reason }

// Is makes errors.Is(err, ErrNotLaunched) true.
func (e *NotLaunchedError) Is(target error) bool { return target == ErrNotLaunched }

// Options configure a System opener.
type Options struct {
	// Setting is config.json "browser": "" (automatic), "none", or a
	// command such as "firefox %s" (%s is the URL; without it the URL is
	// appended). It is split into arguments, never given to a shell.
	Setting string
	// Env reads the environment; nil means os.Getenv.
	Env func(string) string
	// GOOS is the operating system; "" means runtime.GOOS.
	GOOS string
	// Grace is how long a started command is watched for a failing exit
	// before it counts as launched; 0 means 2 s.
	Grace time.Duration
}

// System is the Opener for the real system.
type System struct {
	opts Options
}

// New returns an Opener for the system described by opts.
func New(opts Options) *System {
	if opts.Env == nil {
		opts.Env = os.Getenv
	}
	if opts.GOOS == "" {
		opts.GOOS = runtime.GOOS
	}
	if opts.Grace <= 0 {
		opts.Grace = 2 * time.Second
	}
	return &System{opts: opts}
}

// CheckHTTPS returns an error unless rawURL is an absolute https URL with a host.
func CheckHTTPS(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotHTTPS, err)
	}
	if u.Scheme != "https" || u.Host == "" || u.User != nil {
		return ErrNotHTTPS
	}
	return nil
}

// Reason returns why no browser may be launched here, or "" if one may.
// Over SSH nothing is ever launched (it would open on the remote host);
// without a display only an explicit command is tried.
func (s *System) Reason() string {
	if strings.TrimSpace(s.opts.Setting) == "none" {
		return `the browser setting is "none"`
	}
	for _, k := range []string{"SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"} {
		if s.opts.Env(k) != "" {
			return "running over SSH: nothing is opened on the remote host"
		}
	}
	if s.command() == "" && s.needsDisplay() && s.opts.Env("DISPLAY") == "" && s.opts.Env("WAYLAND_DISPLAY") == "" {
		return "no graphical display (DISPLAY and WAYLAND_DISPLAY are unset)"
	}
	return ""
}

// command is the configured command list: the setting, else $BROWSER.
func (s *System) command() string {
	if c := strings.TrimSpace(s.opts.Setting); c != "" {
		return c
	}
	return strings.TrimSpace(s.opts.Env("BROWSER"))
}

// needsDisplay says whether the system opener needs X11 or Wayland.
func (s *System) needsDisplay() bool {
	switch s.opts.GOOS {
	case "darwin", "windows", "android", "ios":
		return false
	}
	return true
}

// Open opens rawURL, which must be https.
func (s *System) Open(ctx context.Context, rawURL string) error {
	if err := CheckHTTPS(rawURL); err != nil {
		return err
	}
	if r := s.Reason(); r != "" {
		return &NotLaunchedError{Reason: r}
	}
	if tried, err := s.runConfigured(ctx, rawURL); tried {
		return err
	}
	if s.needsDisplay() {
		return s.openXDG(ctx, rawURL)
	}
	// macOS and Windows: pkg/browser's opener takes no environment; it
	// inherits ours, from which app removed the secrets at start (and
	// Scrub makes sure).
	childenv.Scrub()
	quietPkgBrowser()
	if err := pkgbrowser.OpenURL(rawURL); err != nil {
		return &NotLaunchedError{Reason: fmt.Sprintf("the system browser failed: %v", err)}
	}
	return nil
}

// runConfigured opens target with the configured command, else the
// $BROWSER list (colon-separated, tried in turn); tried is false when
// neither is set.
func (s *System) runConfigured(ctx context.Context, target string) (tried bool, err error) {
	if strings.TrimSpace(s.opts.Setting) != "" {
		return true, s.runCommand(ctx, s.opts.Setting, target)
	}
	b := strings.TrimSpace(s.opts.Env("BROWSER"))
	if b == "" {
		return false, nil
	}
	var errs []string
	for _, c := range strings.Split(b, ":") {
		if strings.TrimSpace(c) == "" {
			continue
		}
		err := s.runCommand(ctx, c, target)
		if err == nil {
			return true, nil
		}
		errs = append(errs, err.(*NotLaunchedError).Reason)
	}
	return true, &NotLaunchedError{Reason: strings.Join(errs, "; ")}
}

// xdgOpeners are the system openers tried in turn on Linux and the BSDs,
// as pkg/browser tries them.
var xdgOpeners = []string{"xdg-open", "x-www-browser", "www-browser"}

// openXDG runs the first system opener found, with an explicit environment
// (ours without secrets), which pkg/browser cannot give it.
func (s *System) openXDG(ctx context.Context, rawURL string) error {
	for _, name := range xdgOpeners {
		if _, err := exec.LookPath(name); err == nil {
			return s.run(ctx, []string{name, rawURL})
		}
	}
	return &NotLaunchedError{Reason: "the system browser failed: none of " + strings.Join(xdgOpeners, ", ") + " is installed"}
}

var quietOnce sync.Once

// quietPkgBrowser stops pkg/browser writing its helpers' output over the
// terminal UI.
func quietPkgBrowser() {
	quietOnce.Do(func() {
		pkgbrowser.Stdout = io.Discard
		pkgbrowser.Stderr = io.Discard
	})
}

// runCommand runs one browser command with the URL as a single argument,
// and waits up to the grace period for it to fail.
func (s *System) runCommand(ctx context.Context, command, rawURL string) error {
	argv, err := CommandArgs(command, rawURL)
	if err != nil {
		return &NotLaunchedError{Reason: err.Error()}
	}
	return s.run(ctx, argv)
}

// run starts argv with an explicit environment, ours without any secret
// (childenv), and waits up to the grace period for it to fail.
func (s *System) run(ctx context.Context, argv []string) error {
	cmd := childenv.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return &NotLaunchedError{Reason: fmt.Sprintf("could not start %s: %v", argv[0], err)}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(s.opts.Grace)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			return &NotLaunchedError{Reason: fmt.Sprintf("%s failed: %v", argv[0], err)}
		}
		return nil
	case <-timer.C:
		return nil // still running: a browser that stays open
	case <-ctx.Done():
		return nil // launched; the caller stopped waiting
	}
}

// CommandArgs splits a browser command into arguments (spaces separate
// them; single or double quotes group them) and puts the URL in as one
// argument: every %s is replaced by it and %% by %, and without any %s it
// is appended.
func CommandArgs(command, rawURL string) ([]string, error) {
	words, err := splitWords(command)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, errors.New("empty browser command")
	}
	used := false
	for i, w := range words {
		var b strings.Builder
		for j := 0; j < len(w); j++ {
			if w[j] == '%' && j+1 < len(w) {
				switch w[j+1] {
				case 's':
					b.WriteString(rawURL)
					used = true
					j++
					continue
				case '%':
					b.WriteByte('%')
					j++
					continue
				}
			}
			b.WriteByte(w[j])
		}
		words[i] = b.String()
	}
	if !used {
		words = append(words, rawURL)
	}
	return words, nil
}

// splitWords splits a command line on unquoted white space, honouring
// single and double quotes and backslash escapes outside single quotes.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case quote == '"':
			if c == '"' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote = c
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unterminated quote in the browser command")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
