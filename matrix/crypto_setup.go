package matrix

import (
	"context"
	"encoding/base64"
	"fmt"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto/backup"
	"maunium.net/go/mautrix/crypto/signatures"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// SetupCrossSigning gives an account without cross-signing its keys, as
// Element's "set up secure backup" does: new cross-signing keys (the
// homeserver asks for the account password to publish them), secret
// storage holding them behind a new recovery key, this session signed,
// and a new key backup whose key is kept in secret storage too. It
// returns the recovery key, to be shown once: it is stored nowhere else.
// With reset, an account that has cross-signing gets new keys: every
// other session and every user who verified this one must verify again.
func (c *Client) SetupCrossSigning(ctx context.Context, password string, reset bool) (string, error) {
	mach := c.crypto.mach
	if !reset {
		st, err := c.VerificationStatus(ctx)
		if err != nil {
			return "", err
		}
		if st.CrossSigning {
			return "", fmt.Errorf("this account already has cross-signing: verify this session with the recovery key instead (or reset it)")
		}
	}
	recoveryKey, _, err := mach.GenerateAndUploadCrossSigningKeysWithPassword(ctx, password, "")
	if err != nil {
		return "", fmt.Errorf("setting up cross-signing: %w", scrub(err, c.sess.AccessToken, password))
	}
	if err := mach.SignOwnDevice(ctx, mach.OwnIdentity()); err != nil {
		return "", fmt.Errorf("signing this session: %w", c.scrub(err))
	}
	if err := mach.SignOwnMasterKey(ctx); err != nil {
		return "", fmt.Errorf("signing the master key: %w", c.scrub(err))
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
	if err := c.crypto.store.PutSecret(ctx, id.SecretMegolmBackupV1, string(bk.Bytes())); err != nil {
		return "", fmt.Errorf("keeping the key backup's key: %w", err)
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
