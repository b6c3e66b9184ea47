package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/termatrix/termatrix/config"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/matrix/e2ee"
	"github.com/termatrix/termatrix/ui"
)

// PasswordEnv is the environment variable a password can come from for
// non-interactive login.
const PasswordEnv = "TERMATRIX_PASSWORD"

// Flags are the command line settings.
type Flags struct {
	Homeserver   string
	User         string
	PasswordFile string
	// RecoveryKeyFile verifies the session with the recovery key (or
	// passphrase) in this file at start, for headless use.
	RecoveryKeyFile string
	Profile         string
	ConfigPath      string
	Version         bool
}

// ParseFlags parses the command line. --help prints every flag to out and
// returns flag.ErrHelp.
func ParseFlags(args []string, out io.Writer) (Flags, error) {
	var f Flags
	fs := flag.NewFlagSet("termatrix", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&f.Homeserver, "homeserver", "", "homeserver base URL for --user login (default: discovered from the user ID)")
	fs.StringVar(&f.User, "user", "", "log in non-interactively as this user ID (@alice:example.org) or user name")
	fs.StringVar(&f.PasswordFile, "password-file", "", "read the password for --user from this file (or set "+PasswordEnv+")")
	fs.StringVar(&f.RecoveryKeyFile, "recovery-key-file", "", "verify this session at start with the recovery key (or passphrase) in this file (mode 0600), restoring the key backup")
	fs.StringVar(&f.Profile, "profile", matrix.DefaultProfile, "keep this account's session and store apart under this name")
	fs.StringVar(&f.ConfigPath, "config", "", "config file (default: $XDG_CONFIG_HOME/termatrix/config.json)")
	fs.BoolVar(&f.Version, "version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(out, "termatrix: a Matrix chat client for the terminal, with calls.\n\n")
		fmt.Fprintf(out, "Usage: termatrix [flags]\n\nWith a saved session it resumes; otherwise it shows a login form,\n")
		fmt.Fprintf(out, "or logs in non-interactively with --user and a password.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return Flags{}, err
	}
	if fs.NArg() > 0 {
		return Flags{}, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	if f.User == "" && (f.PasswordFile != "" || f.Homeserver != "" || f.RecoveryKeyFile != "") {
		return Flags{}, errors.New("--homeserver, --password-file and --recovery-key-file need --user")
	}
	return f, nil
}

// password returns the password for non-interactive login. A password
// file others can read is warned about on warn.
func (f Flags) password(getenv func(string) string, warn io.Writer) (string, error) {
	if f.PasswordFile != "" {
		warnPasswordFile(f.PasswordFile, warn)
		data, err := os.ReadFile(f.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("reading the password file: %w", err)
		}
		return strings.TrimRight(string(data), "\r\n"), nil
	}
	if p := getenv(PasswordEnv); p != "" {
		return p, nil
	}
	return "", fmt.Errorf("--user needs --password-file or %s", PasswordEnv)
}

// Main runs termatrix with the command line args (without the program
// name) and the embedded default config; it returns the exit code.
func Main(args []string, defaults []byte, version string, stdout, stderr io.Writer) int {
	// Read once, and gone from the environment before anything starts.
	secrets := takeEnvSecrets()
	profile, memProfile := os.Getenv(ProfileEnv), os.Getenv(MemProfileEnv)
	os.Unsetenv(ProfileEnv)
	os.Unsetenv(MemProfileEnv)
	sampleHeapOnlyFor(memProfile)
	f, err := ParseFlags(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "termatrix:", err)
		return 2
	}
	if f.Version {
		fmt.Fprintln(stdout, "termatrix", version)
		return 0
	}
	stopProfile, err := startProfile(profile)
	if err != nil {
		fmt.Fprintln(stderr, "termatrix:", err)
		return 1
	}
	defer stopProfile()
	defer startMemProfile(memProfile)()
	if err := run(f, defaults, secrets.getenv, stderr); err != nil {
		fmt.Fprintln(stderr, "termatrix:", err)
		return 1
	}
	return 0
}

// LoadConfig loads the config the flags name.
func LoadConfig(f Flags, defaults []byte) (*config.Config, error) {
	path, required := f.ConfigPath, true
	if path == "" {
		required = false
		var err error
		if path, err = config.DefaultPath(); err != nil {
			return nil, err
		}
	}
	cfg, err := config.Load(defaults, path, required)
	if err != nil {
		return nil, err
	}
	if _, err := ui.NewKeymap(cfg.Keys); err != nil {
		return nil, fmt.Errorf("%s: %w", configName(cfg), err)
	}
	return cfg, nil
}

func configName(cfg *config.Config) string {
	if cfg.UserFile != "" {
		return "config " + cfg.UserFile
	}
	return "embedded config.json"
}

func run(f Flags, defaults []byte, getenv func(string) string, stderr io.Writer) error {
	restoreGC := fewerCollectionsUntilDrawn(os.Getenv)
	defer restoreGC()
	cfg, err := LoadConfig(f, defaults)
	if err != nil {
		return err
	}
	prof, err := ProfilePaths(f.Profile)
	if err != nil {
		return err
	}
	// One termatrix per profile: a second one would split the sync's
	// events (and the crypto store) with the first.
	name := f.Profile
	if name == "" {
		name = matrix.DefaultProfile
	}
	lock, err := LockProfile(prof.DataDir, name)
	if err != nil {
		return err
	}
	defer lock.Release()
	// The accounts' background work (sync, calls) waits for the first
	// frame: a start draws the room list from the store first.
	firstFrame := make(chan struct{})
	ss := &Sessions{Profile: prof, Config: cfg, ElementCall: NewElementCall, StartAfter: firstFrame}
	defer ss.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var acct *Account
	var opts ui.Options
	switch {
	case f.User != "":
		var recoveryKey string
		if f.RecoveryKeyFile != "" {
			// Read before logging in: a bad file stops here.
			if recoveryKey, err = e2ee.ReadRecoveryKeyFile(f.RecoveryKeyFile); err != nil {
				return err
			}
		}
		acct, _, err = ss.LoginOrResume(ctx, matrix.LoginParams{Homeserver: f.Homeserver, User: f.User, DeviceName: "termatrix"},
			func() (string, error) { return f.password(getenv, stderr) })
		if err != nil {
			return err
		}
		if recoveryKey != "" {
			if err := VerifySession(ctx, acct.Client, recoveryKey); err != nil {
				return withoutSecrets(err, "verifying this session with --recovery-key-file",
					recoveryKey, strings.ReplaceAll(recoveryKey, " ", ""))
			}
		}
	default:
		// The terminal opens on another core while the store does; it is
		// restored before any error is printed (the UI restores it when it
		// took it).
		term := ui.OpenTerminal()
		defer term.Close()
		opts.Terminal = term
		acct, err = ss.Resume(ctx)
		if err != nil && !errors.Is(err, matrix.ErrNoSession) {
			return err
		}
	}
	opts.Config, opts.Login, opts.Logout, opts.SessionEnded = cfg, ss.UILogin, ss.Logout, ss.Ended
	opts.FirstFrame = func() {
		restoreGC()
		close(firstFrame)
	}
	if acct != nil {
		opts.Client, opts.Calls = acct.Client, acct.Calls
	}
	u, err := ui.New(opts)
	if err != nil {
		return err
	}
	return u.Run()
}

// VerifySession verifies a started account's session with a recovery key
// or passphrase unless it is verified already; the key backup is then
// restored in the background.
func VerifySession(ctx context.Context, c *matrix.Client, recoveryKey string) error {
	if st, err := c.VerificationStatus(ctx); err == nil && st.Verified {
		return nil
	}
	if err := c.VerifyWithRecoveryKey(ctx, recoveryKey); err != nil {
		return fmt.Errorf("verifying this session with --recovery-key-file: %w", err)
	}
	return nil
}
