// Package e2ee holds termatrix's end-to-end encryption pieces that do not
// need the client core: the Olm/Megolm driver choice, how a failure to
// decrypt is described to the user, recovery keys as users hand them over,
// and the state the crypto machine asks the core about. The core
// (package matrix) wires mautrix's OlmMachine into its sync and send paths
// and keeps the crypto_* tables in its own SQLite store.
//
// # Olm driver: goolm
//
// mautrix offers two Olm/Megolm implementations: libolm (cgo, the default
// build) and goolm (pure Go, build tag goolm). termatrix builds with goolm:
//
//   - libolm is deprecated by the Matrix Foundation (2024) with unfixed
//     timing side channels (CVE-2024-45191..45193) and is not on a fresh
//     Debian machine (libolm-dev); goolm needs nothing but Go, so
//     `go run -tags goolm .` works wherever Go does;
//   - on our machines goolm decrypts a Megolm event in 73-100 µs against
//     125-155 µs for libolm, and unpickles a session five times faster;
//   - both passed the same interop runs against Element's Rust crypto.
//
// The price is the tag: every go command (run, build, test, vet) takes
// -tags goolm, as the README and scripts/test do. Without it the build
// stops with an error that names the tag (nogoolm.go).
package e2ee
