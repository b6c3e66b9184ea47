package matrix

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"

	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/crypto/backup"
	"maunium.net/go/mautrix/crypto/olm"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix/e2ee/sas"
)

// secretWait bounds waiting for the user's verified session to send the
// cross-signing keys and the key backup key after self-verification.
const secretWait = 60 * time.Second

// trustVerified applies what a verification proved, on f's worker: the
// other device is marked verified here; our own other session is signed
// with our self-signing key (if we hold it); another user's master key is
// signed with our user-signing key (if we hold it), which makes them
// verified for this and every other session of ours.
func (c *Client) trustVerified(ctx context.Context, f *flow, keys []sas.VerifiedKey) {
	mach := c.crypto.mach
	them := f.m.Them()
	var deviceOK bool
	var master string
	for _, k := range keys {
		switch {
		case k.KeyID == "ed25519:"+string(them.DeviceID):
			deviceOK = true
		case k.KeyID == "ed25519:"+k.Key:
			master = k.Key
		}
	}
	var dev *id.Device
	if deviceOK {
		var err error
		dev, err = c.crypto.store.GetDevice(ctx, them.UserID, them.DeviceID)
		if err == nil && dev != nil {
			dev.Trust = id.TrustStateVerified
			err = c.crypto.store.PutDevice(ctx, them.UserID, dev)
		}
		if err != nil || dev == nil {
			c.log.Warn().Err(err).Stringer("device", them.DeviceID).Msg("marking the verified device")
		}
	}
	if them.UserID == c.sess.UserID {
		if dev != nil && mach.CrossSigningKeys != nil && mach.CrossSigningKeys.SelfSigningKey != nil {
			if err := mach.SignOwnDevice(ctx, dev); err != nil {
				c.log.Warn().Err(c.scrub(err)).Msg("signing the verified session")
			}
		}
		return
	}
	if master == "" {
		c.log.Info().Stringer("user", them.UserID).Msg("their master key was not verified: only their device is trusted")
		return
	}
	if mach.CrossSigningKeys == nil || mach.CrossSigningKeys.UserSigningKey == nil {
		c.log.Info().Stringer("user", them.UserID).Msg("no user-signing key here: their identity is not signed")
		return
	}
	if err := mach.SignUser(ctx, them.UserID, id.Ed25519(master)); err != nil {
		c.log.Warn().Err(c.scrub(err)).Stringer("user", them.UserID).Msg("signing the verified user")
	}
}

// errSecretKept ends waiting for a secret that the receiver kept itself.
var errSecretKept = errors.New("secret kept")

// afterSelfVerification asks the session we just verified with for the
// cross-signing keys and the key backup key (Element sends them to a
// session it verified), then signs this session and its master key with
// them, restores the key backup, and says how verified this session is.
func (c *Client) afterSelfVerification(ctx context.Context) {
	mach := c.crypto.mach
	// The other session signed this one already if it holds the
	// self-signing key (Element does, before it says done).
	c.publishVerification(ctx)
	pub, err := mach.GetCrossSigningPublicKeys(ctx, c.sess.UserID)
	if err != nil || pub == nil {
		c.log.Info().Err(err).Msg("the account has no cross-signing keys to ask for")
		return
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	seeds := make(map[id.Secret][]byte)
	want := map[id.Secret]id.Ed25519{}
	if mach.CrossSigningKeys == nil {
		want = map[id.Secret]id.Ed25519{
			id.SecretXSMaster:      pub.MasterKey,
			id.SecretXSSelfSigning: pub.SelfSigningKey,
			id.SecretXSUserSigning: pub.UserSigningKey,
		}
	}
	for name, key := range want {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := mach.GetOrRequestSecret(ctx, name, func(s string) (bool, error) {
				seed, err := decodeSecret(s)
				if err != nil {
					return false, nil
				}
				signer, err := olm.NewPKSigningFromSeed(seed)
				if err != nil || signer.PublicKey() != key {
					return false, nil // not the key the account publishes
				}
				mu.Lock()
				seeds[name] = seed
				mu.Unlock()
				return true, nil
			}, secretWait)
			if err != nil {
				c.log.Info().Err(err).Stringer("secret", name).Msg("no session sent a cross-signing key")
			}
		}()
	}
	gotBackup := false
	if c.backupKey(ctx) == nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok := c.requestBackupKey(ctx)
			mu.Lock()
			gotBackup = ok
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(want) > 0 && len(seeds) == len(want) {
		c.signWithReceivedKeys(ctx, seeds)
	}
	if gotBackup {
		c.restoreBackup(ctx)
	}
}

// requestBackupKey asks our verified sessions for the key backup's key
// and keeps it if it opens the current backup.
func (c *Client) requestBackupKey(ctx context.Context) bool {
	mach := c.crypto.mach
	got := false
	err := mach.GetOrRequestSecret(ctx, id.SecretMegolmBackupV1, func(s string) (bool, error) {
		raw, err := decodeSecret(s)
		if err != nil {
			return false, nil
		}
		key, err := backup.MegolmBackupKeyFromBytes(raw)
		if err != nil {
			return false, nil
		}
		if info, err := mach.GetAndVerifyLatestKeyBackupVersion(ctx, key); err != nil || info == nil {
			return false, nil // not the current backup's key
		}
		// Kept in the spec's form (base64), so we can share it in turn.
		if err := c.putBackupKey(ctx, raw); err != nil {
			return false, err
		}
		got = true
		return false, errSecretKept
	}, secretWait)
	if err != nil && !errors.Is(err, errSecretKept) {
		c.log.Info().Err(err).Msg("no session sent the key backup's key")
	}
	return got
}

// signWithReceivedKeys takes the cross-signing keys the verified session
// sent, signs this session and the master key, and says it is verified.
func (c *Client) signWithReceivedKeys(ctx context.Context, seeds map[id.Secret][]byte) {
	mach := c.crypto.mach
	err := mach.ImportCrossSigningKeys(crypto.CrossSigningSeeds{
		MasterKey:      seeds[id.SecretXSMaster],
		SelfSigningKey: seeds[id.SecretXSSelfSigning],
		UserSigningKey: seeds[id.SecretXSUserSigning],
	})
	if err == nil {
		err = mach.SignOwnDevice(ctx, mach.OwnIdentity())
	}
	if err == nil {
		err = mach.SignOwnMasterKey(ctx)
	}
	if err != nil {
		c.log.Warn().Err(c.scrub(err)).Msg("signing this session with the received cross-signing keys")
		c.publishVerification(ctx)
		return
	}
	c.hub.Publish(VerificationChanged{Verification: Verification{CrossSigning: true, Verified: true}})
}

// decodeSecret reads a secret's base64 (padded or not, standard or URL).
func decodeSecret(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawURLEncoding.DecodeString(s)
}
