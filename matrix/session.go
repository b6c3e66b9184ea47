package matrix

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"maunium.net/go/mautrix/id"
)

// Session is what a login yields and a start resumes. AccessToken is a
// secret: String and GoString never show it.
type Session struct {
	Homeserver  string      `json:"homeserver"`
	UserID      id.UserID   `json:"user_id"`
	DeviceID    id.DeviceID `json:"device_id"`
	AccessToken string      `json:"access_token"`
	// PickleKey encrypts this device's Olm account and Megolm sessions in
	// the store (base64 of 32 random bytes). It is a secret like the
	// token: kept only in the 0600 session file, never shown.
	PickleKey string `json:"pickle_key,omitempty"`
}

// EnsurePickleKey gives the session a new random pickle key when it has
// none (a session saved before termatrix encrypted) and reports whether
// it did: the caller must then save the session, or the next start could
// not read the store's encryption keys.
func (s *Session) EnsurePickleKey() bool {
	if s.PickleKey != "" {
		return false
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("reading random bytes: " + err.Error())
	}
	s.PickleKey = base64.RawStdEncoding.EncodeToString(b)
	return true
}

// String describes the session without its token.
func (s Session) String() string {
	return "session{" + string(s.UserID) + " " + string(s.DeviceID) + " on " + s.Homeserver + "}"
}

// GoString keeps %#v from printing the token.
func (s Session) GoString() string { return s.String() }

// Matches says whether the session is the account a command line names:
// user is a full user ID (@name:server) or a bare localpart, and
// homeserver, when not empty, is the homeserver URL (trailing slashes and
// letter case aside). A caller given --user (and perhaps --homeserver) can
// resume a matching saved session instead of logging in again, which would
// leave another device behind on the server.
func (s *Session) Matches(homeserver, user string) bool {
	if s == nil {
		return false
	}
	user = strings.TrimSpace(user)
	if strings.HasPrefix(user, "@") {
		if id.UserID(user) != s.UserID {
			return false
		}
	} else {
		localpart, _, err := s.UserID.Parse()
		if err != nil || user == "" || user != localpart {
			return false
		}
	}
	return homeserver == "" || normalizeHomeserver(homeserver) == normalizeHomeserver(s.Homeserver)
}

// validate checks that a session has everything a client needs.
func (s *Session) validate() error {
	switch {
	case s == nil:
		return errors.New("no session")
	case s.Homeserver == "":
		return errors.New("session has no homeserver")
	case s.UserID == "":
		return errors.New("session has no user ID")
	case s.AccessToken == "":
		return errors.New("session has no access token")
	}
	if _, _, err := s.UserID.Parse(); err != nil {
		return fmt.Errorf("session has a malformed user ID: %w", err)
	}
	return nil
}

// DefaultProfile is the profile used when none is given.
const DefaultProfile = "default"

// Paths returns where a profile's files live: the data directory
// $XDG_DATA_HOME/termatrix/<profile> (~/.local/share when XDG_DATA_HOME is
// unset), the session file and the SQLite store inside it. It creates
// nothing.
func Paths(profile string) (dataDir, sessionFile, dbFile string, err error) {
	if profile == "" {
		profile = DefaultProfile
	}
	if strings.ContainsAny(profile, `/\`) || profile == "." || profile == ".." || strings.ContainsRune(profile, 0) {
		return "", "", "", fmt.Errorf("profile name %q: must not contain path separators", profile)
	}
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home, herr := os.UserHomeDir()
		if herr != nil {
			return "", "", "", fmt.Errorf("finding the data directory: %w", herr)
		}
		base = filepath.Join(home, ".local", "share")
	}
	dataDir = filepath.Join(base, "termatrix", profile)
	return dataDir, filepath.Join(dataDir, "session.json"), filepath.Join(dataDir, "store.db"), nil
}

// SaveSession writes the session to path atomically (a temporary file in
// the same directory, then a rename) with mode 0600, creating the directory
// with mode 0700 if needed.
func SaveSession(path string, s *Session) error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("saving session: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("saving session: creating %s: %w", dir, err)
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("saving session: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".session-*.tmp")
	if err != nil {
		return fmt.Errorf("saving session: %w", err)
	}
	tmpName := tmp.Name()
	defer func() {
		if tmpName != "" {
			_ = os.Remove(tmpName)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("saving session: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("saving session: writing %s: %w", tmpName, err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("saving session: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving session: %w", err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("saving session: %w", err)
	}
	tmpName = ""
	return nil
}

// ErrNoSession is returned by LoadSession when there is no session file.
var ErrNoSession = errors.New("no saved session")

// LoadSession reads a session saved by SaveSession. A missing file gives an
// error that matches ErrNoSession. A file readable by others is refused.
func LoadSession(path string) (*Session, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("loading session from %s: %w", path, ErrNoSession)
	} else if err != nil {
		return nil, fmt.Errorf("loading session: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("loading session: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("loading session: %s has mode %v; it must be readable by you only (chmod 600)", path, st.Mode().Perm())
	}
	var s Session
	dec := json.NewDecoder(f)
	if err := dec.Decode(&s); err != nil {
		// The decoder's error never quotes the file's values.
		return nil, fmt.Errorf("loading session: %s is not a valid session file: %w", path, scrubJSONError(err))
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("loading session from %s: %w", path, err)
	}
	return &s, nil
}

// RemoveSession deletes the session file; a missing file is not an error.
func RemoveSession(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing session: %w", err)
	}
	return nil
}

// scrubJSONError keeps only the kind and offset of a JSON error, so that a
// syntax error never echoes part of the token.
func scrubJSONError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("JSON syntax error at offset %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %q has the wrong type", te.Field)
	}
	return errors.New("malformed JSON")
}
