package rtc

import (
	"crypto/rand"
	"fmt"
	"io"
	"time"
)

// Rules of our media key, as js-sdk's RTCEncryptionManager has them.
const (
	// DefaultKeyGrace: a member joining this long after our newest key
	// was made gets a new key (the joiner must not hear what was said
	// before); inside it the joiner just gets the current key.
	DefaultKeyGrace = 10 * time.Second
	// DefaultKeyUseDelay is how long after sending a new key we start
	// encrypting with it, so the others hold it by then.
	DefaultKeyUseDelay = time.Second
	// keyLen is the length of our random media keys.
	keyLen = 16
)

// keyRing is our outgoing media key: the newest key, when we switch to
// it, and which member devices got it. Not safe for concurrent use.
type keyRing struct {
	grace, useDelay time.Duration
	rnd             io.Reader

	index uint8
	key   []byte
	made  time.Time
	// useAt is when the newest key becomes the one we encrypt with; zero
	// once it is.
	useAt time.Time
	// sent maps a device (deviceKey) to the index it last got.
	sent map[string]uint8
}

// newKeyRing makes our first key (index 0), used at once.
func newKeyRing(now time.Time, grace, useDelay time.Duration, rnd io.Reader) (*keyRing, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	r := &keyRing{grace: grace, useDelay: useDelay, rnd: rnd, sent: map[string]uint8{}}
	key, err := r.random()
	if err != nil {
		return nil, err
	}
	r.key, r.made = key, now
	return r, nil
}

func (r *keyRing) random() ([]byte, error) {
	key := make([]byte, keyLen)
	if _, err := io.ReadFull(r.rnd, key); err != nil {
		return nil, fmt.Errorf("making a media key: %w", err)
	}
	return key, nil
}

// rotate makes a new random key at the next index (mod 256), to be used
// after the use delay; no device has it yet.
func (r *keyRing) rotate(now time.Time) error {
	key, err := r.random()
	if err != nil {
		return err
	}
	r.index++ // wraps at 255 as js-sdk's (keyId + 1) % 256
	r.key, r.made, r.useAt = key, now, now.Add(r.useDelay)
	clear(r.sent)
	return nil
}

// joined applies the rule for a member joining at now: a new key when
// the newest is older than the grace period. It reports whether it
// rotated (then every member needs the new key).
func (r *keyRing) joined(now time.Time) (bool, error) {
	if now.Sub(r.made) <= r.grace {
		return false, nil
	}
	return true, r.rotate(now)
}

// left applies the rule for a member leaving: always a new key, so the
// leaver cannot hear what follows.
func (r *keyRing) left(now time.Time) error { return r.rotate(now) }

// switchDue returns the newest key once its use delay has passed, and
// only once.
func (r *keyRing) switchDue(now time.Time) (uint8, []byte, bool) {
	if r.useAt.IsZero() || now.Before(r.useAt) {
		return 0, nil, false
	}
	r.useAt = time.Time{}
	return r.index, r.key, true
}

// needs says whether the device lacks our newest key.
func (r *keyRing) needs(device string) bool {
	idx, ok := r.sent[device]
	return !ok || idx != r.index
}

// markSent notes that the device got our newest key.
func (r *keyRing) markSent(device string) { r.sent[device] = r.index }

// remoteKeys holds the keys others sent us, by LiveKit identity and
// index, and those waiting for their sender's membership.
type remoteKeys struct {
	byIdentity map[string]map[uint8][]byte
	pending    []pendingKey
}

// pendingKey is a key waiting for its sender's membership.
type pendingKey struct {
	MediaKey
	received time.Time
}

// maxPendingKeys bounds the keys waiting for a membership (a hostile
// sender cannot grow it); the oldest are dropped first.
const maxPendingKeys = 32

// pendingKeyLife is how long a key may wait for its membership.
const pendingKeyLife = time.Minute

func newRemoteKeys() *remoteKeys { return &remoteKeys{byIdentity: map[string]map[uint8][]byte{}} }

// set stores a key for an identity.
func (k *remoteKeys) set(identity string, index uint8, key []byte) {
	if k.byIdentity[identity] == nil {
		k.byIdentity[identity] = map[uint8][]byte{}
	}
	k.byIdentity[identity][index] = key
}

// queue keeps a key whose sender has no membership yet.
func (k *remoteKeys) queue(mk MediaKey, now time.Time) {
	if len(k.pending) >= maxPendingKeys {
		k.pending = k.pending[1:]
	}
	k.pending = append(k.pending, pendingKey{mk, now})
}

// takeFor removes and returns the queued keys that member sent (sender
// and Olm device both match), oldest first, dropping stale ones.
func (k *remoteKeys) takeFor(m Membership, now time.Time) []MediaKey {
	var out []MediaKey
	kept := k.pending[:0]
	for _, mk := range k.pending {
		switch {
		case now.Sub(mk.received) > pendingKeyLife:
		case mk.Sender == m.Sender && mk.Device == m.DeviceID:
			out = append(out, mk.MediaKey)
		default:
			kept = append(kept, mk)
		}
	}
	k.pending = kept
	return out
}

// forget drops the keys of an identity that left.
func (k *remoteKeys) forget(identity string) { delete(k.byIdentity, identity) }
