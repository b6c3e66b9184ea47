package matrix

import (
	"errors"
	"testing"

	"maunium.net/go/mautrix/id"
)

// TestOwnDevices lists, renames and logs out the account's sessions.
func TestOwnDevices(t *testing.T) {
	st := stack.Get(t)
	u := st.MustRegister(t, "devs")
	ctx := ctxT(t)
	c := loginLive(t, st, u)
	other, err := st.Login(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	devs, err := c.OwnDevices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]Device{}
	for _, d := range devs {
		found[string(d.ID)] = d
	}
	if d := found[string(c.DeviceID())]; !d.Current {
		t.Errorf("this session is not listed as current: %+v", devs)
	}
	if d, ok := found[other.DeviceID]; !ok || d.Current || d.Verified {
		t.Errorf("the other session: %+v (of %+v)", d, devs)
	}
	if err := c.RenameDevice(ctx, c.DeviceID(), "my terminal"); err != nil {
		t.Fatal(err)
	}
	if err := c.LogoutDevice(ctx, c.DeviceID(), u.Password); err == nil {
		t.Error("LogoutDevice of this session succeeded")
	}
	if err := c.LogoutDevice(ctx, "NOSUCH", "wrong password"); err == nil {
		t.Error("LogoutDevice with a wrong password succeeded")
	}
	if err := c.LogoutDevice(ctx, id.DeviceID(other.DeviceID), u.Password); err != nil {
		t.Fatalf("LogoutDevice: %v", err)
	}
	devs, err = c.OwnDevices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if string(d.ID) == other.DeviceID {
			t.Errorf("the logged-out session is still listed")
		}
		if d.Current && d.Name != "my terminal" {
			t.Errorf("renamed session is called %q", d.Name)
		}
	}
}

// TestCrossSigningSetupSurvivesRestart sets up cross-signing and key
// backup, restarts the client on the same store and checks that the
// private keys came back (pickled in the store): it can still sign, and
// still back keys up.
func TestCrossSigningSetupSurvivesRestart(t *testing.T) {
	st := stack.Get(t)
	u := st.MustRegister(t, "xsign")
	ctx := ctxT(t)
	c := loginLive(t, st, u)
	if _, err := c.SetupCrossSigning(ctx, "wrong password", false); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("SetupCrossSigning with a wrong password: %v, want ErrWrongPassword", err)
	}
	rk, err := c.SetupCrossSigning(ctx, u.Password, false)
	if err != nil || rk == "" {
		t.Fatalf("SetupCrossSigning: %q, %v", rk, err)
	}
	if _, err := c.SetupCrossSigning(ctx, u.Password, false); err == nil {
		t.Error("a second setup without reset succeeded")
	}
	sess, path := c.sess, c.dbPath
	c.stop()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	again := startLive(t, sess, path, Options{})
	if again.crypto.mach.CrossSigningKeys == nil || again.backupKey(ctx) == nil {
		t.Fatal("the cross-signing keys or the backup key did not survive the restart")
	}
	v, err := again.VerificationStatus(ctx)
	if err != nil || !v.Verified || !v.CrossSigning {
		t.Fatalf("after the restart: %+v, %v", v, err)
	}
}

// TestCrossSigningSetupBeforeTheFirstSync sets up cross-signing on a
// session that has not synced yet, as a user typing the command right
// after login may: the device's keys are not on the server then, and
// signing them failed with "could not find device".
func TestCrossSigningSetupBeforeTheFirstSync(t *testing.T) {
	st := stack.Get(t)
	u := st.MustRegister(t, "xsignearly")
	ctx := ctxT(t)
	sess := loginSession(t, st, u)
	c, _ := openTemp(t, sess, Options{})
	if _, err := c.SetupCrossSigning(ctx, u.Password, false); err != nil {
		t.Fatalf("SetupCrossSigning before any sync: %v", err)
	}
	v, err := c.VerificationStatus(ctx)
	if err != nil || !v.Verified || !v.CrossSigning {
		t.Fatalf("after the setup: %+v, %v", v, err)
	}
}
