package lkmedia

import (
	"bytes"
	"crypto/cipher"
	"encoding/hex"
	"errors"
	"testing"
)

// frameVectors were computed independently of this package, with Node 20's
// WebCrypto making exactly the calls of livekit-client's FrameCryptor
// (importKey raw "HKDF"; deriveKey {HKDF, SHA-256, salt
// "LKFrameEncryptionKey", info new ArrayBuffer(128)} → AES-GCM 128;
// encrypt {iv, additionalData: the TOC byte}), then laid out as
// [TOC][ct||tag][IV][12][kid]. Regenerate with `node testdata/vectors.js`.
var frameVectors = []struct {
	raw, aes, iv, frame, encrypted string
	kid                            uint8
}{
	{
		raw:       "000102030405060708090a0b0c0d0e0f",
		aes:       "4086b4641064e1ae8b63d4eb83ad3e7e",
		iv:        "a0a1a2a3a4a5a6a7a8a9aaab",
		frame:     "787465726d6174726978206f707573206672616d65",
		kid:       3,
		encrypted: "78fed0ad72adfcec8bca720c2225f615113c946bcbfa11301d6c01b703aa70e6dd767dbd71a0a1a2a3a4a5a6a7a8a9aaab0c03",
	},
	{ // a TOC-only frame (as Opus DTX sends) at the last key index
		raw:       "ffeeddccbbaa99887766554433221100",
		aes:       "84e68819551dffcf143ff2090c2bee1d",
		iv:        "000000000000000000000001",
		frame:     "fc",
		kid:       255,
		encrypted: "fcea18be19c428c559801922a5b881c6d50000000000000000000000010cff",
	},
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ringWith(t testing.TB, kid uint8, raw []byte) *keyRing {
	t.Helper()
	var r keyRing
	if err := r.set(kid, raw); err != nil {
		t.Fatal(err)
	}
	return &r
}

// TestFrameKeyDerivationMatchesWebCrypto: our HKDF gives livekit-client's
// AES key.
func TestFrameKeyDerivationMatchesWebCrypto(t *testing.T) {
	for _, v := range frameVectors {
		k, err := deriveAESKey(unhex(t, v.raw))
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(k); got != v.aes {
			t.Errorf("key of %s = %s, want %s", v.raw, got, v.aes)
		}
	}
}

// TestFrameEncryptMatchesWebCrypto: sealing the vector's frame with its
// key, IV and index gives the WebCrypto bytes, and they open again.
func TestFrameEncryptMatchesWebCrypto(t *testing.T) {
	for _, v := range frameVectors {
		gcm, err := newFrameAEAD(unhex(t, v.raw))
		if err != nil {
			t.Fatal(err)
		}
		got := sealFrame(nil, gcm, v.kid, unhex(t, v.iv), unhex(t, v.frame))
		if hex.EncodeToString(got) != v.encrypted {
			t.Errorf("sealed %s\n got %x\nwant %s", v.frame, got, v.encrypted)
		}
		ring := ringWith(t, v.kid, unhex(t, v.raw))
		plain, err := openFrame(nil, ring.at, unhex(t, v.encrypted))
		if err != nil {
			t.Fatalf("open WebCrypto frame: %v", err)
		}
		if hex.EncodeToString(plain) != v.frame {
			t.Errorf("opened %x, want %s", plain, v.frame)
		}
	}
}

// TestFrameDecryptFailures: a wrong key, a key at another index, a
// flipped bit in header, ciphertext or IV, and a bad IV length all fail.
func TestFrameDecryptFailures(t *testing.T) {
	v := frameVectors[0]
	enc := unhex(t, v.encrypted)
	wrong := ringWith(t, v.kid, unhex(t, frameVectors[1].raw))
	if _, err := openFrame(nil, wrong.at, enc); !errors.Is(err, errAuth) {
		t.Errorf("wrong key: %v, want errAuth", err)
	}
	otherIndex := ringWith(t, v.kid+1, unhex(t, v.raw))
	if _, err := openFrame(nil, otherIndex.at, enc); !errors.Is(err, errNoKey) {
		t.Errorf("key at another index: %v, want errNoKey", err)
	}
	right := ringWith(t, v.kid, unhex(t, v.raw))
	for _, at := range []int{0, 1, len(enc) - 3, len(enc) - 14} { // TOC (AAD), ciphertext, IV
		bad := bytes.Clone(enc)
		bad[at] ^= 1
		if _, err := openFrame(nil, right.at, bad); !errors.Is(err, errAuth) {
			t.Errorf("bit flipped at %d: %v, want errAuth", at, err)
		}
	}
	bad := bytes.Clone(enc)
	bad[len(bad)-2] = 16
	if _, err := openFrame(nil, right.at, bad); !errors.Is(err, errIVLength) {
		t.Errorf("IV length 16: %v, want errIVLength", err)
	}
	for n := range minEncryptedLen {
		if _, err := openFrame(nil, right.at, enc[len(enc)-n:]); !errors.Is(err, errShortFrame) {
			t.Errorf("%d-byte frame: %v, want errShortFrame", n, err)
		}
	}
}

// TestFrameEncryptorRoundTrip: our encryptor's frames open with the same
// key at its index, each with a fresh IV; an empty frame passes through;
// before a key is set nothing is sent.
func TestFrameEncryptorRoundTrip(t *testing.T) {
	var e frameEncryptor
	if _, err := e.EncryptFrame([]byte{0x78, 1, 2}); !errors.Is(err, errNoLocalKey) {
		t.Fatalf("encrypt without key: %v, want errNoLocalKey", err)
	}
	raw := unhex(t, frameVectors[0].raw)
	if err := e.setKey(7, raw); err != nil {
		t.Fatal(err)
	}
	frame := []byte{0x78, 1, 2, 3, 4}
	a, err := e.EncryptFrame(frame)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.EncryptFrame(frame)
	if bytes.Equal(a, b) {
		t.Error("two encryptions of one frame are equal: IV reused")
	}
	if a[0] != 0x78 || a[len(a)-1] != 7 || a[len(a)-2] != ivLen {
		t.Errorf("layout: %x", a)
	}
	ring := ringWith(t, 7, raw)
	plain, err := openFrame(nil, ring.at, a)
	if err != nil || !bytes.Equal(plain, frame) {
		t.Errorf("round trip: %x, %v", plain, err)
	}
	if out, err := e.EncryptFrame(nil); err != nil || len(out) != 0 {
		t.Errorf("empty frame: %x, %v", out, err)
	}
}

// TestSIFTrailer: a frame ending in the room's trailer is recognised.
func TestSIFTrailer(t *testing.T) {
	sif := []byte("LKROCKS")
	if !isSIF(append([]byte{1, 2, 3}, sif...), sif) || isSIF([]byte{1, 2, 3}, sif) || isSIF([]byte("ROCKS"), sif) || isSIF([]byte{1}, nil) {
		t.Error("isSIF")
	}
}

// FuzzDecryptFrame: no input makes openFrame panic, and whatever opens
// was sealed by someone holding the key (it re-seals to the same bytes).
func FuzzDecryptFrame(f *testing.F) {
	for _, v := range frameVectors {
		f.Add(unhex(f, v.encrypted))
	}
	f.Add([]byte{})
	f.Add([]byte{0x78, 0x0c, 0x03})
	ring := ringWith(f, frameVectors[0].kid, unhex(f, frameVectors[0].raw))
	f.Fuzz(func(t *testing.T, frame []byte) {
		plain, err := openFrame(nil, ring.at, frame)
		if err != nil {
			return
		}
		iv := frame[len(frame)-trailerLen-ivLen : len(frame)-trailerLen]
		var gcm cipher.AEAD = ring.at(frame[len(frame)-1])
		if again := sealFrame(nil, gcm, frame[len(frame)-1], iv, plain); !bytes.Equal(again, frame) {
			t.Errorf("opened %x from %x, which re-seals to %x", plain, frame, again)
		}
	})
}
