// Package elementpeer runs Element's call stack as a peer for tests:
// matrix-js-sdk's legacy 1:1 calls (MatrixCall, what Element Web uses),
// bundled for the browser and run in Debian's headless Chromium with fake
// media devices, driven by interop/peer.mjs (playwright-core).
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
// The npm packages live in interop/ (package.json and package-lock.json);
// Start runs `npm ci` there if node_modules is missing and rebuilds the
// bundle when a source is newer, both under a file lock so parallel test
// packages do not race. Chromium is /usr/bin/chromium unless
// TERMATRIX_CHROMIUM names another binary.
package elementpeer
