package teststack

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// turnSettings is what Dendrite hands out through /voip/turnServer.
type turnSettings struct {
	uris   []string
	secret string
}

// writeDendriteConfig generates the signing key and dendrite.yaml in dir
// with the tools in binDir, then adjusts the config for tests: open
// registration without rate limits, TURN when turn is set, persistent
// internal queues so a restarted homeserver resumes where it stopped; then
// the caller's extra edits.
func writeDendriteConfig(ctx context.Context, binDir, dir, logLevel string, turn *turnSettings, extra map[string]any) (string, error) {
	keyPath := filepath.Join(dir, "matrix_key.pem")
	if out, err := exec.CommandContext(ctx, filepath.Join(binDir, "generate-keys"), "--private-key", keyPath).CombinedOutput(); err != nil {
		return "", fmt.Errorf("generate-keys: %w: %s", err, bytes.TrimSpace(out))
	}
	var stderr bytes.Buffer
	gen := exec.CommandContext(ctx, filepath.Join(binDir, "generate-config"), "-ci", "-dir", dir, "-server", "localhost")
	gen.Stderr = &stderr
	out, err := gen.Output()
	if err != nil {
		return "", fmt.Errorf("generate-config: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(out, &cfg); err != nil {
		return "", fmt.Errorf("parsing generated dendrite config: %w", err)
	}
	edits := map[string]any{
		"global.private_key":                     keyPath,
		"global.jetstream.in_memory":             false,
		"global.jetstream.storage_path":          filepath.Join(dir, "jetstream"),
		"global.report_stats.enabled":            false,
		"client_api.registration_disabled":       false,
		"client_api.registration_requires_token": false,
		"client_api.enable_registration_captcha": false,
		"client_api.rate_limiting.enabled":       false,
		// Uploads of a few tens of MB (memory tests) pass; Dendrite's
		// default is 10 MB.
		"media_api.max_file_size_bytes": 100 << 20,
		"logging":                       []any{map[string]any{"type": "std", "level": logLevel}},
	}
	if turn != nil {
		edits["client_api.turn.turn_user_lifetime"] = "1h"
		edits["client_api.turn.turn_uris"] = turn.uris
		edits["client_api.turn.turn_shared_secret"] = turn.secret
	}
	for path, v := range extra {
		edits[path] = v
	}
	for path, v := range edits {
		if err := setPath(cfg, path, v); err != nil {
			return "", err
		}
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("writing dendrite config: %w", err)
	}
	cfgPath := filepath.Join(dir, "dendrite.yaml")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		return "", fmt.Errorf("writing dendrite config: %w", err)
	}
	return cfgPath, nil
}

// setPath sets the dotted key path in a YAML mapping; every parent must
// already exist, so a renamed key in a new Dendrite is noticed.
func setPath(m map[string]any, path string, v any) error {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			return fmt.Errorf("dendrite config: no mapping %q on the way to %s", k, path)
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
	return nil
}
