// Package sas is interactive emoji verification between two Matrix
// devices: the key verification framework (m.key.verification.request,
// ready, done, cancel) and the Short Authentication String method
// m.sas.v1 (start, accept, key, mac) of the client-server specification.
//
// It is a pure state machine: no network, no Matrix client, no clock of its
// own. A Verification is given both sides' user and device IDs, the keys
// this side asks the other to verify and a way to look up the other side's
// keys; it consumes the other side's event contents (Receive) and the local
// user's decisions (Accept, Start, Confirm, Cancel) and returns, in a Step,
// the contents to send (complete, with transaction_id or m.relates_to),
// the emoji and decimals to show, the other side's keys that the MAC
// exchange verified, and how it ended. The caller carries the contents
// (to-device or in a room), applies the trust, and calls Expire now and
// then: a verification ends with m.timeout ten minutes after it began.
//
// Supported: key agreement curve25519-hkdf-sha256, hash sha256, MAC
// hkdf-hmac-sha256.v2 (and the deprecated hkdf-hmac-sha256 with libolm's
// base64, when the other side offers nothing else), short authentication
// strings emoji and decimal. Not supported: QR codes, the deprecated
// curve25519 key agreement, and a to-device start without a request.
//
// The commitment is computed over the canonical JSON of the start content
// exactly as it was received (or sent), never over a re-encoding of a
// parsed struct: fields this package does not know still count.
package sas
