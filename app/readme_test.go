package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeKeyTableMatchesConfig: the README's key table lists every
// action of the shipped config.json with its default key, so the README
// stays true when a default changes (join moved off Ctrl+J, F1), and it
// keeps its two headline commands.
func TestReadmeKeyTableMatchesConfig(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Keys map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(defaults(t), &cfg); err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile("`([^`]*)`")
	documented := map[string]string{}
	for _, line := range strings.Split(string(readme), "\n") {
		cols := strings.Split(line, "|")
		if len(cols) < 4 {
			continue
		}
		names, keys := code.FindAllStringSubmatch(cols[1], -1), code.FindAllStringSubmatch(cols[2], -1)
		if len(names) == 0 || len(names) != len(keys) {
			continue
		}
		for i := range names {
			documented[names[i][1]] = keys[i][1]
		}
	}
	for action, key := range cfg.Keys {
		if got, ok := documented[action]; !ok || got != key {
			t.Errorf("README key table: %s is %q, config.json says %q", action, got, key)
		}
	}
	for _, cmd := range []string{"```sh\ngo run -tags goolm .", "```sh\n./scripts/test\n```"} {
		if !strings.Contains(string(readme), cmd) {
			t.Errorf("README lacks the headline command %q", cmd)
		}
	}
	for _, must := range []string{"Ctrl+J", "tone:HZ", "set-clipboard", "without a shell", "encrypt"} {
		if !strings.Contains(string(readme), must) {
			t.Errorf("README does not mention %q", must)
		}
	}
}
