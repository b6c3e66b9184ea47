package matrix

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/crypto/backup"
	"maunium.net/go/mautrix/crypto/ssss"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix/e2ee"
)

// Verification says how far this session is trusted by its own account.
type Verification struct {
	// CrossSigning: the account has cross-signing keys on the server.
	CrossSigning bool
	// Verified: this device is signed by the account's self-signing key,
	// so the user's other sessions (and Element users in "only verified
	// devices" mode) trust it.
	Verified bool
}

// VerificationStatus asks the server for the account's cross-signing keys
// and says whether this session is verified.
func (c *Client) VerificationStatus(ctx context.Context) (Verification, error) {
	c.crypto.identityMu.Lock()
	defer c.crypto.identityMu.Unlock()
	return c.verificationStatus(ctx)
}

// verificationStatus is VerificationStatus with identityMu held.
func (c *Client) verificationStatus(ctx context.Context) (Verification, error) {
	mach := c.crypto.mach
	if _, err := mach.FetchKeys(ctx, []id.UserID{c.sess.UserID}, true); err != nil {
		return Verification{}, fmt.Errorf("checking this session's verification: %w", c.scrub(err))
	}
	has, verified, err := mach.GetOwnVerificationStatus(ctx)
	if err != nil {
		return Verification{}, fmt.Errorf("checking this session's verification: %w", c.scrub(err))
	}
	return Verification{CrossSigning: has, Verified: verified}, nil
}

// ErrWrongRecoveryKey says a recovery key or passphrase does not open the
// account's secret storage.
var ErrWrongRecoveryKey = errors.New("that recovery key or passphrase does not match this account's secret storage")

// secretStorageKey opens the account's default secret storage key with a
// recovery key or, when the text is not one, a passphrase.
func (c *Client) secretStorageKey(ctx context.Context, keyOrPassphrase string) (*ssss.Key, error) {
	mach := c.crypto.mach
	keyID, keyData, err := mach.SSSS.GetDefaultKeyData(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the account's secret storage: %w", c.scrub(err))
	}
	var key *ssss.Key
	if rk, nerr := e2ee.NormalizeRecoveryKey(keyOrPassphrase); nerr == nil {
		key, err = keyData.VerifyRecoveryKey(keyID, rk)
	} else if keyData.Passphrase != nil {
		key, err = keyData.VerifyPassphrase(keyID, keyOrPassphrase)
	} else {
		return nil, ErrWrongRecoveryKey
	}
	if errors.Is(err, ssss.ErrUnverifiableKey) && key != nil {
		err = nil
	}
	if err != nil {
		return nil, ErrWrongRecoveryKey
	}
	return key, nil
}

// VerifyWithRecoveryKey verifies this session with the account's recovery
// key (or secret storage passphrase): it fetches the cross-signing keys
// from secret storage, signs this device with the self-signing key (so
// Element and the user's other sessions trust it) and keeps the key
// backup's key, then restores the key backup in the background (progress
// in BackupProgress updates) and keeps uploading new keys to it.
func (c *Client) VerifyWithRecoveryKey(ctx context.Context, keyOrPassphrase string) error {
	c.crypto.identityMu.Lock()
	defer c.crypto.identityMu.Unlock()
	// The device's own keys must be on the server to be signed.
	if err := c.uploadDeviceKeys(ctx); err != nil {
		return err
	}
	key, err := c.secretStorageKey(ctx, keyOrPassphrase)
	if err != nil {
		return err
	}
	mach := c.crypto.mach
	if err := mach.FetchCrossSigningKeysFromSSSS(ctx, key); err != nil {
		return fmt.Errorf("reading the cross-signing keys from secret storage: %w", c.scrub(err))
	}
	if err := mach.SignOwnDevice(ctx, mach.OwnIdentity()); err != nil {
		return fmt.Errorf("signing this session: %w", c.scrub(err))
	}
	if err := mach.SignOwnMasterKey(ctx); err != nil {
		return fmt.Errorf("signing the master key: %w", c.scrub(err))
	}
	if err := c.keepCrossSigningKeys(ctx); err != nil {
		return err
	}
	if err := c.loadBackupKey(ctx, key); err != nil {
		c.log.Info().Err(err).Msg("no key backup in secret storage")
		c.hub.Publish(VerificationChanged{Verification: Verification{CrossSigning: true, Verified: true}})
		return nil
	}
	c.hub.Publish(VerificationChanged{Verification: Verification{CrossSigning: true, Verified: true}})
	c.goBackground(func(ctx context.Context) { c.restoreBackup(ctx) })
	return nil
}

// loadBackupKey reads the key backup's private key from secret storage
// and keeps it in the crypto store.
func (c *Client) loadBackupKey(ctx context.Context, key *ssss.Key) error {
	data, err := c.crypto.mach.SSSS.GetDecryptedAccountData(ctx, event.AccountDataMegolmBackupKey, key)
	if err != nil {
		return fmt.Errorf("reading the key backup's key: %w", c.scrub(err))
	}
	if _, err := backup.MegolmBackupKeyFromBytes(data); err != nil {
		return fmt.Errorf("reading the key backup's key: %w", err)
	}
	return c.putBackupKey(ctx, data)
}

// putBackupKey keeps the key backup's private key in the crypto store as
// the spec shares it (unpadded base64), so mautrix can answer our other
// verified sessions' m.secret.request for it.
func (c *Client) putBackupKey(ctx context.Context, raw []byte) error {
	if err := c.crypto.store.PutSecret(ctx, id.SecretMegolmBackupV1, base64.RawStdEncoding.EncodeToString(raw)); err != nil {
		return fmt.Errorf("keeping the key backup's key: %w", err)
	}
	return nil
}

// backupKey returns the kept key backup key, or nil.
func (c *Client) backupKey(ctx context.Context) *backup.MegolmBackupKey {
	s, err := c.crypto.store.GetSecret(ctx, id.SecretMegolmBackupV1)
	if err != nil || s == "" {
		return nil
	}
	raw, err := decodeSecret(s)
	if err != nil {
		return nil
	}
	k, err := backup.MegolmBackupKeyFromBytes(raw)
	if err != nil {
		return nil
	}
	return k
}

// restoreBackup downloads every key in the server's key backup, then
// decrypts the stored events that waited for them.
func (c *Client) restoreBackup(ctx context.Context) {
	key := c.backupKey(ctx)
	if key == nil {
		return
	}
	c.hub.Publish(BackupProgress{Restoring: true})
	version, err := c.crypto.mach.DownloadAndStoreLatestKeyBackup(ctx, key)
	if err != nil {
		err = fmt.Errorf("restoring the key backup: %w", c.scrub(err))
		c.log.Warn().Err(err).Msg("key backup")
		c.hub.Publish(BackupProgress{Err: err})
		return
	}
	n := 0
	if version != "" {
		n = c.countBackedUpSessions(ctx, version)
		if err := c.crypto.mach.SetKeyBackupVersion(ctx, version); err != nil {
			c.log.Warn().Err(err).Msg("saving the key backup version")
		}
	}
	c.retryAllUndecryptable(ctx)
	c.hub.Publish(BackupProgress{Done: true, Keys: n, Version: string(version)})
	c.uploadToBackup(ctx)
}

func (c *Client) countBackedUpSessions(ctx context.Context, version id.KeyBackupVersion) int {
	var n int
	_ = c.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM crypto_megolm_inbound_session WHERE key_backup_version = ? AND session IS NOT NULL`,
		string(version)).Scan(&n)
	return n
}

// retryAllUndecryptable decrypts again every stored event that waits for
// a key (after an import or a backup restore, which do not say which
// sessions they brought).
func (c *Client) retryAllUndecryptable(ctx context.Context) {
	rows, err := c.db.QueryContext(ctx, `SELECT DISTINCT utd_session FROM tm_timeline WHERE utd_session IS NOT NULL`)
	if err != nil {
		return
	}
	for rows.Next() {
		var s string
		if rows.Scan(&s) == nil {
			c.crypto.noteReceived(id.SessionID(s))
		}
	}
	rows.Close()
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if err := c.retryUndecryptableLocked(ctx); err != nil {
		c.log.Warn().Err(err).Msg("decrypting events after new keys")
	}
}

// backupUploadBatch bounds the sessions sent in one backup request.
const backupUploadBatch = 100

// uploadToBackup sends the Megolm sessions the key backup does not hold
// yet, so the user's other sessions (Element) can read what this one
// received and sent. It needs the backup key (from the recovery key).
func (c *Client) uploadToBackup(ctx context.Context) {
	key := c.backupKey(ctx)
	if key == nil {
		return
	}
	mach := c.crypto.mach
	info, err := mach.GetAndVerifyLatestKeyBackupVersion(ctx, key)
	if err != nil || info == nil {
		return
	}
	sessions, err := c.crypto.store.GetGroupSessionsWithoutKeyBackupVersion(ctx, info.Version).AsList()
	if err != nil {
		c.log.Warn().Err(err).Msg("listing keys to back up")
		return
	}
	for start := 0; start < len(sessions); start += backupUploadBatch {
		batch := sessions[start:min(start+backupUploadBatch, len(sessions))]
		req := &mautrix.ReqKeyBackup{Rooms: make(map[id.RoomID]mautrix.ReqRoomKeyBackup)}
		for _, s := range batch {
			data, err := backupSessionData(key, s)
			if err != nil {
				continue
			}
			room := req.Rooms[s.RoomID]
			if room.Sessions == nil {
				room.Sessions = make(map[id.SessionID]mautrix.ReqKeyBackupData)
			}
			room.Sessions[s.ID()] = data
			req.Rooms[s.RoomID] = room
		}
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := c.cli.PutKeysInBackup(rctx, info.Version, req)
		cancel()
		if err != nil {
			c.log.Warn().Err(c.scrub(err)).Msg("uploading keys to the backup")
			return
		}
		for _, s := range batch {
			s.KeyBackupVersion = info.Version
			if err := c.crypto.store.PutGroupSession(ctx, s); err != nil {
				c.log.Warn().Err(err).Msg("marking keys as backed up")
				return
			}
		}
	}
}

// backupSessionData encrypts one Megolm session for the key backup.
func backupSessionData(key *backup.MegolmBackupKey, s *crypto.InboundGroupSession) (mautrix.ReqKeyBackupData, error) {
	first := s.Internal.FirstKnownIndex()
	exported, err := s.Internal.Export(first)
	if err != nil {
		return mautrix.ReqKeyBackupData{}, fmt.Errorf("exporting a session for the backup: %w", err)
	}
	enc, err := backup.EncryptSessionData(key, backup.MegolmSessionData{
		Algorithm:          id.AlgorithmMegolmV1,
		ForwardingKeyChain: s.ForwardingChains,
		SenderClaimedKeys:  backup.SenderClaimedKeys{Ed25519: s.SigningKey},
		SenderKey:          s.SenderKey,
		SessionKey:         string(exported),
		SharedHistory:      s.SharedHistory,
	})
	if err != nil {
		return mautrix.ReqKeyBackupData{}, fmt.Errorf("encrypting a session for the backup: %w", err)
	}
	raw, err := json.Marshal(enc)
	if err != nil {
		return mautrix.ReqKeyBackupData{}, err
	}
	return mautrix.ReqKeyBackupData{
		FirstMessageIndex: int(first),
		ForwardedCount:    len(s.ForwardingChains),
		IsVerified:        len(s.ForwardingChains) == 0 && s.KeySource == id.KeySourceDirect,
		SessionData:       raw,
	}, nil
}

// ExportKeys writes every room key this session holds to path (mode
// 0600) in Element's passphrase-protected export format, and returns how
// many it wrote.
func (c *Client) ExportKeys(ctx context.Context, path, passphrase string) (int, error) {
	if passphrase == "" {
		return 0, errors.New("exporting keys: a passphrase is needed")
	}
	sessions, err := c.crypto.store.GetAllGroupSessions(ctx).AsList()
	if err != nil {
		return 0, fmt.Errorf("exporting keys: %w", err)
	}
	data, err := crypto.ExportKeys(passphrase, sessions)
	if err != nil {
		return 0, fmt.Errorf("exporting keys: %w", err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return 0, fmt.Errorf("exporting keys: %w", err)
	}
	return len(sessions), nil
}

// ImportKeys reads room keys from an Element key export file and decrypts
// the stored events they open (published as EventsDecrypted). It returns
// how many keys were new and how many the file held.
func (c *Client) ImportKeys(ctx context.Context, path, passphrase string) (imported, total int, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, 0, fmt.Errorf("importing keys: %w", err)
	}
	if st.Size() > maxKeyFile {
		return 0, 0, fmt.Errorf("importing keys: %s is too large for a key export (%d bytes)", path, st.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, fmt.Errorf("importing keys: %w", err)
	}
	imported, total, err = c.crypto.mach.ImportKeys(ctx, passphrase, data)
	if err != nil {
		return imported, total, fmt.Errorf("importing keys (wrong passphrase, or not a key export?): %w", err)
	}
	c.retryAllUndecryptable(ctx)
	c.goBackground(func(ctx context.Context) { c.uploadToBackup(ctx) })
	return imported, total, nil
}

// maxKeyFile bounds a key export read into memory (about 100,000 keys).
const maxKeyFile = 256 << 20

// keepCrossSigningKeys stores the cross-signing private keys the machine
// holds (from secret storage or a new setup) in the crypto store, pickled
// with the session's pickle key, in the spec's shared form (unpadded
// base64 seeds): they survive a restart, and our other verified sessions
// can ask for them (m.secret.request), as Element's do.
func (c *Client) keepCrossSigningKeys(ctx context.Context) error {
	mach := c.crypto.mach
	if mach.CrossSigningKeys == nil {
		return nil
	}
	seeds := mach.ExportCrossSigningKeys()
	for name, seed := range map[id.Secret][]byte{
		id.SecretXSMaster: seeds.MasterKey, id.SecretXSSelfSigning: seeds.SelfSigningKey, id.SecretXSUserSigning: seeds.UserSigningKey,
	} {
		if len(seed) == 0 {
			continue
		}
		if err := c.crypto.store.PutSecret(ctx, name, base64.RawStdEncoding.EncodeToString(seed)); err != nil {
			return fmt.Errorf("keeping the cross-signing keys: %w", err)
		}
	}
	return nil
}

// loadCrossSigningKeys gives the machine the cross-signing private keys
// kept in the store, if all three are there.
func (c *Client) loadCrossSigningKeys(ctx context.Context) {
	var seeds crypto.CrossSigningSeeds
	for _, s := range []struct {
		name id.Secret
		dst  *[]byte
	}{
		{id.SecretXSMaster, (*[]byte)(&seeds.MasterKey)},
		{id.SecretXSSelfSigning, (*[]byte)(&seeds.SelfSigningKey)},
		{id.SecretXSUserSigning, (*[]byte)(&seeds.UserSigningKey)},
	} {
		v, err := c.crypto.store.GetSecret(ctx, s.name)
		if err != nil || v == "" {
			return
		}
		raw, err := decodeSecret(v)
		if err != nil {
			return
		}
		*s.dst = raw
	}
	if err := c.crypto.mach.ImportCrossSigningKeys(seeds); err != nil {
		c.log.Warn().Err(err).Msg("loading the kept cross-signing keys")
	}
}
