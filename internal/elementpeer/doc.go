// Package elementpeer runs Element as a peer for interop tests:
// matrix-js-sdk 43 bundled for the browser and run in Debian's headless
// Chromium with fake media devices, driven by interop/peer.mjs
// (playwright-core). It makes legacy 1:1 calls (MatrixCall, what Element Web
// uses) and, with Options.Crypto, is an end-to-end-encryption-capable
// client on matrix-js-sdk's Rust crypto, set up the way Element Web does.
//
// A Peer is one Matrix device in one Chromium:
//
//	p, err := elementpeer.Start(ctx, elementpeer.Options{
//		BaseURL: st.BaseURL, UserID: u.UserID, AccessToken: u.AccessToken,
//		DeviceID: u.DeviceID, ForceTURN: true,
//	})
//	defer p.Close()
//	callID, err := p.PlaceCall(ctx, roomID, false)
//	_, err = p.WaitState(ctx, elementpeer.StateConnected)
//	stats, err := p.Stats(ctx) // getStats(): packets, audio energy, candidate types, codec
//
// Start returns once the page has its TURN credentials and has finished its
// first sync, so no call object exists before the ICE servers do.
//
// # End-to-end encryption
//
// With Options.Crypto the page runs initRustCrypto (in memory) before its
// first sync, and Start also waits until the server lists the device's
// keys. Options.Password answers Dendrite's password UIA; RecoveryKey lets a
// second session unlock secret storage. Then:
//
//	recoveryKey, err := bob.BootstrapCrossSigning(ctx) // cross-signing, secret storage, key backup
//	roomID, err := alice.CreateEncryptedDM(ctx, bobID)  // as Element: trusted_private_chat, m.direct
//	_, err = bob.JoinRoom(ctx, roomID)
//	_, err = alice.SendText(ctx, roomID, "hello")      // encrypted by matrix-js-sdk
//	m, err := bob.WaitMessage(ctx, roomID, "hello")    // m.Encrypted, m.Shield, m.SenderDevice
//	err = alice.SetOnlySignedDevices(ctx, true)        // Element's device isolation today
//	t, err := alice.WaitDeviceSignedByOwner(ctx, bobID, bobDevice)
//
// Messages lists a room's timeline (scrolled back to its creation, each
// event's decryption attempted) with decryption failures and their reasons
// (WaitEvent waits for one event, decrypted or not); CallEventsEncrypted
// lists its m.call.* events and whether each was encrypted. Keys: RestoreKeyBackup (from secret storage with the recovery
// key), BackupInfo, WaitBackedUp, and ExportKeys/ImportKeys in Element's
// passphrase-protected key-file format. Trust: DeviceVerification,
// UserVerified, WaitUserVerified; each asks the server for the user's keys
// first, since Dendrite may hold a device-list change back from /sync for a
// whole long-poll.
//
// Emoji verification is event-driven, one request at a time per peer (like
// calls): RequestDeviceVerification, RequestVerificationDM or
// RequestOwnVerification on one side, WaitVerificationRequest and
// AcceptVerification on the other, then StartSAS on the requester, WaitSAS
// on both (the same seven emoji), ConfirmSAS (or MismatchSAS) and
// WaitVerificationDone (which also waits for the SAS itself to finish, not
// only the request). Confirm a moment apart, as people do: two
// confirmations within one round trip can race inside the Rust SAS.
// Dendrite hands out to-device messages and device-list changes
// asynchronously, so the Wait helpers poll or wait for events rather than
// assume.
//
// The npm packages live in interop/ (package.json and package-lock.json);
// Start runs `npm ci` there if node_modules is missing and rebuilds the
// bundle when a source is newer, both under a file lock so parallel test
// packages do not race. Chromium is /usr/bin/chromium unless
// TERMATRIX_CHROMIUM names another binary. ForTest and StartForTest start a
// peer for a test, with its log in the test's directory.
package elementpeer
