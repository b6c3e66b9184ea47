package matrix

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto/backup"
	"maunium.net/go/mautrix/crypto/signatures"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// ErrWrongPassword says the homeserver refused the account password asked
// for an operation (setting up cross-signing, logging a session out).
var ErrWrongPassword = errors.New("the homeserver refused the account password")

// SetupCrossSigning gives an account without cross-signing its keys, as
// Element's "set up secure backup" does: new cross-signing keys (the
// homeserver asks for the account password to publish them), secret
// storage holding them behind a new recovery key, this session signed,
// and a new key backup whose key is kept in secret storage too. It
// returns the recovery key, to be shown once: it is stored nowhere else.
// With reset, an account that has cross-signing gets new keys: every
// other session and every user who verified this one must verify again.
func (c *Client) SetupCrossSigning(ctx context.Context, password string, reset bool) (string, error) {
	c.crypto.identityMu.Lock()
	defer c.crypto.identityMu.Unlock()
	mach := c.crypto.mach
	if !reset {
		st, err := c.verificationStatus(ctx)
		if err != nil {
			return "", err
		}
		if st.CrossSigning {
			return "", fmt.Errorf("this account already has cross-signing: verify this session with the recovery key instead (or reset it)")
		}
	}
	// The device's own keys must be on the server to be signed; right
	// after login the first sync may not have uploaded them yet.
	if err := c.uploadDeviceKeys(ctx); err != nil {
		return "", err
	}
	recoveryKey, _, err := mach.GenerateAndUploadCrossSigningKeysWithPassword(ctx, password, "")
	if err != nil {
		if respErrCode(err) == "M_FORBIDDEN" {
			return "", fmt.Errorf("setting up cross-signing: %w", ErrWrongPassword)
		}
		return "", fmt.Errorf("setting up cross-signing: %w", scrub(err, c.sess.AccessToken, password))
	}
	if err := mach.SignOwnDevice(ctx, mach.OwnIdentity()); err != nil {
		return "", fmt.Errorf("signing this session: %w", c.scrub(err))
	}
	if err := mach.SignOwnMasterKey(ctx); err != nil {
		return "", fmt.Errorf("signing the master key: %w", c.scrub(err))
	}
	if err := c.keepCrossSigningKeys(ctx); err != nil {
		return "", err
	}
	key, err := c.secretStorageKey(ctx, recoveryKey)
	if err != nil {
		return "", err
	}
	bk, err := backup.NewMegolmBackupKey()
	if err != nil {
		return "", fmt.Errorf("creating the key backup: %w", err)
	}
	auth := backup.MegolmAuthData{PublicKey: id.Ed25519(base64.RawStdEncoding.EncodeToString(bk.PublicKey().Bytes()))}
	sig, err := mach.GetAccount().SignJSON(auth)
	if err != nil {
		return "", fmt.Errorf("signing the key backup: %w", err)
	}
	auth.Signatures = signatures.NewSingleSignature(c.sess.UserID, id.KeyAlgorithmEd25519, c.sess.DeviceID.String(), sig)
	if mk := mach.CrossSigningKeys; mk != nil && mk.MasterKey != nil {
		if msig, err := mk.MasterKey.SignJSON(auth); err == nil {
			auth.Signatures[c.sess.UserID][id.NewKeyID(id.KeyAlgorithmEd25519, mk.MasterKey.PublicKey().String())] = msig
		}
	}
	resp, err := c.cli.CreateKeyBackupVersion(ctx, &mautrix.ReqRoomKeysVersionCreate[backup.MegolmAuthData]{
		Algorithm: id.KeyBackupAlgorithmMegolmBackupV1, AuthData: auth,
	})
	if err != nil {
		return "", fmt.Errorf("creating the key backup: %w", c.scrub(err))
	}
	if err := mach.SSSS.SetEncryptedAccountData(ctx, event.AccountDataMegolmBackupKey, bk.Bytes(), key); err != nil {
		return "", fmt.Errorf("storing the key backup's key: %w", c.scrub(err))
	}
	if err := c.putBackupKey(ctx, bk.Bytes()); err != nil {
		return "", err
	}
	if err := mach.SetKeyBackupVersion(ctx, resp.Version); err != nil {
		c.log.Warn().Err(err).Msg("saving the key backup version")
	}
	c.hub.Publish(VerificationChanged{Verification: Verification{CrossSigning: true, Verified: true}})
	c.scheduleBackupUpload()
	return recoveryKey, nil
}

// scheduleBackupUpload uploads new keys to the key backup in the
// background, one run at a time.
func (c *Client) scheduleBackupUpload() {
	if !c.crypto.uploading.CompareAndSwap(false, true) {
		return
	}
	if !c.goBackground(func(ctx context.Context) {
		defer c.crypto.uploading.Store(false)
		c.uploadToBackup(ctx)
	}) {
		c.crypto.uploading.Store(false)
	}
}

// Device is one of the account's sessions, for /devices.
type Device struct {
	ID       id.DeviceID
	Name     string // remote data: sanitize before display
	LastSeen time.Time
	// Verified: signed by the account's self-signing key.
	Verified bool
	// Current: this session.
	Current bool
}

// OwnDevices lists the account's sessions with their verification state.
func (c *Client) OwnDevices(ctx context.Context) ([]Device, error) {
	resp, err := c.cli.GetDevicesInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing sessions: %w", c.scrub(err))
	}
	mach := c.crypto.mach
	keys, err := mach.FetchKeys(ctx, []id.UserID{c.sess.UserID}, true)
	if err != nil {
		return nil, fmt.Errorf("listing sessions: %w", c.scrub(err))
	}
	own := keys[c.sess.UserID]
	if own == nil {
		own, _ = c.crypto.store.GetDevices(ctx, c.sess.UserID)
	}
	out := make([]Device, 0, len(resp.Devices))
	for _, d := range resp.Devices {
		dev := Device{ID: d.DeviceID, Name: d.DisplayName, Current: d.DeviceID == c.sess.DeviceID}
		if d.LastSeenTS > 0 {
			dev.LastSeen = time.UnixMilli(d.LastSeenTS)
		}
		if k := own[d.DeviceID]; k != nil {
			dev.Verified = mach.IsDeviceTrusted(ctx, k)
		}
		out = append(out, dev)
	}
	return out, nil
}

// publishVerification tells subscribers whether this session is verified
// (after the first sync, so the account's keys are known).
func (c *Client) publishVerification(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := c.VerificationStatus(ctx)
	if err != nil {
		c.log.Debug().Err(err).Msg("checking verification")
		return
	}
	c.hub.Publish(VerificationChanged{Verification: v})
}
