package lkmedia

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
)

// LiveKit's end-to-end frame encryption as livekit-client does it for
// Element Call (spec matrixrtc.md 2.7): the AES-128 key is
// HKDF-SHA256(IKM = the raw 16-byte key, salt "LKFrameEncryptionKey",
// info = 128 zero bytes, L = 16), the cipher AES-GCM with a 12-byte IV
// and a 16-byte tag, and an Opus frame travels as
//
//	[TOC byte, in clear, the AAD][ciphertext || tag][IV (12)][IV length = 12][key index]
//
// Empty frames pass through unencrypted. Frames ending in the room's SIF
// trailer (server-injected, unencrypted) are dropped by the receiver.
// The receiver-side ratchet of livekit-client (derive the next key on a
// decryption failure) is not implemented: Element Call never ratchets
// outgoing keys, it rotates with fresh random keys.

const (
	// hkdfSalt is livekit-client's ratchetSalt, also the HKDF salt.
	hkdfSalt = "LKFrameEncryptionKey"
	// hkdfInfoLen is the length of the all-zero HKDF info.
	hkdfInfoLen = 128
	// rawKeyLen is the length of Element Call's media keys.
	rawKeyLen = 16
	ivLen     = 12
	tagLen    = 16
	// opusHeaderLen is the unencrypted header of an Opus frame: its TOC.
	opusHeaderLen = 1
	// trailerLen is the IV-length and key-index bytes.
	trailerLen = 2
	// minEncryptedLen is the shortest encrypted Opus frame (empty payload
	// after the TOC).
	minEncryptedLen = opusHeaderLen + tagLen + ivLen + trailerLen
)

// Decryption failures; all are counted as undecryptable frames.
var (
	errShortFrame = errors.New("frame too short to be encrypted")
	errIVLength   = errors.New("frame names an IV length other than 12")
	errNoKey      = errors.New("no key at the frame's index")
	errAuth       = errors.New("frame does not authenticate with the key at its index")
)

// deriveAESKey turns a raw media key into the AES-128 key livekit-client
// derives from it.
func deriveAESKey(raw []byte) ([]byte, error) {
	if len(raw) == 0 {
		return nil, errors.New("empty media key")
	}
	k, err := hkdf.Key(sha256.New, raw, []byte(hkdfSalt), string(make([]byte, hkdfInfoLen)), 16)
	if err != nil {
		return nil, fmt.Errorf("derive frame key: %w", err)
	}
	return k, nil
}

// newFrameAEAD returns the AES-GCM of a raw media key.
func newFrameAEAD(raw []byte) (cipher.AEAD, error) {
	k, err := deriveAESKey(raw)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("frame cipher: %w", err)
	}
	gcm, err := cipher.NewGCM(block) // 12-byte nonce, 16-byte tag: WebCrypto's defaults
	if err != nil {
		return nil, fmt.Errorf("frame cipher: %w", err)
	}
	return gcm, nil
}

// sealFrame encrypts one Opus frame with gcm under iv (12 bytes), naming
// key index kid, appending the result to dst. An empty frame stays empty.
func sealFrame(dst []byte, gcm cipher.AEAD, kid uint8, iv, frame []byte) []byte {
	if len(frame) == 0 {
		return dst
	}
	hdr := frame[:opusHeaderLen]
	dst = append(dst, hdr...)
	dst = gcm.Seal(dst, iv, frame[opusHeaderLen:], hdr)
	dst = append(dst, iv...)
	return append(dst, ivLen, kid)
}

// openFrame decrypts one encrypted Opus frame, appending the clear frame
// (TOC and payload) to dst. keyAt gives the cipher for a key index, or
// nil.
func openFrame(dst []byte, keyAt func(uint8) cipher.AEAD, frame []byte) ([]byte, error) {
	if len(frame) < minEncryptedLen {
		return dst, errShortFrame
	}
	kid := frame[len(frame)-1]
	if frame[len(frame)-2] != ivLen {
		return dst, errIVLength
	}
	gcm := keyAt(kid)
	if gcm == nil {
		return dst, fmt.Errorf("%w %d", errNoKey, kid)
	}
	ivAt := len(frame) - trailerLen - ivLen
	hdr := frame[:opusHeaderLen]
	n := len(dst)
	dst = append(dst, hdr...)
	out, err := gcm.Open(dst, frame[ivAt:ivAt+ivLen], frame[opusHeaderLen:ivAt], hdr)
	if err != nil {
		return dst[:n], fmt.Errorf("%w %d", errAuth, kid)
	}
	return out, nil
}

// isSIF says whether frame is a server-injected frame: it ends in the
// room's SIF trailer.
func isSIF(frame, sif []byte) bool {
	return len(sif) > 0 && len(frame) >= len(sif) && bytes.Equal(frame[len(frame)-len(sif):], sif)
}

// keyRing is one participant's 256 key slots, by key index.
type keyRing struct {
	mu    sync.RWMutex
	slots [256]cipher.AEAD
}

// set installs the raw key at index.
func (r *keyRing) set(index uint8, raw []byte) error {
	gcm, err := newFrameAEAD(raw)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.slots[index] = gcm
	r.mu.Unlock()
	return nil
}

// at returns the cipher at index, or nil.
func (r *keyRing) at(index uint8) cipher.AEAD {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.slots[index]
}

// frameEncryptor encrypts our outgoing Opus frames with the current
// local key; it is an lksdk FrameEncryptor (WithFrameEncryptor).
type frameEncryptor struct {
	mu  sync.Mutex
	gcm cipher.AEAD
	kid uint8
	// dropped counts frames not sent because no key was set yet.
	dropped int
}

// setKey makes raw at index the key of the frames from now on.
func (e *frameEncryptor) setKey(index uint8, raw []byte) error {
	gcm, err := newFrameAEAD(raw)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.gcm, e.kid = gcm, index
	e.mu.Unlock()
	return nil
}

// errNoLocalKey is returned for frames written before SetLocalKey: they
// are not sent, never sent in clear.
var errNoLocalKey = errors.New("no local media key yet")

// EncryptFrame encrypts one frame with a fresh random IV (random 96-bit
// IVs are safe for far more frames than a key ever protects).
func (e *frameEncryptor) EncryptFrame(frame []byte) ([]byte, error) {
	if len(frame) == 0 {
		return frame, nil
	}
	e.mu.Lock()
	gcm, kid := e.gcm, e.kid
	if gcm == nil {
		e.dropped++
	}
	e.mu.Unlock()
	if gcm == nil {
		return nil, errNoLocalKey
	}
	var iv [ivLen]byte
	if _, err := rand.Read(iv[:]); err != nil {
		return nil, fmt.Errorf("frame IV: %w", err)
	}
	return sealFrame(make([]byte, 0, len(frame)+tagLen+ivLen+trailerLen), gcm, kid, iv[:], frame), nil
}
