// Package config loads termatrix's settings: the defaults embedded in the
// binary (the top-level config.json) overlaid with the user's own file.
//
// A config error names the file and the line and column, or the unknown key,
// or the key whose value is of the wrong form or out of range (Validate),
// and no half-loaded or invalid config is ever returned.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Config is the whole of termatrix's settings. It holds no runtime state.
type Config struct {
	Jitsi         Jitsi             `json:"jitsi"`
	Browser       string            `json:"browser"`
	Notifications Notifications     `json:"notifications"`
	Calls         Calls             `json:"calls"`
	Audio         Audio             `json:"audio"`
	UI            UI                `json:"ui"`
	Keys          map[string]string `json:"keys"`

	// UserFile is the user config file that was read, or "" if none was.
	UserFile string `json:"-"`
}

// Jitsi holds the settings for conference calls through Jitsi widgets.
type Jitsi struct {
	// PreferredDomain is the Jitsi server used to start conferences when
	// neither the user's file nor the homeserver names one.
	PreferredDomain string `json:"preferredDomain"`
	// PreferredDomainAlt accepts Element's snake_case spelling.
	PreferredDomainAlt string `json:"preferred_domain"`
	// WrapperURL is the jitsi.html wrapper page the browser is pointed at.
	WrapperURL string `json:"wrapperUrl"`
	// WellKnownTimeoutMs bounds the .well-known lookups made before a call.
	WellKnownTimeoutMs int `json:"wellKnownTimeoutMs"`

	// UserPreferredDomain is the domain set in the user's own file (either
	// spelling), or "". It decides precedence over the homeserver's
	// well-known, which the shipped default does not take.
	UserPreferredDomain string `json:"-"`
}

// Notifications says how the user is alerted.
type Notifications struct {
	Bell    bool `json:"bell"`
	Desktop bool `json:"desktop"`
}

// Calls holds the settings for calls: which kind the call keys start,
// and those of 1:1 calls.
type Calls struct {
	ForceRelay bool        `json:"forceRelay"`
	LifetimeMs int         `json:"lifetimeMs"`
	ICEServers []ICEServer `json:"iceServers"`
	// Group is what the call keys start in a room of more than two:
	// GroupJitsi, CallElementCall or CallAuto.
	Group string `json:"group"`
	// DM is what they start in a room of two: DMLegacy, CallElementCall
	// or CallAuto.
	DM string `json:"dm"`
}

// The values of calls.group and calls.dm. A call already running in the
// room is joined whatever they say.
const (
	GroupJitsi      = "jitsi"        // a Jitsi widget (the default for groups)
	DMLegacy        = "legacy"       // a legacy m.call 1:1 call (the default for DMs)
	CallElementCall = "element-call" // always Element Call (MatrixRTC)
	CallAuto        = "auto"         // Element Call where available, else the default
)

// ICEServer is an extra STUN/TURN server of the user's own.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// Audio names the capture source and playback sink of calls:
// "default", "device:NAME", "tone:HZ", "file:PATH.wav" or "none".
type Audio struct {
	Input  string `json:"input"`
	Output string `json:"output"`
}

// UI holds display settings.
type UI struct {
	Theme         string `json:"theme"`
	Language      string `json:"language"`
	OSC8Links     bool   `json:"osc8Links"`
	ShowMembers   bool   `json:"showMembers"`
	TimelineLimit int    `json:"timelineLimit"`
}

// DefaultPath is the user's config file: $XDG_CONFIG_HOME/termatrix/config.json
// (or ~/.config/termatrix/config.json).
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find config dir: %w", err)
	}
	return filepath.Join(dir, "termatrix", "config.json"), nil
}

// Load parses the embedded defaults and overlays the user's file at path.
// A missing file at path is fine unless required is true (an explicit
// --config). Keys the user's file does not set keep their default.
func Load(defaults []byte, path string, required bool) (*Config, error) {
	var c Config
	if err := decode(defaults, "embedded config.json", &c); err != nil {
		return nil, err
	}
	if path != "" {
		data, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist) && !required:
		case err != nil:
			return nil, fmt.Errorf("read config: %w", err)
		default:
			if err := decode(data, path, &c); err != nil {
				return nil, err
			}
			var user Config
			if err := decode(data, path, &user); err != nil {
				return nil, err
			}
			c.UserFile = path
			c.Jitsi.UserPreferredDomain = firstNonEmpty(user.Jitsi.PreferredDomain, user.Jitsi.PreferredDomainAlt)
		}
	}
	if c.Jitsi.UserPreferredDomain != "" {
		c.Jitsi.PreferredDomain = c.Jitsi.UserPreferredDomain
	}
	if err := c.Validate(); err != nil {
		// The defaults are valid (a test holds them to it), so a bad value
		// comes from the user's file.
		name := "embedded config.json"
		if c.UserFile != "" {
			name = c.UserFile
		}
		var lines []string
		for _, e := range unjoin(err) {
			lines = append(lines, fmt.Sprintf("config %s: %v", name, e))
		}
		return nil, errors.New(strings.Join(lines, "\n"))
	}
	return &c, nil
}

// unjoin splits an errors.Join result into its errors.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// decode strictly unmarshals data into c, turning errors into messages that
// name the file and the line and column, or the unknown key.
func decode(data []byte, name string, c *Config) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(c)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the top-level object")
	}
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset)
		return fmt.Errorf("config %s:%d:%d: %w", name, line, col, err)
	case errors.As(err, &typ):
		line, col := position(data, typ.Offset)
		return fmt.Errorf("config %s:%d:%d: key %q wants a %s, not a %s", name, line, col, typ.Field, typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Errorf("config %s: unknown key %s", name, strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return fmt.Errorf("config %s: %w", name, err)
	}
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}
