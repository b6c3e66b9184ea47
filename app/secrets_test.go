package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/matrix"
)

// TestPasswordLeavesTheEnvironment: Main reads $TERMATRIX_PASSWORD once
// and removes it (and any other secret of ours), so no child process
// inherits it, whatever the command line.
func TestPasswordLeavesTheEnvironment(t *testing.T) {
	t.Setenv(PasswordEnv, "hunter2")
	t.Setenv("TERMATRIX_ACCESS_TOKEN", "syt_x")
	var out bytes.Buffer
	if code := Main([]string{"--version"}, defaults(t), "test", &out, &out); code != 0 {
		t.Fatalf("--version: %d", code)
	}
	for _, k := range []string{PasswordEnv, "TERMATRIX_ACCESS_TOKEN"} {
		if v, ok := os.LookupEnv(k); ok {
			t.Errorf("%s is still in the environment (%q)", k, v)
		}
	}
	for _, kv := range os.Environ() {
		if strings.Contains(kv, "hunter2") {
			t.Errorf("the password is still in the environment: %s", kv)
		}
	}
}

// TestPasswordFileOpenToOthersWarns: a password file others can read gets
// a warning, as ssh gives for keys, and the login goes on with it; a 0600
// file gets none.
func TestPasswordFileOpenToOthersWarns(t *testing.T) {
	dir := t.TempDir()
	f := Flags{User: "@a:b", PasswordFile: filepath.Join(dir, "pw")}
	for _, tc := range []struct {
		mode os.FileMode
		warn bool
	}{{0o644, true}, {0o640, true}, {0o600, false}, {0o400, false}} {
		if err := os.WriteFile(f.PasswordFile, []byte("pw\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(f.PasswordFile, tc.mode); err != nil {
			t.Fatal(err)
		}
		var warn bytes.Buffer
		pw, err := f.password(func(string) string { return "" }, &warn)
		if err != nil || pw != "pw" {
			t.Fatalf("mode %#o: %q, %v", tc.mode, pw, err)
		}
		if got := strings.Contains(warn.String(), "warning") && strings.Contains(warn.String(), "chmod 600"); got != tc.warn {
			t.Errorf("mode %#o: warning %q", tc.mode, warn.String())
		}
		if strings.Contains(warn.String(), "pw\n") {
			t.Errorf("the warning shows the password")
		}
	}
}

// TestLoginErrorsDoNotRevealThePassword: matrix cuts the password out of
// errors by replacing each occurrence with a mark, which spells out a
// short password ("l[redacted]gin" for "o") or one equal to the user name.
// The error a login gives must show neither the password nor such marks,
// and still say what went wrong.
func TestLoginErrorsDoNotRevealThePassword(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/login") && r.Method == http.MethodPost {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"errcode":"M_FORBIDDEN","error":"Invalid username or password"}`))
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"errcode":"M_UNKNOWN","error":"no"}`))
	}))
	defer srv.Close()
	ss := testSessions(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The text must not depend on the password at all.
	first := ""
	for _, pw := range []string{"o", "alice", "in", "127.0.0.1"} {
		_, err := ss.Login(ctx, matrix.LoginParams{Homeserver: srv.URL, User: "@alice:example.org", Password: pw})
		if err == nil {
			t.Fatalf("password %q: logged in", pw)
		}
		msg := err.Error()
		if first == "" {
			first = msg
		}
		if strings.Contains(msg, redactedMark) || len(pw) > 2 && strings.Contains(msg, pw) || msg != first {
			t.Errorf("password %q: the error gives it away: %q", pw, msg)
		}
		if !errors.Is(err, matrix.ErrBadCredentials) || !strings.Contains(msg, "wrong user name or password") {
			t.Errorf("password %q: the error no longer says why: %q", pw, msg)
		}
	}
	// A password that is nowhere in the error leaves it as it was.
	_, err := ss.Login(ctx, matrix.LoginParams{Homeserver: srv.URL, User: "@alice:example.org", Password: "correct horse battery"})
	if err == nil || !strings.Contains(err.Error(), srv.URL) {
		t.Errorf("an error without the password lost its details: %v", err)
	}
}

// whoami says whether an access token still works on the server.
func tokenWorks(t *testing.T, st *teststack.Stack, token string) bool {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, st.BaseURL+"/_matrix/client/v3/account/whoami", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// TestLoginAsAnotherAccountLogsTheOldOneOut: --user for another account on
// a profile holding a session logs that session out on the server before
// replacing it (no valid token left behind, unreachable); a wrong password
// for the new account changes nothing; and when the old session cannot be
// logged out, the start is refused pointing to --profile, and the new
// login is undone on the server.
func TestLoginAsAnotherAccountLogsTheOldOneOut(t *testing.T) {
	st := shared.Get(t)
	carol := st.MustRegister(t, "replacecarol")
	dave := st.MustRegister(t, "replacedave")
	ss := testSessions(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	password := func() (string, error) { return teststack.TestPassword, nil }
	if _, _, err := ss.LoginOrResume(ctx, matrix.LoginParams{Homeserver: st.BaseURL, User: carol.UserID}, password); err != nil {
		t.Fatal(err)
	}
	if err := ss.Close(); err != nil {
		t.Fatal(err)
	}
	carolSession, err := matrix.LoadSession(ss.Profile.SessionFile)
	if err != nil {
		t.Fatal(err)
	}

	// A wrong password for dave: carol's session stays, on disk and on the server.
	ss2 := &Sessions{Profile: ss.Profile, Config: ss.Config}
	wrong := func() (string, error) { return "wrong", nil }
	if _, _, err := ss2.LoginOrResume(ctx, matrix.LoginParams{Homeserver: st.BaseURL, User: dave.UserID}, wrong); err == nil {
		t.Fatal("a wrong password logged in")
	}
	if s, err := matrix.LoadSession(ss.Profile.SessionFile); err != nil || s.UserID != carolSession.UserID {
		t.Fatalf("after a failed login the saved session is %v, %v", s, err)
	}
	if !tokenWorks(t, st, carolSession.AccessToken) {
		t.Fatal("a failed login as another account logged carol out")
	}

	// Dave logs in: carol's session is logged out on the server first.
	daveBefore := devices(t, st, dave)
	a, resumed, err := ss2.LoginOrResume(ctx, matrix.LoginParams{Homeserver: st.BaseURL, User: dave.UserID}, password)
	if err != nil || resumed || string(a.Client.UserID()) != dave.UserID {
		t.Fatalf("login as dave: %v, resumed %v", err, resumed)
	}
	if tokenWorks(t, st, carolSession.AccessToken) {
		t.Fatal("carol's replaced session is still valid on the server")
	}
	if err := ss2.Close(); err != nil {
		t.Fatal(err)
	}
	if len(devices(t, st, dave)) != len(daveBefore)+1 {
		t.Fatalf("dave's devices %v, before %v", devices(t, st, dave), daveBefore)
	}

	// A saved session whose server cannot be reached cannot be logged
	// out: the start is refused and dave's new login undone.
	unreachable := *carolSession
	unreachable.Homeserver = "http://127.0.0.1:1"
	if err := matrix.SaveSession(ss.Profile.SessionFile, &unreachable); err != nil {
		t.Fatal(err)
	}
	daveBefore = devices(t, st, dave)
	ss3 := &Sessions{Profile: ss.Profile, Config: ss.Config}
	defer ss3.Close()
	_, _, err = ss3.LoginOrResume(ctx, matrix.LoginParams{Homeserver: st.BaseURL, User: dave.UserID}, password)
	if err == nil || !strings.Contains(err.Error(), "--profile") || !strings.Contains(err.Error(), carol.UserID) {
		t.Fatalf("an unreachable old session: %v", err)
	}
	if strings.Contains(err.Error(), unreachable.AccessToken) {
		t.Fatal("the error shows the old token")
	}
	if after := devices(t, st, dave); len(after) != len(daveBefore) {
		t.Fatalf("the refused start left dave's device behind: before %v, after %v", daveBefore, after)
	}
	if s, err := matrix.LoadSession(ss.Profile.SessionFile); err != nil || s.UserID != carolSession.UserID {
		t.Fatalf("the refused start changed the saved session: %v, %v", s, err)
	}
}

// TestWithoutSecrets: an error holding a secret, or matrix's marks where
// one was cut out, is replaced by what failed; the chain stays; any other
// error is left alone.
func TestWithoutSecrets(t *testing.T) {
	key := "EsTc 5rr1 Fbt2"
	base := errors.New("decoding EsTc5rr1Fbt2: bad checksum")
	err := withoutSecrets(fmt.Errorf("verifying: %w", base), "verifying this session", key, strings.ReplaceAll(key, " ", ""))
	if strings.Contains(err.Error(), "EsTc") || !errors.Is(err, base) || !strings.HasPrefix(err.Error(), "verifying this session failed") {
		t.Errorf("withheld: %q", err)
	}
	plain := errors.New("the homeserver did not answer")
	if got := withoutSecrets(plain, "x", key); got != plain {
		t.Errorf("an error without a secret was changed: %q", got)
	}
	if withoutSecrets(nil, "x", key) != nil {
		t.Error("nil became an error")
	}
}
