package matrix

import (
	"context"
	"fmt"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// UserTrust is how far this session trusts another user's identity.
type UserTrust struct {
	// CrossSigning: the user has published cross-signing keys.
	CrossSigning bool
	// Verified: our user-signing key signed their master key (we verified
	// them, here or on another of our sessions).
	Verified bool
	// IdentityChanged: their master key is not the one first seen here:
	// their identity was reset, or someone impersonates them. Element
	// warns about it; so do we.
	IdentityChanged bool
}

// UserTrust reads a user's trust from the crypto store (no network: the
// device lists sync keeps it current). Call it off the UI goroutine.
func (c *Client) UserTrust(ctx context.Context, userID id.UserID) (UserTrust, error) {
	c.crypto.identityMu.Lock()
	defer c.crypto.identityMu.Unlock()
	keys, err := c.crypto.store.GetCrossSigningKeys(ctx, userID)
	if err != nil {
		return UserTrust{}, fmt.Errorf("reading %s's keys: %w", userID, err)
	}
	master, ok := keys[id.XSUsageMaster]
	if !ok {
		return UserTrust{}, nil
	}
	t := UserTrust{CrossSigning: true, IdentityChanged: master.First != "" && master.First != master.Key}
	t.Verified, err = c.crypto.mach.IsUserTrusted(ctx, userID)
	if err != nil {
		return t, fmt.Errorf("checking whether %s is verified: %w", userID, err)
	}
	return t, nil
}

// AcceptIdentity accepts a user's new identity after IdentityChanged (as
// Element's "OK" on its warning): the current master key becomes the one
// first seen.
func (c *Client) AcceptIdentity(ctx context.Context, userID id.UserID) error {
	keys, err := c.crypto.store.GetCrossSigningKeys(ctx, userID)
	if err != nil {
		return fmt.Errorf("reading %s's keys: %w", userID, err)
	}
	master, ok := keys[id.XSUsageMaster]
	if !ok {
		return fmt.Errorf("%s has no cross-signing identity", userID)
	}
	if err := c.crypto.store.ResetMasterKeyTOFU(ctx, userID, master.Key); err != nil {
		return fmt.Errorf("accepting %s's identity: %w", userID, err)
	}
	return nil
}

// RenameDevice sets the display name of one of the account's sessions.
func (c *Client) RenameDevice(ctx context.Context, deviceID id.DeviceID, name string) error {
	if err := c.cli.SetDeviceInfo(ctx, deviceID, &mautrix.ReqDeviceInfo{DisplayName: name}); err != nil {
		return fmt.Errorf("renaming session %s: %w", deviceID, c.scrub(err))
	}
	return nil
}

// LogoutDevice logs another of the account's sessions out; the homeserver
// asks for the account password. This session logs out with Logout.
func (c *Client) LogoutDevice(ctx context.Context, deviceID id.DeviceID, password string) error {
	if deviceID == c.sess.DeviceID {
		return fmt.Errorf("that is this session: use /logout")
	}
	err := c.cli.DeleteDevice(ctx, deviceID, &mautrix.ReqDeleteDevice[any]{
		Auth: c.passwordAuth(password),
	})
	if respErrCode(err) == "M_FORBIDDEN" {
		return fmt.Errorf("logging out session %s: %w", deviceID, ErrWrongPassword)
	}
	if err != nil {
		return fmt.Errorf("logging out session %s: %w", deviceID, scrub(err, c.sess.AccessToken, password))
	}
	return nil
}

// passwordAuth builds m.login.password user-interactive auth.
func (c *Client) passwordAuth(password string) any {
	return map[string]any{
		"type":       mautrix.AuthTypePassword,
		"identifier": map[string]any{"type": mautrix.IdentifierTypeUser, "user": string(c.sess.UserID)},
		"password":   password,
	}
}
