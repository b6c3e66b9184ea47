package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// Ranges of the numeric settings. A value outside its range is a config
// error, so a typo (a timeout in seconds where milliseconds are meant, a
// negative limit) stops the start instead of misbehaving later.
const (
	MinLifetimeMs         = 5_000   // calls.lifetimeMs: an invite rings at least 5 s
	MaxLifetimeMs         = 600_000 // ... and at most 10 min
	MinWellKnownTimeoutMs = 100     // jitsi.wellKnownTimeoutMs
	MaxWellKnownTimeoutMs = 60_000
	MinTimelineLimit      = 1 // ui.timelineLimit: events loaded when a room opens
	MaxTimelineLimit      = 10_000
	MinToneHz             = 20   // tone:HZ, audible ...
	MaxToneHz             = 3999 // ... and below the 8 kHz sample rate's Nyquist limit
)

// Validate checks every value of c whose form or range is fixed, and
// returns one error per bad key (joined), each naming the key and why. A
// nil result means c can be used as it is.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("key %s: %w", key, err))
		}
	}
	switch alt := c.Jitsi.PreferredDomainAlt; {
	case alt == "":
		bad("jitsi.preferredDomain", checkDomain(c.Jitsi.PreferredDomain))
	case alt == c.Jitsi.PreferredDomain: // the user's file spelt it so
		bad("jitsi.preferred_domain", checkDomain(alt))
	default:
		bad("jitsi.preferredDomain", checkDomain(c.Jitsi.PreferredDomain))
		bad("jitsi.preferred_domain", checkDomain(alt))
	}
	bad("jitsi.wrapperUrl", checkWrapperURL(c.Jitsi.WrapperURL))
	bad("jitsi.wellKnownTimeoutMs", checkRange(c.Jitsi.WellKnownTimeoutMs, MinWellKnownTimeoutMs, MaxWellKnownTimeoutMs))
	bad("calls.lifetimeMs", checkRange(c.Calls.LifetimeMs, MinLifetimeMs, MaxLifetimeMs))
	for i, s := range c.Calls.ICEServers {
		bad(fmt.Sprintf("calls.iceServers[%d]", i), checkICEServer(s))
	}
	bad("calls.group", checkOneOf(c.Calls.Group, GroupJitsi, CallElementCall, CallAuto))
	bad("calls.dm", checkOneOf(c.Calls.DM, DMLegacy, CallElementCall, CallAuto))
	bad("audio.input", checkAudio(c.Audio.Input, true))
	bad("audio.output", checkAudio(c.Audio.Output, false))
	bad("ui.timelineLimit", checkRange(c.UI.TimelineLimit, MinTimelineLimit, MaxTimelineLimit))
	bad("ui.theme", checkTheme(c.UI.Theme))
	bad("ui.language", checkLanguage(c.UI.Language))
	return errors.Join(errs...)
}

func checkRange(v, lo, hi int) error {
	if v < lo || v > hi {
		return fmt.Errorf("%d is out of range: want %d to %d", v, lo, hi)
	}
	return nil
}

// checkDomain accepts a bare host[:port] (a DNS name or IPv4 address,
// port 1–65535): what Jitsi widgets carry in data.domain.
func checkDomain(d string) error {
	if d == "" {
		return errors.New(`empty: want a bare host such as "meet.example.org"`)
	}
	if strings.Contains(d, "://") || strings.ContainsAny(d, "/?#@ ") {
		return fmt.Errorf("%s is not a bare host[:port] (no scheme, path, user or spaces)", show(d))
	}
	host, port, hasPort := strings.Cut(d, ":")
	if hasPort {
		if err := checkPort(port); err != nil {
			return fmt.Errorf("%s: %w", show(d), err)
		}
	}
	if err := checkHostName(host); err != nil {
		return fmt.Errorf("%s: %w", show(d), err)
	}
	return nil
}

func checkPort(p string) error {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 || p[0] == '0' || p[0] == '+' {
		return fmt.Errorf("port %s is not a number from 1 to 65535", show(p))
	}
	return nil
}

// checkHostName accepts a DNS name of letters, digits and '-' in
// non-empty labels (an IPv4 address is such a name too).
func checkHostName(h string) error {
	if h == "" || len(h) > 253 {
		return errors.New("no valid host name")
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("host %s has an empty, overlong or hyphen-edged label", show(h))
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				return fmt.Errorf("host %s may hold only letters, digits, '-' and '.'", show(h))
			}
		}
	}
	return nil
}

// checkWrapperURL accepts an absolute https URL with a host and without
// user info, query or fragment: the conference parameters go into the
// fragment termatrix builds.
func checkWrapperURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case s == "":
		return errors.New("empty: want an https URL such as https://app.element.io/jitsi.html")
	case err != nil:
		return fmt.Errorf("%s is not a URL", show(s))
	case u.Scheme != "https":
		return fmt.Errorf("%s is not https", show(s))
	case u.Opaque != "" || u.Host == "":
		return fmt.Errorf("%s has no host", show(s))
	case u.User != nil:
		return fmt.Errorf("%s must not carry a user name or password", show(s))
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#"):
		return fmt.Errorf("%s must have no query or fragment", show(s))
	}
	host, port := u.Hostname(), u.Port()
	if ip := net.ParseIP(host); ip == nil {
		if err := checkHostName(host); err != nil {
			return fmt.Errorf("%s: %w", show(s), err)
		}
	}
	if port != "" {
		if err := checkPort(port); err != nil {
			return fmt.Errorf("%s: %w", show(s), err)
		}
	}
	return nil
}

// checkAudio accepts the audio.input (source) or audio.output (sink)
// forms: default, device:NAME, tone:HZ (input only), file:PATH.wav, none.
func checkAudio(s string, input bool) error {
	kind, arg, hasArg := strings.Cut(s, ":")
	switch kind {
	case "default", "none":
		if hasArg {
			return fmt.Errorf("%s: %q takes no argument", show(s), kind)
		}
		return nil
	case "device":
		if strings.TrimSpace(arg) == "" {
			return fmt.Errorf("%s: device:NAME needs a device name", show(s))
		}
		if strings.ContainsFunc(arg, unicode.IsControl) {
			return fmt.Errorf("%s: the device name holds control characters", show(s))
		}
		return nil
	case "tone":
		if !input {
			return fmt.Errorf("%s: a tone is a source (audio.input), not a sink", show(s))
		}
		hz, err := strconv.ParseFloat(arg, 64)
		if err != nil || math.IsNaN(hz) || hz < MinToneHz || hz > MaxToneHz {
			return fmt.Errorf("%s: tone:HZ needs a frequency from %d to %d Hz", show(s), MinToneHz, MaxToneHz)
		}
		return nil
	case "file":
		if !strings.HasSuffix(strings.ToLower(arg), ".wav") || len(arg) <= len(".wav") {
			return fmt.Errorf("%s: file:PATH needs the path of a .wav file", show(s))
		}
		if strings.ContainsFunc(arg, unicode.IsControl) {
			return fmt.Errorf("%s: the path holds control characters", show(s))
		}
		return nil
	}
	return fmt.Errorf("%s: want default, device:NAME, %sfile:PATH.wav or none", show(s), map[bool]string{true: "tone:HZ, "}[input])
}

// checkICEServer accepts stun:, stuns:, turn: and turns: URIs; a TURN
// server needs a username and credential. The credential never appears
// in the error.
func checkICEServer(s ICEServer) error {
	if len(s.URLs) == 0 {
		return errors.New(`"urls" is empty`)
	}
	turn := false
	for _, raw := range s.URLs {
		scheme, rest, ok := strings.Cut(raw, ":")
		switch scheme = strings.ToLower(scheme); {
		case !ok || rest == "" || strings.ContainsAny(rest, " /@#"):
			return fmt.Errorf("%s is not a stun: or turn: URI (such as turn:turn.example.org:3478)", show(raw))
		case scheme == "turn" || scheme == "turns":
			turn = true
		case scheme == "stun" || scheme == "stuns":
		default:
			return fmt.Errorf("%s: the scheme must be stun, stuns, turn or turns", show(raw))
		}
	}
	if turn && (s.Username == "" || s.Credential == "") {
		return errors.New(`a TURN server needs "username" and "credential"`)
	}
	return nil
}

// checkOneOf accepts exactly one of the values given.
func checkOneOf(v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("%s: want %s", show(v), strings.Join(allowed, ", "))
}

func checkTheme(t string) error {
	if t != "dark" && t != "light" {
		return fmt.Errorf("%s: want dark or light", show(t))
	}
	return nil
}

// checkLanguage accepts a language tag such as en, de or pt-BR.
func checkLanguage(l string) error {
	parts := strings.Split(l, "-")
	ok := len(parts[0]) >= 2 && len(parts[0]) <= 8
	for _, p := range parts {
		if p == "" || len(p) > 8 {
			ok = false
		}
		for i := 0; i < len(p); i++ {
			c := p[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
				ok = false
			}
		}
	}
	if !ok {
		return fmt.Errorf("%s is not a language tag such as en or pt-BR", show(l))
	}
	return nil
}

// show quotes a config value for an error, shortened.
func show(s string) string {
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80]) + "…"
	}
	return strconv.Quote(s)
}
