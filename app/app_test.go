package app

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/matrix"
)

var shared teststack.Shared

func TestMain(m *testing.M) { os.Exit(shared.Run(m, teststack.Options{})) }

func defaults(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestHelpListsEveryFlag(t *testing.T) {
	var out bytes.Buffer
	_, err := ParseFlags([]string{"--help"}, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, f := range []string{"-homeserver", "-user", "-password-file", "-recovery-key-file", "-profile", "-config", "-version"} {
		if !strings.Contains(out.String(), f) {
			t.Errorf("--help lacks %s:\n%s", f, out.String())
		}
	}
	if code := Main([]string{"--help"}, defaults(t), "test", &out, &out); code != 0 {
		t.Errorf("--help exits %d", code)
	}
	out.Reset()
	if code := Main([]string{"--version"}, defaults(t), "1.2.3", &out, &out); code != 0 || !strings.Contains(out.String(), "1.2.3") {
		t.Errorf("--version: %d %q", code, out.String())
	}
}

func TestFlagErrors(t *testing.T) {
	var out bytes.Buffer
	if _, err := ParseFlags([]string{"--password-file", "x"}, &out); err == nil {
		t.Error("--password-file without --user accepted")
	}
	if _, err := ParseFlags([]string{"extra"}, &out); err == nil {
		t.Error("a stray argument accepted")
	}
	if _, err := ParseFlags([]string{"--recovery-key-file", "k"}, &out); err == nil {
		t.Error("--recovery-key-file without --user accepted")
	}
	// A recovery key file others can read stops the start before any login.
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte("EsTc 5rr1"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	args := []string{"--user", "@a:127.0.0.1:9", "--homeserver", "http://127.0.0.1:9", "--recovery-key-file", keyFile,
		"--profile", "rk-test"}
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv(PasswordEnv, "unused")
	if code := Main(args, defaults(t), "test", &out, &out); code == 0 || !strings.Contains(out.String(), "chmod 600") {
		t.Errorf("a world-readable recovery key file: exit %d, %q", code, out.String())
	}
	f, err := ParseFlags([]string{"--user", "@a:b"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.password(func(string) string { return "" }, nil); err == nil {
		t.Error("--user without a password source accepted")
	}
	if pw, _ := f.password(func(k string) string { return map[string]string{PasswordEnv: "s3cret"}[k] }, nil); pw != "s3cret" {
		t.Errorf("password from env: %q", pw)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.PasswordFile = pwFile
	if pw, _ := f.password(func(string) string { return "env" }, nil); pw != "from-file" {
		t.Errorf("password from file: %q", pw)
	}
}

func TestConfigErrorsStopTheStart(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(bad, []byte(`{"keys": {"voice": "Hyper+V"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := Main([]string{"--config", bad}, defaults(t), "test", &out, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), bad) || !strings.Contains(errOut.String(), "Hyper") {
		t.Fatalf("bad key binding: exit %d, %q", code, errOut.String())
	}
	unknown := filepath.Join(dir, "action.json")
	if err := os.WriteFile(unknown, []byte(`{"keys": {"teleport": "F3"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if code := Main([]string{"--config", unknown}, defaults(t), "test", &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "teleport") {
		t.Fatalf("unknown action: exit %d, %q", code, errOut.String())
	}
	errOut.Reset()
	if code := Main([]string{"--config", filepath.Join(dir, "missing.json")}, defaults(t), "test", &out, &errOut); code == 0 {
		t.Fatal("a missing --config file was accepted")
	}
	// A value of the wrong form stops the start too, naming the key.
	badValue := filepath.Join(dir, "value.json")
	if err := os.WriteFile(badValue, []byte(`{"audio": {"input": "tone:abc"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if code := Main([]string{"--config", badValue}, defaults(t), "test", &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "audio.input") {
		t.Fatalf("bad audio.input: exit %d, %q", code, errOut.String())
	}
}

func TestLoginSavesAndResumeNeedsNoPassword(t *testing.T) {
	st := shared.Get(t)
	user := st.MustRegister(t, "resume")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	cfgDefaults := defaults(t)
	cfg, err := LoadConfig(Flags{ConfigPath: ""}, cfgDefaults)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	prof := Profile{DataDir: filepath.Join(dir, "p"), SessionFile: filepath.Join(dir, "p", "session.json"), DBFile: filepath.Join(dir, "p", "store.db")}
	ss := &Sessions{Profile: prof, Config: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := ss.Login(ctx, matrix.LoginParams{Homeserver: st.BaseURL, User: user.UserID, Password: teststack.TestPassword}); err != nil {
		t.Fatal(err)
	}
	if err := ss.Close(); err != nil {
		t.Fatal(err)
	}
	ss2 := &Sessions{Profile: prof, Config: cfg}
	defer ss2.Close()
	acct, err := ss2.Resume(ctx)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if string(acct.Client.UserID()) != user.UserID {
		t.Fatalf("resumed as %s", acct.Client.UserID())
	}
	if err := ss2.Logout(ctx, acct.Client); err != nil {
		t.Fatal(err)
	}
	if _, err := ss2.Resume(ctx); !errors.Is(err, matrix.ErrNoSession) {
		t.Fatalf("after logout, resume gives %v", err)
	}
}
