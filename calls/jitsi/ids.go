package jitsi

import (
	"crypto/rand"
	"encoding/base32"
	"math/big"
)

const (
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower  = "abcdefghijklmnopqrstuvwxyz"
	digits = "0123456789"
)

// NewConferenceID makes a conference ID as Element does
// (WidgetUtils.addJitsiWidget): with auth openidtoken-jwt, the unpadded
// RFC 4648 base32 of the room ID, which the prosody auth module decodes to
// check membership; otherwise "Jitsi" + 1 random upper-case letter + 23
// random lower-case letters.
func NewConferenceID(roomID, auth string) string {
	if auth == AuthOpenIDJWT {
		return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte(roomID))
	}
	return "Jitsi" + randomString(upper, 1) + randomString(lower, 23)
}

// NewWidgetID makes a widget ID as Element does: 24 random characters
// from A–Z a–z 0–9.
func NewWidgetID() string {
	return randomString(upper+lower+digits, 24)
}

// randomString draws n characters from alphabet with crypto/rand.
func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("crypto/rand failed: " + err.Error()) // never happens on supported systems
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}
