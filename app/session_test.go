package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/matrix"
)

// testSessions is a Sessions on a fresh profile directory.
func testSessions(t *testing.T) *Sessions {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	cfg, err := LoadConfig(Flags{}, defaults(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "p")
	return &Sessions{Config: cfg, Profile: Profile{DataDir: dir, SessionFile: filepath.Join(dir, "session.json"), DBFile: filepath.Join(dir, "store.db")}}
}

// devices lists a user's devices on the server.
func devices(t *testing.T, st *teststack.Stack, u teststack.User) []string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, st.BaseURL+"/_matrix/client/v3/devices", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+u.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Devices []struct {
			DeviceID string `json:"device_id"`
		} `json:"devices"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("listing devices: %v (HTTP %d)", err, resp.StatusCode)
	}
	var ids []string
	for _, d := range body.Devices {
		ids = append(ids, d.DeviceID)
	}
	return ids
}

// TestFlagLoginResumesTheSavedSession: a second start with --user (and
// --homeserver) resumes the saved session instead of logging in again, so
// no device is left behind (F23); another user on the same profile logs in.
func TestFlagLoginResumesTheSavedSession(t *testing.T) {
	st := shared.Get(t)
	user := st.MustRegister(t, "flagresume")
	ss := testSessions(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	params := matrix.LoginParams{Homeserver: st.BaseURL, User: user.UserID, DeviceName: "termatrix"}
	password := func() (string, error) { return teststack.TestPassword, nil }

	a, resumed, err := ss.LoginOrResume(ctx, params, password)
	if err != nil || resumed {
		t.Fatalf("first start: resumed %v, %v", resumed, err)
	}
	device := a.Client.DeviceID()
	if err := ss.Close(); err != nil {
		t.Fatal(err)
	}
	before := devices(t, st, user)

	noPassword := func() (string, error) { return "", errors.New("the password was asked for") }
	for _, p := range []matrix.LoginParams{params, {User: user.UserID}, {Homeserver: st.BaseURL + "/", User: user.UserID}} {
		ss2 := &Sessions{Profile: ss.Profile, Config: ss.Config}
		a, resumed, err := ss2.LoginOrResume(ctx, p, noPassword)
		if err != nil || !resumed {
			t.Fatalf("start with %+v: resumed %v, %v", p.User, resumed, err)
		}
		if a.Client.DeviceID() != device {
			t.Fatalf("device %s, want the saved %s", a.Client.DeviceID(), device)
		}
		if err := ss2.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if after := devices(t, st, user); len(after) != len(before) {
		t.Fatalf("devices before %v, after %v: a start leaked a device", before, after)
	}

	// Another user with --user on the same profile logs in and replaces it.
	other := st.MustRegister(t, "flagother")
	ss3 := &Sessions{Profile: ss.Profile, Config: ss.Config}
	defer ss3.Close()
	a, resumed, err = ss3.LoginOrResume(ctx, matrix.LoginParams{Homeserver: st.BaseURL, User: other.UserID}, password)
	if err != nil || resumed {
		t.Fatalf("other user: resumed %v, %v", resumed, err)
	}
	if string(a.Client.UserID()) != other.UserID {
		t.Fatalf("logged in as %s", a.Client.UserID())
	}
	s, err := matrix.LoadSession(ss.Profile.SessionFile)
	if err != nil || string(s.UserID) != other.UserID {
		t.Fatalf("saved session %v, %v", s, err)
	}
}

// TestLogoutDeletesSessionAndStore: /logout removes the session file and
// the local store, and logging in as another user in the same profile
// then works, also on the next start (F16).
func TestLogoutDeletesSessionAndStore(t *testing.T) {
	st := shared.Get(t)
	carol := st.MustRegister(t, "logoutcarol")
	bob := st.MustRegister(t, "logoutbob")
	ss := testSessions(t)
	defer ss.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a, err := ss.Login(ctx, matrix.LoginParams{Homeserver: st.BaseURL, User: carol.UserID, Password: teststack.TestPassword})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ss.Profile.DBFile); err != nil {
		t.Fatalf("no store after login: %v", err)
	}
	if err := ss.Logout(ctx, a.Client); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{ss.Profile.SessionFile, ss.Profile.DBFile, ss.Profile.DBFile + "-wal"} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there after logout (%v)", filepath.Base(f), err)
		}
	}

	// Bob logs in on the same profile (as through the login form) ...
	b, err := ss.Login(ctx, matrix.LoginParams{Homeserver: st.BaseURL, User: bob.UserID, Password: teststack.TestPassword})
	if err != nil {
		t.Fatalf("login as another user after logout: %v", err)
	}
	if string(b.Client.UserID()) != bob.UserID {
		t.Fatalf("logged in as %s", b.Client.UserID())
	}
	if err := ss.Close(); err != nil {
		t.Fatal(err)
	}
	// ... and the next start resumes him.
	ss2 := &Sessions{Profile: ss.Profile, Config: ss.Config}
	defer ss2.Close()
	r, err := ss2.Resume(ctx)
	if err != nil {
		t.Fatalf("next start: %v", err)
	}
	if got := fmt.Sprint(r.Client.UserID()); got != bob.UserID {
		t.Fatalf("resumed as %s", got)
	}
}
