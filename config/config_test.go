package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var defaults = mustRead("../config.json")

func mustRead(p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		panic(err)
	}
	return b
}

func writeUser(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsOnly(t *testing.T) {
	c, err := Load(defaults, filepath.Join(t.TempDir(), "missing.json"), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Jitsi.PreferredDomain != "jitsi.riot.im" || c.Jitsi.UserPreferredDomain != "" {
		t.Fatalf("jitsi = %+v", c.Jitsi)
	}
	if c.Keys["voice"] == "" || c.Keys["video"] == "" {
		t.Fatalf("keys = %v", c.Keys)
	}
}

func TestUserOverridesKeys(t *testing.T) {
	p := writeUser(t, `{"jitsi": {"preferred_domain": "meet.example.org"}, "keys": {"voice": "F9"}}`)
	c, err := Load(defaults, p, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Jitsi.UserPreferredDomain != "meet.example.org" || c.Jitsi.PreferredDomain != "meet.example.org" {
		t.Fatalf("jitsi = %+v", c.Jitsi)
	}
	if c.Jitsi.WrapperURL != "https://app.element.io/jitsi.html" {
		t.Fatalf("default lost: %q", c.Jitsi.WrapperURL)
	}
	if c.Keys["voice"] != "F9" || c.Keys["video"] != "F6" {
		t.Fatalf("keys = %v", c.Keys)
	}
}

func TestErrorsNameFileAndPlace(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"{\n  \"jitsi\": {\n    \"preferredDomain\": \"x\",,\n", ":3:"},
		{`{"jitsy": {}}`, `unknown key "jitsy"`},
		{"{\n\"calls\": {\"forceRelay\": \"yes\"}}", ":2:"},
	} {
		p := writeUser(t, tc.in)
		c, err := Load(defaults, p, true)
		if err == nil || c != nil {
			t.Fatalf("%q: want error, got %v", tc.in, c)
		}
		if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%q: error %q lacks %q or the path", tc.in, err, tc.want)
		}
	}
}

func TestMissingRequiredFile(t *testing.T) {
	if _, err := Load(defaults, filepath.Join(t.TempDir(), "nope.json"), true); err == nil {
		t.Fatal("want error for a missing --config file")
	}
}
