package matrix

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix/e2ee"
)

// cryptoCore is the client's end-to-end encryption: mautrix's OlmMachine
// over the crypto_* tables of the client's own SQLite store.
type cryptoCore struct {
	xdb   *dbutil.Database
	store *crypto.SQLCryptoStore
	mach  *crypto.OlmMachine

	// roomLocks serialises encrypting per room, so events of one room go
	// out in the order they were encrypted and share one session.
	roomLocks keyedLocks[id.RoomID]

	// received lists Megolm sessions that arrived (or were withheld)
	// since the stored undecryptable events were last retried.
	receivedMu sync.Mutex
	received   map[id.SessionID]bool

	// identityMu serialises our calls that read or change the account's
	// cross-signing state: mautrix caches the public keys unlocked.
	identityMu sync.Mutex
	// otkUncountedAt: when a sync without a one-time-key count last had
	// the count checked (todevice.go); guarded by identityMu.
	otkUncountedAt time.Time

	// uploading is set while keys are being uploaded to the key backup.
	uploading atomic.Bool

	// requested remembers sessions a key request went out for.
	requestedMu sync.Mutex
	requested   map[id.SessionID]bool
}

// initCrypto opens the crypto store in the client's database and loads
// (or creates) this device's Olm account.
func (c *Client) initCrypto(ctx context.Context) error {
	pickleKey, err := base64.RawStdEncoding.DecodeString(c.sess.PickleKey)
	if err != nil || len(pickleKey) == 0 {
		return errors.New("opening the encryption store: the session has no valid pickle key")
	}
	xdb, err := dbutil.NewWithDB(c.db, "sqlite3")
	if err != nil {
		return fmt.Errorf("opening the encryption store: %w", err)
	}
	store := crypto.NewSQLCryptoStore(xdb, nil, string(c.sess.UserID), c.sess.DeviceID, pickleKey)
	if err := store.DB.Upgrade(ctx); err != nil {
		return fmt.Errorf("opening the encryption store: %w", err)
	}
	log := c.log.With().Str("component", "crypto").Logger()
	mach := crypto.NewOlmMachine(c.cli, &log, store, cryptoStateStore{c})
	// Decrypting runs inside the sync transaction: no network there.
	mach.DisableDecryptKeyFetching = true
	mach.IgnorePostDecryptionParseErrors = true
	mach.SessionReceived = func(_ context.Context, _ id.RoomID, sessionID id.SessionID, _ uint32) {
		c.crypto.noteReceived(sessionID)
	}
	if err := mach.Load(ctx); err != nil {
		return fmt.Errorf("loading this device's encryption keys: %w", err)
	}
	c.crypto = &cryptoCore{
		xdb: xdb, store: store, mach: mach,
		received:  make(map[id.SessionID]bool),
		requested: make(map[id.SessionID]bool),
	}
	c.loadCrossSigningKeys(ctx)
	return nil
}

func (cc *cryptoCore) noteReceived(sessionID id.SessionID) {
	cc.receivedMu.Lock()
	cc.received[sessionID] = true
	cc.receivedMu.Unlock()
}

// takeReceived returns and forgets the sessions noted as received.
func (cc *cryptoCore) takeReceived() []id.SessionID {
	cc.receivedMu.Lock()
	defer cc.receivedMu.Unlock()
	out := make([]id.SessionID, 0, len(cc.received))
	for s := range cc.received {
		out = append(out, s)
	}
	clear(cc.received)
	return out
}

func (cc *cryptoCore) roomLock(roomID id.RoomID) *sync.Mutex { return cc.roomLocks.get(roomID) }

// writeTxn runs f in one write transaction of the store that the crypto
// store joins: crypto calls made with f's ctx write in the same
// transaction, so they commit or roll back with it.
func (c *Client) writeTxn(ctx context.Context, f func(ctx context.Context, tx *sql.Tx) error) error {
	err := c.crypto.xdb.DoTxn(ctx, nil, func(ctx context.Context) error {
		lt, ok := c.crypto.xdb.Execable(ctx).(*dbutil.LoggingTxn)
		if !ok {
			return errors.New("no transaction in context")
		}
		return f(ctx, lt.UnderlyingTx)
	})
	if err == nil {
		c.ckpt.wrote()
	}
	return err
}

// Undecryptable is the Content.Parsed of an m.room.encrypted event that
// this session could not decrypt (yet). When the key arrives later the
// event is decrypted in place and published again in EventsDecrypted.
type Undecryptable struct {
	Encrypted *event.EncryptedEventContent
	Failure   e2ee.Failure
}

// e2eeMeta is what the store keeps about an event that came encrypted.
type e2eeMeta struct {
	Trust     int           `json:"trust,omitempty"` // an id.TrustState
	Device    id.DeviceID   `json:"device,omitempty"`
	Forwarded bool          `json:"forwarded,omitempty"`
	Failure   *e2ee.Failure `json:"utd,omitempty"`
}

// metaOf returns the e2ee column and utd_session column for an event.
func metaOf(ev *event.Event) (meta, utdSession any) {
	if u, ok := ev.Content.Parsed.(*Undecryptable); ok {
		f := u.Failure
		data, _ := json.Marshal(e2eeMeta{Failure: &f})
		if f.Retryable() && f.SessionID != "" {
			return string(data), string(f.SessionID)
		}
		return string(data), nil
	}
	if !ev.Mautrix.WasEncrypted {
		return nil, nil
	}
	m := e2eeMeta{Trust: int(ev.Mautrix.TrustState), Forwarded: ev.Mautrix.ForwardedKeys}
	if ev.Mautrix.TrustSource != nil {
		m.Device = ev.Mautrix.TrustSource.DeviceID
	}
	data, _ := json.Marshal(m)
	return string(data), nil
}

// applyMeta restores what metaOf kept on an event read from the store.
func applyMeta(ev *event.Event, meta []byte) {
	if len(meta) == 0 {
		return
	}
	var m e2eeMeta
	if json.Unmarshal(meta, &m) != nil {
		return
	}
	if m.Failure != nil {
		enc, _ := ev.Content.Parsed.(*event.EncryptedEventContent)
		if enc == nil {
			enc = &event.EncryptedEventContent{}
		}
		ev.Content.Parsed = &Undecryptable{Encrypted: enc, Failure: *m.Failure}
		return
	}
	ev.Mautrix.WasEncrypted = true
	ev.Mautrix.TrustState = id.TrustState(m.Trust)
	ev.Mautrix.ForwardedKeys = m.Forwarded
	if m.Device != "" {
		ev.Mautrix.TrustSource = &id.Device{UserID: ev.Sender, DeviceID: m.Device}
	}
}

// decrypt decrypts an m.room.encrypted room event for the store and the
// UI. It never fails: an event that cannot be decrypted comes back as it
// was with an *Undecryptable as its parsed content. ctx may carry the
// store transaction; no network request is made.
func (c *Client) decrypt(ctx context.Context, ev *event.Event) *event.Event {
	if ev.Type.Type != event.EventEncrypted.Type {
		return ev
	}
	content, _ := ev.Content.Parsed.(*event.EncryptedEventContent)
	if u, ok := ev.Content.Parsed.(*Undecryptable); ok {
		content = u.Encrypted
		ev.Content.Parsed = content
	}
	if content == nil {
		f := e2ee.Failure{Kind: e2ee.Broken, Err: "malformed encrypted content"}
		ev.Content.Parsed = &Undecryptable{Encrypted: &event.EncryptedEventContent{}, Failure: f}
		return ev
	}
	dec, err := c.crypto.mach.DecryptMegolmEvent(ctx, ev)
	if err == nil {
		prepareEvent(dec, ev.RoomID)
		return dec
	}
	f := e2ee.Classify(err, content)
	if f.Kind == e2ee.Withheld {
		if w, werr := c.crypto.store.GetWithheldGroupSession(ctx, ev.RoomID, content.SessionID); werr == nil && w != nil {
			f.Code, f.Reason = w.Code, w.Reason
		}
	}
	if f.Kind == e2ee.Broken {
		c.log.Debug().Err(err).Stringer("event_id", ev.ID).Msg("cannot decrypt event")
	}
	ev.Content.Parsed = &Undecryptable{Encrypted: content, Failure: f}
	return ev
}

// retryUndecryptable decrypts again the stored events that wait for the
// sessions noted as received, updates them in the store and publishes
// what changed (EventsDecrypted, and CallSignal for call events that can
// now be read). It runs with writeMu held.
func (c *Client) retryUndecryptableLocked(ctx context.Context) error {
	sessions := c.crypto.takeReceived()
	if len(sessions) == 0 || c.closed.Load() {
		return nil
	}
	// New keys: the key backup should have them too.
	c.scheduleBackupUpload()
	type found struct {
		roomID id.RoomID
		seq    int64
		ev     *event.Event
	}
	var updated []found
	err := c.writeTxn(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, s := range sessions {
			rows, err := tx.QueryContext(ctx, `SELECT room_id, seq, event, e2ee FROM tm_timeline WHERE utd_session = ?`, string(s))
			if err != nil {
				return fmt.Errorf("finding events waiting for a key: %w", err)
			}
			var todo []found
			for rows.Next() {
				var roomID id.RoomID
				var seq int64
				var data, meta []byte
				if err := rows.Scan(&roomID, &seq, &data, &meta); err != nil {
					rows.Close()
					return fmt.Errorf("finding events waiting for a key: %w", err)
				}
				ev, err := decodeEvent(data, roomID)
				if err != nil {
					continue
				}
				applyMeta(ev, meta)
				todo = append(todo, found{roomID, seq, ev})
			}
			rows.Close()
			for _, f := range todo {
				before, _ := f.ev.Content.Parsed.(*Undecryptable)
				var was e2ee.Failure
				if before != nil {
					was = before.Failure
				}
				dec := c.decrypt(ctx, f.ev)
				if u, ok := dec.Content.Parsed.(*Undecryptable); ok && u.Failure == was {
					continue // nothing new
				}
				if err := updateTimelineEvent(ctx, tx, f.roomID, f.seq, dec); err != nil {
					return err
				}
				updated = append(updated, found{f.roomID, f.seq, dec})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(updated) == 0 {
		return nil
	}
	byRoom := make(map[id.RoomID][]*event.Event)
	var calls []Update
	for _, u := range updated {
		byRoom[u.roomID] = append(byRoom[u.roomID], u.ev)
		if cs, ok := lateCallSignal(u.roomID, u.ev); ok {
			calls = append(calls, cs)
		}
	}
	ups := make([]Update, 0, len(byRoom)+len(calls))
	for _, roomID := range sortedKeys(byRoom) {
		ups = append(ups, EventsDecrypted{RoomID: roomID, Events: byRoom[roomID]})
	}
	c.hub.Publish(append(ups, calls...)...)
	// An in-room verification request often comes before its key.
	for _, u := range updated {
		if isVerificationEvent(u.ev) {
			c.handleVerificationEvent(ctx, u.ev, u.roomID)
		}
	}
	return nil
}
