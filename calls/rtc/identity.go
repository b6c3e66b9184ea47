package rtc

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"

	"maunium.net/go/mautrix/id"
)

// jsJSON encodes v as JavaScript's JSON.stringify does for strings and
// arrays of strings (no HTML escaping; U+2028/9 as they are), so hashes
// of it match what js-sdk and the JWT services compute.
func jsJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // strings only: cannot fail
	out := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	out = bytes.ReplaceAll(out, []byte(`\u2028`), []byte("\u2028"))
	return bytes.ReplaceAll(out, []byte(`\u2029`), []byte("\u2029"))
}

// HashedIdentity is the LiveKit identity of a sticky (matrix_2_0) member:
// unpadded base64 of SHA-256 over JSON [userId, deviceId, memberId].
func HashedIdentity(user id.UserID, device id.DeviceID, memberID string) string {
	sum := sha256.Sum256(jsJSON([]string{string(user), string(device), memberID}))
	return base64.RawStdEncoding.EncodeToString(sum[:])
}

// RoomAlias is the LiveKit room name current JWT services give a room's
// call: unpadded base64 of SHA-256 over JSON [roomId, "m.call#ROOM"].
// Clients never send it: they read the room from the JWT.
func RoomAlias(roomID id.RoomID) string {
	sum := sha256.Sum256(jsJSON([]string{string(roomID), "m.call#ROOM"}))
	return base64.RawStdEncoding.EncodeToString(sum[:])
}

// decodeBase64 decodes padded, unpadded or URL-safe base64, as js-sdk's
// decodeBase64 accepts all three.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}
