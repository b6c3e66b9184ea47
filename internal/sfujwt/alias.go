// Package sfujwt is a small LiveKit JWT service speaking the `/sfu/get`
// protocol Element Call uses to join a MatrixRTC session's SFU (MSC4195's
// predecessor, as lk-jwt-service deploys it): a client proves who it is
// with a Matrix OpenID token, and gets back the SFU's URL and a LiveKit
// access token for the call's LiveKit room.
//
// The test stack (internal/teststack) runs it beside livekit-server. It is
// our own code, written from the protocol description in the MatrixRTC
// spec notes.
package sfujwt

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
)

// CallSlot is the MatrixRTC slot of a room's call, the only one Element
// Call uses.
const CallSlot = "m.call#ROOM"

// RoomAlias returns the LiveKit room name current services give the call
// in Matrix room roomID and slot: the unpadded standard base64 of the
// SHA-256 of the JSON array [roomID, slot]. Clients cannot compute it
// reliably across service versions (older ones used the room ID itself),
// so they read the room from the JWT.
func RoomAlias(roomID, slot string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)               // the array as JSON.stringify writes it
	_ = enc.Encode([]string{roomID, slot}) // strings always encode
	sum := sha256.Sum256(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return base64.RawStdEncoding.EncodeToString(sum[:])
}
