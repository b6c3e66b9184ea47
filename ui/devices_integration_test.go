package ui_test

import (
	"testing"

	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/ui/uitest"
)

// TestDevicesRenameAndLogoutThroughTheUI renames another session of the
// account and logs it out, the password asked masked.
func TestDevicesRenameAndLogoutThroughTheUI(t *testing.T) {
	st := shared.Get(t)
	user, screen := loggedIn(t, st, "devui")
	other, err := st.Login(ctx(t), user)
	if err != nil {
		t.Fatal(err)
	}
	command(screen, "/devices rename "+other.DeviceID+" old laptop")
	uitest.WaitFor(t, screen, "is now called old laptop", waitLong)
	command(screen, "/devices logout "+other.DeviceID)
	answerSecret(t, screen, "Password:", teststack.TestPassword)
	uitest.WaitFor(t, screen, "Session "+other.DeviceID+" is logged out", waitLong)
	if err := other.Do(ctx(t), "GET", "/_matrix/client/v3/account/whoami", nil, nil); err == nil {
		t.Error("the logged-out session's token still works")
	}
	command(screen, "/devices frobnicate")
	uitest.WaitFor(t, screen, "Usage: /devices", waitLong)
}
