package elementpeer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Options configures a Peer: the Matrix account it logs in as (an existing
// access token and its device), and how it calls.
type Options struct {
	BaseURL     string
	UserID      string
	AccessToken string
	DeviceID    string
	// ForceTURN makes matrix-js-sdk relay all media through the TURN servers
	// from /voip/turnServer (iceTransportPolicy "relay"), like Element with
	// "Allow peer-to-peer for 1:1 calls" off. Start then also waits for the
	// TURN credentials and fails without them.
	ForceTURN bool
	// AutoAnswer answers every incoming call at once, in the page (no round
	// trip through Go), for set-up benchmarks.
	AutoAnswer bool
	// FakeAudioFile, if set, is a WAV file the fake microphone plays in a
	// loop (Chromium's --use-file-for-fake-audio-capture) instead of its
	// beeps; WriteToneWAV makes one.
	FakeAudioFile string
	// Crypto turns on matrix-js-sdk's Rust end-to-end encryption
	// (initRustCrypto, in memory) before the client starts, as Element Web
	// does; Start then also waits until the server lists the device's keys.
	// The E2EE methods (crypto.go, verify.go) need it.
	Crypto bool
	// Password is the account's password, for user-interactive auth
	// (BootstrapCrossSigning: Dendrite always asks for m.login.password).
	// Like the access token, it never reaches the logs.
	Password string
	// RecoveryKey is a recovery key in Element's format (as
	// BootstrapCrossSigning returns) that answers secret-storage reads, as
	// a user typing it in: RestoreKeyBackup on a second session needs it.
	RecoveryKey string
	// FastKeyBackup drops matrix-js-sdk's random wait of up to 10 s before
	// each key-backup upload round, so tests need not wait for it.
	FastKeyBackup bool
	// Log, if set, receives the driver's and the page's diagnostics (the
	// access token replaced by "[token]", the password by "[password]").
	Log io.Writer
}

// Peer is one matrix-js-sdk client in its own headless Chromium.
type Peer struct {
	cmd        *exec.Cmd
	stdin      io.WriteCloser
	profileDir string
	token      string
	password   string
	crypto     bool
	logw       io.Writer

	writeMu sync.Mutex
	nextID  int64

	mu       sync.Mutex
	pending  map[int64]chan reply
	events   []Event
	changed  chan struct{} // closed and replaced whenever events grow or the driver exits
	incoming int           // events index up to which "incoming" events were handed out
	callID   string        // the current call
	verifs   int           // events index up to which "verification.request" events were handed out
	vid      string        // the current verification request (the page's id)
	rings    int           // events index up to which "rtc.ring" events were handed out
	stderr   tail
	exited   bool
	exitErr  error

	done      chan struct{}
	closeOnce sync.Once
}

type reply struct {
	OK     bool            `json:"ok"`
	Error  string          `json:"error"`
	Result json.RawMessage `json:"result"`
}

// lineID tells a reply (id set) from an event on the driver's stdout.
type lineID struct {
	ID *int64 `json:"id"`
}

// Start launches the driver and Chromium, logs the client in and waits until
// it has synced once and, with ForceTURN, holds TURN credentials.
func Start(ctx context.Context, opts Options) (_ *Peer, err error) {
	if opts.BaseURL == "" || opts.UserID == "" || opts.AccessToken == "" || opts.DeviceID == "" {
		return nil, errors.New("elementpeer: BaseURL, UserID, AccessToken and DeviceID are required")
	}
	dir, err := InteropDir()
	if err != nil {
		return nil, err
	}
	if err := Prepare(ctx, dir); err != nil {
		return nil, err
	}
	profile, err := os.MkdirTemp("", "termatrix-elementpeer-")
	if err != nil {
		return nil, fmt.Errorf("elementpeer: profile directory: %w", err)
	}
	p := &Peer{
		profileDir: profile,
		token:      opts.AccessToken,
		password:   opts.Password,
		crypto:     opts.Crypto,
		logw:       opts.Log,
		pending:    map[int64]chan reply{},
		changed:    make(chan struct{}),
		done:       make(chan struct{}),
	}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	args := []string{filepath.Join(dir, "peer.mjs"), "--profile-dir", profile}
	if opts.FakeAudioFile != "" {
		abs, err := filepath.Abs(opts.FakeAudioFile)
		if err != nil {
			return nil, fmt.Errorf("elementpeer: %w", err)
		}
		args = append(args, "--fake-audio-file", abs)
	}
	cmd := exec.Command("node", args...)
	cmd.Dir = dir
	cmd.SysProcAttr = sysProcAttr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("elementpeer: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("elementpeer: %w", err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("elementpeer: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("elementpeer: starting the node driver: %w", err)
	}
	p.cmd, p.stdin = cmd, stdin
	stderrDone := make(chan struct{})
	go p.readStderr(stderr, stderrDone)
	go p.readStdout(stdout, stderrDone)

	if _, err := p.waitEvent(ctx, func(e Event) bool { return e.Event == "ready" }); err != nil {
		return nil, fmt.Errorf("elementpeer: waiting for the driver: %w", err)
	}
	start := map[string]any{
		"baseUrl":     opts.BaseURL,
		"userId":      opts.UserID,
		"accessToken": opts.AccessToken,
		"deviceId":    opts.DeviceID,
		"forceTURN":   opts.ForceTURN,
		"autoAnswer":  opts.AutoAnswer,
	}
	if opts.Crypto {
		start["crypto"] = true
		start["password"] = opts.Password
		start["recoveryKey"] = opts.RecoveryKey
		start["fastKeyBackup"] = opts.FastKeyBackup
	}
	if err := p.do(ctx, "start", start, nil); err != nil {
		return nil, err
	}
	return p, nil
}

// Close stops Chromium and the driver and removes the profile directory. It
// is safe to call more than once.
func (p *Peer) Close() error {
	p.closeOnce.Do(func() {
		if p.cmd != nil && p.cmd.Process != nil {
			p.stdin.Close() // the driver shuts Chromium down when stdin closes
			select {
			case <-p.done:
			case <-time.After(5 * time.Second):
			}
			killGroup(p.cmd.Process.Pid)
			<-p.done
		}
		killProfileUsers(p.profileDir)
		if p.profileDir != "" {
			os.RemoveAll(p.profileDir)
		}
	})
	return nil
}

// do sends one command and waits for its reply, decoding the result into out
// (if non-nil).
func (p *Peer) do(ctx context.Context, cmd string, args map[string]any, out any) error {
	msg := map[string]any{}
	for k, v := range args {
		msg[k] = v
	}
	ch := make(chan reply, 1)
	p.mu.Lock()
	if p.exited {
		p.mu.Unlock()
		return p.failure(cmd, errors.New("the driver has exited"))
	}
	p.nextID++
	id := p.nextID
	p.pending[id] = ch
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.pending, id)
		p.mu.Unlock()
	}()
	msg["id"] = id
	msg["cmd"] = cmd
	b, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("elementpeer: %s: %w", cmd, err)
	}
	p.writeMu.Lock()
	_, err = p.stdin.Write(append(b, '\n'))
	p.writeMu.Unlock()
	if err != nil {
		return p.failure(cmd, err)
	}
	select {
	case r := <-ch:
		if !r.OK {
			return p.failure(cmd, errors.New(p.redact(r.Error)))
		}
		if out != nil && len(r.Result) > 0 {
			if err := json.Unmarshal(r.Result, out); err != nil {
				return fmt.Errorf("elementpeer: %s: decoding the result: %w", cmd, err)
			}
		}
		return nil
	case <-p.done:
		return p.failure(cmd, errors.New("the driver exited"))
	case <-ctx.Done():
		return p.failure(cmd, ctx.Err())
	}
}

// failure wraps err with the command and the tail of the driver's stderr.
func (p *Peer) failure(what string, err error) error {
	p.mu.Lock()
	t := p.stderr.String()
	exitErr := p.exitErr
	p.mu.Unlock()
	if exitErr != nil {
		err = fmt.Errorf("%w (driver: %v)", err, exitErr)
	}
	if t == "" {
		return fmt.Errorf("elementpeer: %s: %w", what, err)
	}
	return fmt.Errorf("elementpeer: %s: %w\n--- driver stderr (tail) ---\n%s", what, err, t)
}

func (p *Peer) redact(s string) string {
	if p.token != "" {
		s = strings.ReplaceAll(s, p.token, "[token]")
	}
	if p.password != "" {
		s = strings.ReplaceAll(s, p.password, "[password]")
	}
	return s
}

func (p *Peer) readStderr(r io.Reader, done chan<- struct{}) {
	defer close(done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		l := p.redact(sc.Text())
		if p.logw != nil {
			fmt.Fprintln(p.logw, l)
		}
		// matrix-js-sdk's debug chatter would push the errors out of the tail.
		if strings.HasPrefix(l, "[page debug]") || strings.HasPrefix(l, "[page log]") {
			continue
		}
		p.mu.Lock()
		p.stderr.add(l)
		p.mu.Unlock()
	}
}

func (p *Peer) readStdout(r io.Reader, stderrDone <-chan struct{}) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		var id lineID
		var r reply
		var e Event
		err := json.Unmarshal(sc.Bytes(), &id)
		if err == nil && id.ID != nil {
			err = json.Unmarshal(sc.Bytes(), &r)
		} else if err == nil {
			err = json.Unmarshal(sc.Bytes(), &e)
		}
		p.mu.Lock()
		switch {
		case err != nil:
			p.stderr.add("bad stdout line: " + p.redact(sc.Text()))
		case id.ID != nil:
			if ch, ok := p.pending[*id.ID]; ok {
				ch <- r
			}
		case e.Event != "":
			if e.Event == "incoming" {
				p.callID = e.CallID
			}
			if e.Event == "verification.request" {
				p.vid = e.VID
			}
			p.events = append(p.events, e)
			close(p.changed)
			p.changed = make(chan struct{})
		}
		p.mu.Unlock()
	}
	<-stderrDone
	err := p.cmd.Wait()
	p.mu.Lock()
	p.exited = true
	if err != nil {
		p.exitErr = err
	}
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
	close(p.done)
}

// waitEvent waits for the first event, from the beginning of the peer's
// history, that match accepts.
func (p *Peer) waitEvent(ctx context.Context, match func(Event) bool) (Event, error) {
	for i := 0; ; {
		p.mu.Lock()
		for ; i < len(p.events); i++ {
			if match(p.events[i]) {
				e := p.events[i]
				p.mu.Unlock()
				return e, nil
			}
		}
		exited, changed := p.exited, p.changed
		p.mu.Unlock()
		if exited {
			return Event{}, p.failure("waiting", errors.New("the driver exited"))
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Event{}, p.failure("waiting", ctx.Err())
		}
	}
}

// Events returns a copy of every event the page has reported so far.
func (p *Peer) Events() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Event(nil), p.events...)
}

// tail keeps the last lines of a stream, bounded in count and bytes.
type tail struct {
	lines []string
	size  int
}

const (
	tailLines = 40
	tailBytes = 8 << 10
)

func (t *tail) add(l string) {
	if len(l) > 1000 {
		l = l[:1000] + "…"
	}
	t.lines = append(t.lines, l)
	t.size += len(l)
	for len(t.lines) > tailLines || t.size > tailBytes {
		t.size -= len(t.lines[0])
		t.lines = t.lines[1:]
	}
}

func (t *tail) String() string { return strings.Join(t.lines, "\n") }
