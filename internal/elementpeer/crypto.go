package elementpeer

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// pollEvery is how often the Wait helpers below ask the page again.
const pollEvery = 250 * time.Millisecond

// Message is one non-state event of a room's timeline as the peer shows it.
type Message struct {
	EventID string `json:"eventId"`
	Sender  string `json:"sender"`
	// Type is the decrypted type (m.room.message, m.call.invite, ...), or
	// m.room.encrypted while the event cannot be decrypted.
	Type    string `json:"type"`
	MsgType string `json:"msgtype"`
	// Body is the content's body; for an event that cannot be decrypted,
	// matrix-js-sdk's placeholder ("** Unable to decrypt: … **").
	Body string `json:"body"`
	// Encrypted is matrix-js-sdk's event.isEncrypted(): the event came (or
	// went) over the wire as m.room.encrypted.
	Encrypted bool `json:"encrypted"`
	// DecryptionFailure and FailureReason (a DecryptionFailureCode such as
	// "MEGOLM_UNKNOWN_INBOUND_SESSION_ID" or "UNSIGNED_SENDER_DEVICE") say
	// that and why the event could not be decrypted (yet).
	DecryptionFailure bool   `json:"decryptionFailure"`
	FailureReason     string `json:"failureReason"`
	// SenderDevice is the device that encrypted the event, when known.
	SenderDevice string `json:"senderDevice"`
	// Shield is Element's shield for a decrypted event, from
	// getEncryptionInfoForEvent: "none", or the colour and reason, e.g.
	// "red:UNSIGNED_DEVICE", "grey:AUTHENTICITY_NOT_GUARANTEED". Empty for
	// events that were not encrypted or could not be decrypted.
	Shield string `json:"shield"`
	// TS is the origin server timestamp, in ms since the Unix epoch.
	TS int64 `json:"ts"`
}

// CallEventInfo is one m.call.* event of a room's timeline.
type CallEventInfo struct {
	EventID string `json:"eventId"`
	// Type is the decrypted type, e.g. m.call.invite.
	Type   string `json:"type"`
	Sender string `json:"sender"`
	CallID string `json:"callId"`
	// Encrypted says the event came (or went) over the wire encrypted.
	Encrypted bool `json:"encrypted"`
}

// DeviceTrust is how the peer trusts one device (getDeviceVerificationStatus).
type DeviceTrust struct {
	// Known is false when the peer does not know the device (yet): device
	// lists reach it asynchronously.
	Known bool `json:"known"`
	// SignedByOwner: the device is signed by its owner's self-signing key.
	SignedByOwner bool `json:"signedByOwner"`
	// CrossSigningVerified: signed by its owner, whose identity the peer
	// has verified.
	CrossSigningVerified bool `json:"crossSigningVerified"`
	// LocallyVerified: marked verified on this device only.
	LocallyVerified bool `json:"locallyVerified"`
	// Verified is matrix-js-sdk's isVerified() of all that.
	Verified bool `json:"verified"`
}

// Bootstrap is what BootstrapCrossSigningInfo reports.
type Bootstrap struct {
	// RecoveryKey is the new secret-storage key in Element's format
	// (groups of four characters separated by spaces).
	RecoveryKey        string `json:"recoveryKey"`
	CrossSigningReady  bool   `json:"crossSigningReady"`
	SecretStorageReady bool   `json:"secretStorageReady"`
	BackupVersion      string `json:"backupVersion"`
	BackupTrusted      bool   `json:"backupTrusted"`
}

// BackupInfo is the server's current key backup as the peer sees it.
type BackupInfo struct {
	// Version is the server's current backup version, empty if none.
	Version   string `json:"version"`
	Algorithm string `json:"algorithm"`
	// Count is the number of keys the server says the backup holds (-1 if
	// it does not say).
	Count int `json:"count"`
	// Trusted is whether the backup's signatures are trusted by this device;
	// MatchesDecryptionKey whether this device holds its decryption key.
	Trusted              bool `json:"trusted"`
	MatchesDecryptionKey bool `json:"matchesDecryptionKey"`
	// ActiveVersion is the version this device backs its keys up to, empty
	// if it does not.
	ActiveVersion string `json:"activeVersion"`
	// LocalKeys and LocalBackedUp are the Rust crypto machine's counts of
	// room keys and of those already uploaded (-1 if unavailable; not part
	// of matrix-js-sdk's public API).
	LocalKeys     int `json:"localKeys"`
	LocalBackedUp int `json:"localBackedUp"`
}

// ErrNoCrypto is returned (wrapped) by the E2EE methods of a Peer started
// without Options.Crypto.
var ErrNoCrypto = errors.New("the peer runs without crypto (Options.Crypto)")

// CreateEncryptedDM creates a direct chat with otherUserID as Element does:
// private, preset trusted_private_chat, is_direct, the other user invited,
// encrypted from the start (initial m.room.encryption state with
// m.megolm.v1.aes-sha2), and recorded in the m.direct account data. It
// returns once the peer is joined and knows the room is encrypted.
func (p *Peer) CreateEncryptedDM(ctx context.Context, otherUserID string) (string, error) {
	var r struct {
		RoomID string `json:"roomId"`
	}
	err := p.do(ctx, "createEncryptedDM", map[string]any{"userId": otherUserID}, &r)
	return r.RoomID, err
}

// EnableEncryption turns encryption on in a room the peer is joined to
// (m.room.encryption state) and returns once the peer's crypto knows.
func (p *Peer) EnableEncryption(ctx context.Context, roomID string) error {
	return p.do(ctx, "enableEncryption", map[string]any{"roomId": roomID}, nil)
}

// JoinRoom joins a room by ID or alias, if the peer is not joined already,
// and returns the room ID once the peer's sync shows the join.
func (p *Peer) JoinRoom(ctx context.Context, roomIDOrAlias string) (string, error) {
	var r struct {
		RoomID string `json:"roomId"`
	}
	err := p.do(ctx, "joinRoom", map[string]any{"room": roomIDOrAlias}, &r)
	return r.RoomID, err
}

// SendText sends an m.text message (encrypted by matrix-js-sdk in an
// encrypted room) once the peer is joined, and returns its event ID.
func (p *Peer) SendText(ctx context.Context, roomID, body string) (string, error) {
	var r struct {
		EventID string `json:"eventId"`
	}
	err := p.do(ctx, "sendText", map[string]any{"roomId": roomID, "body": body}, &r)
	return r.EventID, err
}

// Messages returns the room's non-state events, oldest first, after
// scrolling back to the room's creation (the peer's first sync holds one
// event) and waiting for each event's decryption attempt.
// matrix-js-sdk retries failed decryptions itself when keys arrive later,
// so asking again can show more decrypted.
func (p *Peer) Messages(ctx context.Context, roomID string) ([]Message, error) {
	var ms []Message
	err := p.do(ctx, "messages", map[string]any{"roomId": roomID}, &ms)
	return ms, err
}

// WaitMessage waits until the room shows a message with body decrypted (or
// sent in the clear) and returns it: also when its key arrives after the
// event (a late to-device key, a restored backup, an import).
func (p *Peer) WaitMessage(ctx context.Context, roomID, body string) (Message, error) {
	var last []Message
	m, err := p.waitMessages(ctx, roomID, func(ms []Message) (Message, bool) {
		last = ms
		for _, m := range ms {
			if m.Body == body && !m.DecryptionFailure {
				return m, true
			}
		}
		return Message{}, false
	})
	if err != nil {
		return Message{}, fmt.Errorf("%w; the room shows %s", err, summarize(last))
	}
	return m, nil
}

// WaitEvent waits until the room's timeline holds eventID with its
// decryption attempt finished, successful or not, and returns it.
func (p *Peer) WaitEvent(ctx context.Context, roomID, eventID string) (Message, error) {
	return p.waitMessages(ctx, roomID, func(ms []Message) (Message, bool) {
		for _, m := range ms {
			if m.EventID == eventID {
				return m, true
			}
		}
		return Message{}, false
	})
}

func (p *Peer) waitMessages(ctx context.Context, roomID string, match func([]Message) (Message, bool)) (Message, error) {
	for {
		ms, err := p.Messages(ctx, roomID)
		if err != nil {
			return Message{}, err
		}
		if m, ok := match(ms); ok {
			return m, nil
		}
		select {
		case <-ctx.Done():
			return Message{}, p.failure("waiting for a message", ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

// summarize lists messages briefly for an error.
func summarize(ms []Message) string {
	if len(ms) == 0 {
		return "no messages"
	}
	s := ""
	for i, m := range ms {
		if i > 0 {
			s += ", "
		}
		switch {
		case m.DecryptionFailure:
			s += fmt.Sprintf("%s (undecryptable: %s)", m.EventID, m.FailureReason)
		case m.Type == "m.room.message":
			s += fmt.Sprintf("%q", m.Body)
		default:
			s += m.Type
		}
	}
	return s
}

// CallEventsEncrypted lists every m.call.* event in the room's timeline,
// oldest first, by decrypted type, and whether each was encrypted, so a
// test can check that a call in an encrypted room sent nothing in the clear.
func (p *Peer) CallEventsEncrypted(ctx context.Context, roomID string) ([]CallEventInfo, error) {
	var evs []CallEventInfo
	err := p.do(ctx, "callEvents", map[string]any{"roomId": roomID}, &evs)
	return evs, err
}

// BootstrapCrossSigning sets up the account's encryption as Element's "set
// up secure backup" does: cross-signing keys (uploaded with password UIA,
// Options.Password), secret storage with a new recovery key, a new key
// backup, enabled. It returns the recovery key in Element's format.
func (p *Peer) BootstrapCrossSigning(ctx context.Context) (string, error) {
	b, err := p.BootstrapCrossSigningInfo(ctx)
	return b.RecoveryKey, err
}

// BootstrapCrossSigningInfo is BootstrapCrossSigning reporting what it set up.
func (p *Peer) BootstrapCrossSigningInfo(ctx context.Context) (Bootstrap, error) {
	if err := p.needCrypto("bootstrapCrossSigning"); err != nil {
		return Bootstrap{}, err
	}
	var b Bootstrap
	if err := p.do(ctx, "bootstrapCrossSigning", nil, &b); err != nil {
		return Bootstrap{}, err
	}
	if !b.CrossSigningReady || !b.SecretStorageReady || b.BackupVersion == "" {
		return b, p.failure("bootstrapCrossSigning", fmt.Errorf("incomplete: cross-signing ready %v, secret storage ready %v, backup version %q",
			b.CrossSigningReady, b.SecretStorageReady, b.BackupVersion))
	}
	return b, nil
}

// SetOnlySignedDevices switches the device isolation mode: on is
// OnlySignedDevicesIsolationMode (share keys with, and accept messages from,
// only devices their owners cross-signed: what Element does today), off is
// matrix-js-sdk's default AllDevicesIsolationMode.
func (p *Peer) SetOnlySignedDevices(ctx context.Context, on bool) error {
	if err := p.needCrypto("setOnlySignedDevices"); err != nil {
		return err
	}
	return p.do(ctx, "setOnlySignedDevices", map[string]any{"on": on}, nil)
}

// DeviceVerification fetches userID's device list from the server (an
// out-of-band /keys/query, not waiting for /sync to report a change) and
// returns how the peer trusts deviceID.
func (p *Peer) DeviceVerification(ctx context.Context, userID, deviceID string) (DeviceTrust, error) {
	if err := p.needCrypto("deviceVerification"); err != nil {
		return DeviceTrust{}, err
	}
	var t DeviceTrust
	err := p.do(ctx, "deviceVerification", map[string]any{"userId": userID, "deviceId": deviceID}, &t)
	return t, err
}

// WaitDeviceSignedByOwner polls DeviceVerification (each time refreshing
// the device list) until deviceID is signed by its owner's self-signing key:
// Dendrite hands out device-list changes asynchronously, so a fresh
// signature takes a moment to arrive.
func (p *Peer) WaitDeviceSignedByOwner(ctx context.Context, userID, deviceID string) (DeviceTrust, error) {
	return p.WaitDeviceTrust(ctx, userID, deviceID, func(t DeviceTrust) bool { return t.SignedByOwner })
}

// WaitDeviceTrust polls DeviceVerification until ok accepts it.
func (p *Peer) WaitDeviceTrust(ctx context.Context, userID, deviceID string, ok func(DeviceTrust) bool) (DeviceTrust, error) {
	for {
		t, err := p.DeviceVerification(ctx, userID, deviceID)
		if err != nil {
			return t, err
		}
		if ok(t) {
			return t, nil
		}
		select {
		case <-ctx.Done():
			return t, p.failure(fmt.Sprintf("waiting for the trust of %s's device %s (now %+v)", userID, deviceID, t), ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

// UserVerified reports whether the peer has verified userID's cross-signing
// identity (getUserVerificationStatus(userID).isCrossSigningVerified()),
// after refreshing userID's keys from the server.
func (p *Peer) UserVerified(ctx context.Context, userID string) (bool, error) {
	if err := p.needCrypto("userVerified"); err != nil {
		return false, err
	}
	var r struct {
		CrossSigningVerified bool `json:"crossSigningVerified"`
	}
	err := p.do(ctx, "userVerified", map[string]any{"userId": userID}, &r)
	return r.CrossSigningVerified, err
}

// WaitUserVerified polls UserVerified until it is true: matrix-js-sdk
// reports a finished SAS a moment before the identity counts as verified.
func (p *Peer) WaitUserVerified(ctx context.Context, userID string) error {
	for {
		ok, err := p.UserVerified(ctx, userID)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return p.failure("waiting for "+userID+" to be verified", ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

// RestoreKeyBackup reads the backup decryption key from secret storage
// (unlocked with Options.RecoveryKey, or the key a bootstrap on this peer
// made), restores every key in the server's backup and returns how many
// were imported. matrix-js-sdk then retries the events it could not decrypt.
func (p *Peer) RestoreKeyBackup(ctx context.Context) (int, error) {
	if err := p.needCrypto("restoreKeyBackup"); err != nil {
		return 0, err
	}
	var r struct {
		Total    int `json:"total"`
		Imported int `json:"imported"`
	}
	err := p.do(ctx, "restoreKeyBackup", nil, &r)
	return r.Imported, err
}

// BackupInfo returns the server's current key backup and this device's view
// of it.
func (p *Peer) BackupInfo(ctx context.Context) (BackupInfo, error) {
	if err := p.needCrypto("backupInfo"); err != nil {
		return BackupInfo{}, err
	}
	var b BackupInfo
	err := p.do(ctx, "backupInfo", nil, &b)
	return b, err
}

// WaitBackedUp waits until this device has uploaded every room key it holds
// to the active backup (and holds at least one).
func (p *Peer) WaitBackedUp(ctx context.Context) (BackupInfo, error) {
	for {
		b, err := p.BackupInfo(ctx)
		if err != nil {
			return b, err
		}
		if b.ActiveVersion != "" && b.LocalKeys > 0 && b.LocalBackedUp == b.LocalKeys {
			return b, nil
		}
		select {
		case <-ctx.Done():
			return b, p.failure(fmt.Sprintf("waiting for the key backup (now %+v)", b), ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

// ExportKeys exports every room key the peer holds as Element's
// passphrase-protected file ("-----BEGIN MEGOLM SESSION DATA-----"), with
// Element's 500000 PBKDF2 rounds, and returns the file's text.
func (p *Peer) ExportKeys(ctx context.Context, passphrase string) (string, error) {
	if err := p.needCrypto("exportKeys"); err != nil {
		return "", err
	}
	var r struct {
		Text     string `json:"text"`
		Sessions int    `json:"sessions"`
	}
	err := p.do(ctx, "exportKeys", map[string]any{"passphrase": passphrase}, &r)
	return r.Text, err
}

// ImportKeys imports the room keys of an Element key file (as ExportKeys or
// Element's "Export E2E room keys" write) protected by passphrase. A wrong
// passphrase or a damaged file fails the file's HMAC check.
func (p *Peer) ImportKeys(ctx context.Context, fileText, passphrase string) error {
	if err := p.needCrypto("importKeys"); err != nil {
		return err
	}
	var r struct {
		Total    int `json:"total"`
		Failures int `json:"failures"`
	}
	if err := p.do(ctx, "importKeys", map[string]any{"text": fileText, "passphrase": passphrase}, &r); err != nil {
		return err
	}
	if r.Total > 0 && r.Failures == r.Total {
		return p.failure("importKeys", fmt.Errorf("all %d keys failed to import", r.Total))
	}
	return nil
}

// needCrypto fails with ErrNoCrypto when the peer runs without crypto.
func (p *Peer) needCrypto(what string) error {
	if !p.crypto {
		return fmt.Errorf("elementpeer: %s: %w", what, ErrNoCrypto)
	}
	return nil
}
