// Package app wires termatrix together: flags, config, the session file,
// the matrix client, the calls controller and the terminal UI.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/calls/voip"
	"github.com/termatrix/termatrix/config"
	"github.com/termatrix/termatrix/matrix"
)

// Account is one logged-in account: its running client and calls controller.
type Account struct {
	Client *matrix.Client
	Calls  *calls.Controller

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// ElementCallFactory makes the Element Call (MatrixRTC) engine of an
// account (NewElementCall: rtc.Manager with the LiveKit media). If what it
// returns also has Run(context.Context) error, the account runs it until
// Close, as it runs the 1:1 call manager. Nil: the calls Controller says
// Element Call is not available while it still shows sessions and rings.
type ElementCallFactory func(c *matrix.Client, cfg *config.Config) calls.ElementCall

// StartAccount opens the account's store and starts syncing and following
// calls in the background until Close. newEC may be nil. When startAfter
// is not nil, the background work (the sync loop, the calls controller and
// the call engines) begins only once it is closed: app.run closes it when
// the UI's first frame is drawn, so a start draws the room list before any
// of that work competes for the CPU or the store.
func StartAccount(ctx context.Context, s *matrix.Session, dataDir, dbPath string, cfg *config.Config, newEC ElementCallFactory, startAfter <-chan struct{}) (*Account, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	limit := cfg.UI.TimelineLimit
	if limit <= 0 {
		limit = 500
	}
	c, err := matrix.Open(ctx, s, dbPath, matrix.Options{TimelineLimit: limit})
	if err != nil {
		return nil, fmt.Errorf("opening the account: %w", err)
	}
	one := voip.New(voip.Options{Client: c, Calls: cfg.Calls, Audio: cfg.Audio})
	var ec calls.ElementCall
	if newEC != nil {
		ec = newEC(c, cfg)
	}
	ctl := calls.New(calls.Options{Client: c, Config: cfg, OneToOne: one, ElementCall: ec})
	runCtx, cancel := context.WithCancel(context.Background())
	a := &Account{Client: c, Calls: ctl, cancel: cancel}
	if r, ok := ec.(interface{ Run(context.Context) error }); ok {
		a.background(runCtx, startAfter, func() {
			_ = r.Run(runCtx) // leaves a live call when the account closes
		})
	}
	a.background(runCtx, startAfter, func() {
		_ = one.Run(runCtx) // hangs up a live call when the account closes
	})
	// Not held: it bounds the memory of the first sync, so it comes first.
	a.background(runCtx, nil, func() { returnMemoryAfterSync(runCtx, c, os.Getenv) })
	a.background(runCtx, startAfter, func() {
		_ = c.Run(runCtx) // errors reach the UI as StatusChanged updates
	})
	a.background(runCtx, startAfter, func() { _ = ctl.Run(runCtx) })
	return a, nil
}

// background runs f on its own goroutine until Close, once startAfter is
// closed (at once when it is nil); an account closed before never runs f.
func (a *Account) background(ctx context.Context, startAfter <-chan struct{}, f func()) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if startAfter != nil {
			select {
			case <-startAfter:
			case <-ctx.Done():
				return
			}
		}
		f()
	}()
}

// Close stops syncing and closes the store.
func (a *Account) Close() error {
	a.cancel()
	err := a.Client.Close()
	a.wg.Wait()
	return err
}

// accounts tracks the accounts a run opened, to close them at exit and
// find the one a logout ends.
type accounts struct {
	mu   sync.Mutex
	list []*Account
}

func (as *accounts) add(a *Account) {
	as.mu.Lock()
	as.list = append(as.list, a)
	as.mu.Unlock()
}

// take removes and returns the account of a client.
func (as *accounts) take(c *matrix.Client) *Account {
	as.mu.Lock()
	defer as.mu.Unlock()
	for i, a := range as.list {
		if a.Client == c {
			as.list = append(as.list[:i], as.list[i+1:]...)
			return a
		}
	}
	return nil
}

func (as *accounts) closeAll() error {
	as.mu.Lock()
	list := as.list
	as.list = nil
	as.mu.Unlock()
	var errs []error
	for _, a := range list {
		errs = append(errs, a.Close())
	}
	return errors.Join(errs...)
}

// Profile is where one account's files live.
type Profile struct {
	DataDir, SessionFile, DBFile string
}

// ProfilePaths returns a profile's paths.
func ProfilePaths(name string) (Profile, error) {
	d, s, db, err := matrix.Paths(name)
	if err != nil {
		return Profile{}, err
	}
	return Profile{DataDir: d, SessionFile: s, DBFile: db}, nil
}

// Sessions logs in, resumes and logs out accounts of one profile.
type Sessions struct {
	Profile Profile
	Config  *config.Config
	// ElementCall makes each account's Element Call engine; nil: none.
	ElementCall ElementCallFactory
	// StartAfter, when not nil, holds each account's background work
	// (sync, calls) until it is closed (see StartAccount).
	StartAfter <-chan struct{}
	open       accounts
}

// Login logs in with a password, starts the account and then saves the
// session (mode 0600): a session is only saved once its store is open, so
// a failed start never leaves a session behind that every later start
// trips over. Its errors never give the password away.
func (ss *Sessions) Login(ctx context.Context, p matrix.LoginParams) (*Account, error) {
	s, err := ss.login(ctx, p)
	if err != nil {
		return nil, err
	}
	return ss.startNew(ctx, s)
}

// login makes a new session on the server.
func (ss *Sessions) login(ctx context.Context, p matrix.LoginParams) (*matrix.Session, error) {
	if p.DeviceName == "" {
		p.DeviceName = "termatrix"
	}
	s, err := matrix.Login(ctx, p)
	if err != nil {
		return nil, withoutSecrets(err, "logging in", p.Password)
	}
	return s, nil
}

// startNew starts a new session's account and saves the session.
func (ss *Sessions) startNew(ctx context.Context, s *matrix.Session) (*Account, error) {
	a, err := ss.Start(ctx, s)
	if err != nil {
		return nil, err
	}
	if err := matrix.SaveSession(ss.Profile.SessionFile, s); err != nil {
		if a := ss.open.take(a.Client); a != nil {
			_ = a.Close()
		}
		return nil, err
	}
	return a, nil
}

// LoginOrResume is the start with --user: the saved session is resumed
// when it is that account (on that homeserver, if one is given), so no
// new device is made on the server; otherwise it logs in with the
// password password returns (asked for only then).
//
// A saved session of another account is logged out on the server before
// the new one replaces it, so no valid token is left behind that nothing
// can reach any more. The new login comes first, so a wrong password
// changes nothing; if the old session cannot be logged out (the server is
// unreachable), the new one is logged out again and the start is refused,
// pointing to --profile.
func (ss *Sessions) LoginOrResume(ctx context.Context, p matrix.LoginParams, password func() (string, error)) (a *Account, resumed bool, err error) {
	old, err := matrix.LoadSession(ss.Profile.SessionFile)
	if err == nil && old.Matches(p.Homeserver, p.User) {
		a, err := ss.Start(ctx, old)
		return a, err == nil, err
	}
	if err != nil && !errors.Is(err, matrix.ErrNoSession) {
		return nil, false, err
	}
	if p.Password, err = password(); err != nil {
		return nil, false, err
	}
	s, err := ss.login(ctx, p)
	if err != nil {
		return nil, false, err
	}
	if old != nil {
		if err := ss.replace(ctx, old); err != nil {
			if lerr := ss.logoutSession(ctx, s); lerr != nil {
				err = errors.Join(err, fmt.Errorf("and the new session %s could not be logged out either: %w", s.DeviceID, lerr))
			}
			return nil, false, err
		}
	}
	a, err = ss.startNew(ctx, s)
	return a, false, err
}

// replace logs a saved session of another account out on the server and
// removes it and its store from the profile.
func (ss *Sessions) replace(ctx context.Context, old *matrix.Session) error {
	if err := ss.logoutSession(ctx, old); err != nil {
		return fmt.Errorf("this profile holds the session of %s, which could not be logged out on the server "+
			"(%w); nothing was changed: start termatrix as %s and /logout first, or use --profile NAME for the other account",
			old.UserID, err, old.UserID)
	}
	return errors.Join(matrix.RemoveSession(ss.Profile.SessionFile), matrix.RemoveStore(ss.Profile.DBFile))
}

// logoutSession ends a session on the server. It opens the session on a
// throwaway store, so the profile's store is never touched by it.
func (ss *Sessions) logoutSession(ctx context.Context, s *matrix.Session) error {
	if err := os.MkdirAll(ss.Profile.DataDir, 0o700); err != nil {
		return err
	}
	dir, err := os.MkdirTemp(ss.Profile.DataDir, ".logout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cp := *s
	cp.EnsurePickleKey()
	c, err := matrix.Open(ctx, &cp, filepath.Join(dir, "store.db"), matrix.Options{})
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Logout(ctx)
}

// Start starts an account from a session. A saved session from before
// termatrix encrypted gets its pickle key here, and is saved again.
func (ss *Sessions) Start(ctx context.Context, s *matrix.Session) (*Account, error) {
	if s.EnsurePickleKey() {
		if _, err := os.Stat(ss.Profile.SessionFile); err == nil {
			if err := matrix.SaveSession(ss.Profile.SessionFile, s); err != nil {
				return nil, err
			}
		}
	}
	a, err := StartAccount(ctx, s, ss.Profile.DataDir, ss.Profile.DBFile, ss.Config, ss.ElementCall, ss.StartAfter)
	if err != nil {
		return nil, err
	}
	ss.open.add(a)
	return a, nil
}

// Resume starts the account of the saved session; the error matches
// matrix.ErrNoSession when there is none.
func (ss *Sessions) Resume(ctx context.Context) (*Account, error) {
	s, err := matrix.LoadSession(ss.Profile.SessionFile)
	if err != nil {
		return nil, err
	}
	return ss.Start(ctx, s)
}

// UILogin is Login in the shape ui.Options.Login takes.
func (ss *Sessions) UILogin(ctx context.Context, p matrix.LoginParams) (*matrix.Client, *calls.Controller, error) {
	a, err := ss.Login(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	return a.Client, a.Calls, nil
}

// Logout logs the client out on the server, closes the account and
// removes the session file and the local store (it holds the account's
// messages), so the profile is empty for the next login.
func (ss *Sessions) Logout(ctx context.Context, c *matrix.Client) error {
	if err := c.Logout(ctx); err != nil {
		return err
	}
	return ss.forget(c)
}

// Ended cleans up after the server ended a client's session: it closes
// the account and removes the session file and the local store.
func (ss *Sessions) Ended(c *matrix.Client) { _ = ss.forget(c) }

// forget closes a client's account and deletes its session and store.
func (ss *Sessions) forget(c *matrix.Client) error {
	var errs []error
	if a := ss.open.take(c); a != nil {
		errs = append(errs, a.Close())
	}
	errs = append(errs, matrix.RemoveSession(ss.Profile.SessionFile), matrix.RemoveStore(ss.Profile.DBFile))
	return errors.Join(errs...)
}

// Close closes every account started.
func (ss *Sessions) Close() error { return ss.open.closeAll() }
