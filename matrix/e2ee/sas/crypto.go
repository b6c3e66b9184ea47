package sas

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
)

// The protocols and methods of m.sas.v1 this package speaks.
const (
	MethodSAS = "m.sas.v1"

	keyAgreementHKDF = "curve25519-hkdf-sha256"
	hashSHA256       = "sha256"
	macV2            = "hkdf-hmac-sha256.v2"
	macV1            = "hkdf-hmac-sha256" // libolm's broken base64; deprecated
	sasEmoji         = "emoji"
	sasDecimal       = "decimal"
)

// b64 is unpadded standard base64, the encoding of every key and hash in
// the protocol.
func b64(b []byte) string { return base64.RawStdEncoding.EncodeToString(b) }

// unb64 decodes base64 with or without padding.
func unb64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// commitment is the accepting side's hash commitment: the unpadded base64
// SHA-256 of its ephemeral public key (unpadded base64) followed by the
// canonical JSON of the start content.
func commitment(publicKey string, canonicalStart []byte) string {
	h := sha256.New()
	h.Write([]byte(publicKey))
	h.Write(canonicalStart)
	return b64(h.Sum(nil))
}

// sasInfo is the HKDF info for the short authentication string with
// curve25519-hkdf-sha256: starter, then accepter, each as user, device
// and ephemeral public key, then the transaction ID, joined by "|".
func sasInfo(startUser, startDevice, startKey, acceptUser, acceptDevice, acceptKey, txnID string) string {
	return "MATRIX_KEY_VERIFICATION_SAS|" + strings.Join([]string{
		startUser, startDevice, startKey, acceptUser, acceptDevice, acceptKey, txnID,
	}, "|")
}

// macInfo is the HKDF info for one MAC: the sender's user and device, the
// receiver's user and device, the transaction ID and the key ID (or
// KEY_IDS for the list of key IDs), with no separators.
func macInfo(senderUser, senderDevice, receiverUser, receiverDevice, txnID, keyID string) string {
	return "MATRIX_KEY_VERIFICATION_MAC" + senderUser + senderDevice + receiverUser + receiverDevice + txnID + keyID
}

// sasBytes derives the six bytes behind the emoji and decimals.
func sasBytes(secret []byte, info string) ([6]byte, error) {
	var out [6]byte
	b, err := hkdf.Key(sha256.New, secret, nil, info, len(out))
	if err != nil {
		return out, err
	}
	copy(out[:], b)
	return out, nil
}

// emojiIndices splits the first 42 bits into seven 6-bit numbers.
func emojiIndices(b [6]byte) [7]int {
	var n uint64
	for _, x := range b {
		n = n<<8 | uint64(x)
	}
	var out [7]int
	for i := range out {
		out[i] = int(n >> (42 - 6*uint(i)) & 63)
	}
	return out
}

// decimals turns the first 5 bytes into three 13-bit numbers plus 1000.
func decimals(b [6]byte) [3]int {
	b0, b1, b2, b3, b4 := int(b[0]), int(b[1]), int(b[2]), int(b[3]), int(b[4])
	return [3]int{
		(b0<<5 | b1>>3) + 1000,
		((b1&0x7)<<10 | b2<<2 | b3>>6) + 1000,
		((b3&0x3f)<<7 | b4>>1) + 1000,
	}
}

// rawMAC is HMAC-SHA256 of input under a key derived by HKDF from the
// shared secret with info.
func rawMAC(secret []byte, info, input string) []byte {
	key, err := hkdf.Key(sha256.New, secret, nil, info, 32)
	if err != nil {
		panic("sas: HKDF cannot derive 32 bytes: " + err.Error())
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(input))
	return m.Sum(nil)
}

// calcMAC computes a MAC as method encodes it.
func calcMAC(method string, secret []byte, info, input string) string {
	sum := rawMAC(secret, info, input)
	if method == macV1 {
		return libolmBase64(sum)
	}
	return b64(sum)
}

// checkMAC says whether got is the MAC of input (constant time).
func checkMAC(method string, secret []byte, info, input, got string) bool {
	sum := rawMAC(secret, info, input)
	if method == macV1 {
		return subtle.ConstantTimeCompare([]byte(libolmBase64(sum)), []byte(got)) == 1
	}
	dec, err := unb64(got)
	return err == nil && hmac.Equal(dec, sum)
}

// libolmBase64 encodes as libolm's first SAS MAC implementation did (the
// MAC method hkdf-hmac-sha256): it base64-encoded the MAC into the very
// buffer it was reading from, so from the second group of three bytes on,
// part of the input had already been overwritten by the output. This
// replays that in-place encoding on a buffer of the output's size.
func libolmBase64(in []byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	outLen := base64.RawStdEncoding.EncodedLen(len(in))
	buf := make([]byte, max(outLen, len(in)))
	copy(buf, in)
	r, w := 0, 0
	for ; r+3 <= len(in); r, w = r+3, w+4 {
		v := uint(buf[r])<<16 | uint(buf[r+1])<<8 | uint(buf[r+2])
		buf[w], buf[w+1], buf[w+2], buf[w+3] = alphabet[v>>18&63], alphabet[v>>12&63], alphabet[v>>6&63], alphabet[v&63]
	}
	switch len(in) - r {
	case 1:
		v := uint(buf[r]) << 4
		buf[w], buf[w+1] = alphabet[v>>6&63], alphabet[v&63]
	case 2:
		v := (uint(buf[r])<<8 | uint(buf[r+1])) << 2
		buf[w], buf[w+1], buf[w+2] = alphabet[v>>12&63], alphabet[v>>6&63], alphabet[v&63]
	}
	return string(buf[:outLen])
}
