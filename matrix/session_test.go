package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPaths(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", dir)
	data, sess, db, err := Paths("")
	if err != nil {
		t.Fatal(err)
	}
	if data != filepath.Join(dir, "termatrix", "default") || filepath.Dir(sess) != data || filepath.Dir(db) != data {
		t.Errorf("Paths(\"\") = %q %q %q", data, sess, db)
	}
	work, _, _, err := Paths("work")
	if err != nil || work != filepath.Join(dir, "termatrix", "work") {
		t.Errorf("Paths(work) = %q, %v", work, err)
	}
	for _, bad := range []string{"../x", "a/b", ".."} {
		if _, _, _, err := Paths(bad); err == nil {
			t.Errorf("Paths(%q) accepted", bad)
		}
	}
}

func TestSessionSaveLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "termatrix", "p")
	path := filepath.Join(dir, "session.json")
	s := &Session{Homeserver: "http://127.0.0.1:8008", UserID: "@a:localhost", DeviceID: "D", AccessToken: "syt_secret_value"}
	if err := SaveSession(path, s); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("session file mode %v, want 0600", st.Mode().Perm())
	}
	if dst, _ := os.Stat(dir); dst.Mode().Perm() != 0o700 {
		t.Errorf("session dir mode %v, want 0700", dst.Mode().Perm())
	}
	got, err := LoadSession(path)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *s {
		t.Errorf("loaded %v, want %v", got, s)
	}
	// Overwriting is atomic and leaves no temporary files.
	s.DeviceID = "E"
	if err := SaveSession(path, s); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("session dir holds %d files, want 1", len(entries))
	}
	// The token never shows in formatting.
	for _, text := range []string{s.String(), s.GoString()} {
		if strings.Contains(text, s.AccessToken) {
			t.Errorf("session text shows the token: %s", text)
		}
	}
	// A file readable by others is refused, without quoting the token.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSession(path); err == nil || strings.Contains(err.Error(), s.AccessToken) {
		t.Errorf("LoadSession of a 0644 file: %v", err)
	}
	// A corrupt file gives an error without its contents.
	if err := os.WriteFile(path, []byte(`{"access_token": "syt_secret_value", oops}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSession(path); err == nil || strings.Contains(err.Error(), "syt_secret_value") {
		t.Errorf("LoadSession of a corrupt file: %v", err)
	}
	if err := RemoveSession(path); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSession(path); !errors.Is(err, ErrNoSession) {
		t.Errorf("LoadSession after RemoveSession: %v, want ErrNoSession", err)
	}
	if err := RemoveSession(path); err != nil {
		t.Errorf("RemoveSession of a missing file: %v", err)
	}
}

func TestScrub(t *testing.T) {
	base := errors.New("request with token tok123 failed")
	err := scrub(base, "tok123", "")
	if strings.Contains(err.Error(), "tok123") || !errors.Is(err, base) {
		t.Errorf("scrub: %v", err)
	}
	if scrub(nil, "x") != nil {
		t.Error("scrub(nil) != nil")
	}
}

func TestSessionMatches(t *testing.T) {
	s := &Session{Homeserver: "http://127.0.0.1:8008", UserID: "@alice:localhost", DeviceID: "D", AccessToken: "x"}
	tests := []struct {
		hs, user string
		want     bool
	}{
		{"", "@alice:localhost", true},
		{"http://127.0.0.1:8008", "@alice:localhost", true},
		{"http://127.0.0.1:8008/", "alice", true},
		{"HTTP://127.0.0.1:8008", "@alice:localhost", true},
		{"http://127.0.0.1:9999", "@alice:localhost", false},
		{"http://127.0.0.1:8008", "@bob:localhost", false},
		{"", "@alice:other", false},
		{"", "bob", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got := s.Matches(tt.hs, tt.user); got != tt.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", tt.hs, tt.user, got, tt.want)
		}
	}
	if (*Session)(nil).Matches("", "@alice:localhost") {
		t.Error("nil session matches")
	}
}

// TestLoginErrorNeverSpellsThePassword logs in against a server that
// refuses with a message quoting the password, with passwords that are
// also parts of other words: the error text is the same for each, with
// no trace of any of them.
func TestLoginErrorNeverSpellsThePassword(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Password string `json:"password"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"errcode":"M_FORBIDDEN","error":"login for alice with password %s is invalid"}`, body.Password)
	}))
	defer srv.Close()
	var first string
	for _, pw := range []string{"o", "in", "alice", "long secret password"} {
		_, err := Login(context.Background(), LoginParams{Homeserver: srv.URL, User: "@alice:example.org", Password: pw})
		if err == nil {
			t.Fatal("login succeeded")
		}
		msg := err.Error()
		if strings.Contains(msg, "[redacted]") || strings.Contains(msg, "long secret") {
			t.Errorf("password %q: %q", pw, msg)
		}
		if first == "" {
			first = msg
		} else if msg != first {
			t.Errorf("password %q gives %q, %q gives %q: the difference tells the password", pw, msg, "o", first)
		}
		if !errors.Is(err, ErrBadCredentials) {
			t.Errorf("not ErrBadCredentials: %v", err)
		}
	}
	t.Logf("login error: %s", first)
}
