package config

import (
	"fmt"
	"strings"
	"testing"
)

// TestShippedDefaultsAreValid: the embedded config.json passes Validate,
// so any value Load refuses comes from the user's file.
func TestShippedDefaultsAreValid(t *testing.T) {
	c, err := Load(defaults, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestBadValuesStopTheLoad: every value of the wrong form or out of range
// is refused with the file, the key and the reason; none is loaded.
func TestBadValuesStopTheLoad(t *testing.T) {
	for _, tc := range []struct{ file, key, reason string }{
		{`{"audio": {"input": "tone:abc"}}`, "audio.input", "frequency"},
		{`{"audio": {"input": "tone:NaN"}}`, "audio.input", "frequency"},
		{`{"audio": {"input": "tone:5"}}`, "audio.input", "20 to 3999"},
		{`{"audio": {"input": "tone:4000"}}`, "audio.input", "20 to 3999"},
		{`{"audio": {"input": "mic"}}`, "audio.input", "want default"},
		{`{"audio": {"input": "device:"}}`, "audio.input", "device name"},
		{`{"audio": {"input": "file:in.mp3"}}`, "audio.input", ".wav"},
		{`{"audio": {"input": "none:x"}}`, "audio.input", "no argument"},
		{`{"audio": {"output": "tone:440"}}`, "audio.output", "not a sink"},
		{`{"audio": {"output": "speaker"}}`, "audio.output", "want default"},
		{`{"jitsi": {"wrapperUrl": "http://app.element.io/jitsi.html"}}`, "jitsi.wrapperUrl", "not https"},
		{`{"jitsi": {"wrapperUrl": "https://u:p@app.element.io/jitsi.html"}}`, "jitsi.wrapperUrl", "user name"},
		{`{"jitsi": {"wrapperUrl": "https://app.element.io/jitsi.html#x"}}`, "jitsi.wrapperUrl", "fragment"},
		{`{"jitsi": {"wrapperUrl": "jitsi.html"}}`, "jitsi.wrapperUrl", "not https"},
		{`{"jitsi": {"wrapperUrl": "https://bad_host/jitsi.html"}}`, "jitsi.wrapperUrl", "letters, digits"},
		{`{"jitsi": {"preferredDomain": "https://meet.example.org/"}}`, "jitsi.preferredDomain", "bare host"},
		{`{"jitsi": {"preferredDomain": "meet.example.org/room"}}`, "jitsi.preferredDomain", "bare host"},
		{`{"jitsi": {"preferred_domain": "meet.example.org:0"}}`, "jitsi.preferred_domain", "port"},
		{`{"jitsi": {"preferredDomain": "meet.example.org:99999"}}`, "jitsi.preferredDomain", "port"},
		{`{"jitsi": {"preferredDomain": ""}}`, "jitsi.preferredDomain", "empty"},
		{`{"jitsi": {"preferredDomain": "a..b"}}`, "jitsi.preferredDomain", "label"},
		{`{"jitsi": {"wellKnownTimeoutMs": 0}}`, "jitsi.wellKnownTimeoutMs", "out of range"},
		{`{"jitsi": {"wellKnownTimeoutMs": 3600000}}`, "jitsi.wellKnownTimeoutMs", "out of range"},
		{`{"calls": {"lifetimeMs": 90}}`, "calls.lifetimeMs", "out of range"},
		{`{"calls": {"group": "zoom"}}`, "calls.group", "want jitsi, element-call, auto"},
		{`{"calls": {"group": "legacy"}}`, "calls.group", "want jitsi, element-call, auto"},
		{`{"calls": {"dm": "jitsi"}}`, "calls.dm", "want legacy, element-call, auto"},
		{`{"calls": {"dm": ""}}`, "calls.dm", "want legacy, element-call, auto"},
		{`{"calls": {"lifetimeMs": -1}}`, "calls.lifetimeMs", "out of range"},
		{`{"calls": {"iceServers": [{"urls": []}]}}`, "calls.iceServers[0]", "empty"},
		{`{"calls": {"iceServers": [{"urls": ["http://x"]}]}}`, "calls.iceServers[0]", "stun: or turn:"},
		{`{"calls": {"iceServers": [{"urls": ["turn:t.example.org"], "credential": "hunter2"}]}}`, "calls.iceServers[0]", "username"},
		{`{"ui": {"timelineLimit": 0}}`, "ui.timelineLimit", "out of range"},
		{`{"ui": {"timelineLimit": 1000000}}`, "ui.timelineLimit", "out of range"},
		{`{"ui": {"theme": "blue"}}`, "ui.theme", "dark or light"},
		{`{"ui": {"language": "en&x=1"}}`, "ui.language", "language tag"},
	} {
		p := writeUser(t, tc.file)
		c, err := Load(defaults, p, true)
		if err == nil || c != nil {
			t.Errorf("%s: loaded", tc.file)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, p) || !strings.Contains(msg, "key "+tc.key+":") || !strings.Contains(msg, tc.reason) {
			t.Errorf("%s: error %q lacks the file, key %s or %q", tc.file, msg, tc.key, tc.reason)
		}
		if strings.Contains(msg, "hunter2") {
			t.Errorf("%s: the error shows the credential: %q", tc.file, msg)
		}
	}
}

// TestEveryBadKeyIsReported: several mistakes are reported together, one
// line each.
func TestEveryBadKeyIsReported(t *testing.T) {
	p := writeUser(t, `{"audio": {"input": "tone:0", "output": "x"}, "ui": {"timelineLimit": -5}}`)
	_, err := Load(defaults, p, true)
	if err == nil {
		t.Fatal("loaded")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got %q", err)
	}
	for i, key := range []string{"audio.input", "audio.output", "ui.timelineLimit"} {
		if !strings.Contains(lines[i], p) || !strings.Contains(lines[i], key) {
			t.Errorf("line %d %q lacks the file or %s", i, lines[i], key)
		}
	}
}

// TestGoodValuesLoad: every documented form is accepted.
func TestGoodValuesLoad(t *testing.T) {
	for _, f := range []string{
		`{"audio": {"input": "default", "output": "none"}}`,
		`{"audio": {"input": "device:USB Audio: mic #1", "output": "device:hw:0,0"}}`,
		`{"audio": {"input": "tone:440", "output": "file:/tmp/out.WAV"}}`,
		`{"audio": {"input": "tone:20", "output": "default"}}`,
		`{"audio": {"input": "file:in.wav"}}`,
		`{"jitsi": {"preferredDomain": "meet.example.org:8443", "wrapperUrl": "https://127.0.0.1:8080/jitsi.html"}}`,
		`{"jitsi": {"preferred_domain": "10.0.0.1"}}`,
		`{"calls": {"lifetimeMs": 60000, "iceServers": [{"urls": ["stun:stun.example.org:3478", "turns:t.example.org?transport=tcp"], "username": "u", "credential": "c"}]}}`,
		`{"ui": {"theme": "light", "language": "pt-BR", "timelineLimit": 1}}`,
		`{"calls": {"group": "element-call", "dm": "auto"}}`,
		`{"calls": {"group": "auto", "dm": "element-call"}}`,
	} {
		if _, err := Load(defaults, writeUser(t, f), true); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestReadmeStatesTheRanges: the README's config table gives the ranges
// Validate holds values to.
func TestReadmeStatesTheRanges(t *testing.T) {
	readme := string(mustRead("../README.md"))
	for _, want := range []string{
		fmt.Sprintf("`calls.lifetimeMs` | `90000` | how long an outgoing call rings (%d–%d)", MinLifetimeMs, MaxLifetimeMs),
		fmt.Sprintf("(%d–%d) |", MinWellKnownTimeoutMs, MaxWellKnownTimeoutMs),
		fmt.Sprintf("opens (%d–%d) |", MinTimelineLimit, MaxTimelineLimit),
		fmt.Sprintf("test tone of %d–%d Hz", MinToneHz, MaxToneHz),
		"does not start",
	} {
		if !strings.Contains(readme, want) {
			t.Errorf("README lacks %q", want)
		}
	}
}
