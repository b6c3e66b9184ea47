package teststack

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// The MatrixRTC transport endpoints (MSC4143), which Dendrite v0.13.8 does
// not know: the front answers them itself, as Synapse does with
// experimental_features.msc4143_enabled and matrix_rtc.transports.
const (
	rtcTransportsUnstablePath = "/_matrix/client/unstable/org.matrix.msc4143/rtc/transports"
	rtcTransportsStablePath   = "/_matrix/client/v1/rtc/transports"
)

// SetRTCTransportsEndpoint turns the front's answer at the rtc/transports
// endpoints on or off; off, they answer 404 M_UNRECOGNIZED like a
// homeserver without MSC4143. Options.NoRTCTransportsEndpoint sets the
// initial state.
func (s *Stack) SetRTCTransportsEndpoint(enabled bool) {
	s.front.mu.Lock()
	s.front.noRTCTransports = !enabled
	s.front.mu.Unlock()
}

// setRTCTransports sets the transports the front advertises at the
// rtc/transports endpoints.
func (f *front) setRTCTransports(transports []any) error {
	b, err := json.Marshal(map[string]any{"rtc_transports": transports})
	if err != nil {
		return fmt.Errorf("encoding rtc transports: %w", err)
	}
	f.mu.Lock()
	f.rtcTransports = b
	f.mu.Unlock()
	return nil
}

// serveRTCTransports answers GET rtc/transports for a user Dendrite knows
// the access token of, with CORS headers as Dendrite sets them so that a
// browser peer on another origin can ask too. Without transports (no
// LiveKit) the request goes on to Dendrite.
func (f *front) serveRTCTransports(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	body, off := f.rtcTransports, f.noRTCTransports
	f.mu.Unlock()
	if body == nil && !off {
		f.proxy.ServeHTTP(w, r)
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Origin, X-Requested-With, Content-Type, Accept, Authorization")
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusOK)
		return
	}
	if off {
		writeMatrixError(w, http.StatusNotFound, "M_UNRECOGNIZED", "Unrecognized request")
		return
	}
	if r.Method != http.MethodGet {
		writeMatrixError(w, http.StatusMethodNotAllowed, "M_UNRECOGNIZED", "Unrecognized request")
		return
	}
	token := accessToken(r)
	if token == "" {
		writeMatrixError(w, http.StatusUnauthorized, "M_MISSING_TOKEN", "Missing access token")
		return
	}
	if status := f.whoami(r, token); status != http.StatusOK {
		if status == http.StatusUnauthorized {
			writeMatrixError(w, status, "M_UNKNOWN_TOKEN", "Unknown access token")
		} else {
			writeMatrixError(w, http.StatusBadGateway, "M_UNKNOWN", "homeserver unavailable")
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// whoami asks Dendrite whether token is valid and returns its HTTP status
// (502 if Dendrite does not answer).
func (f *front) whoami(r *http.Request, token string) int {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, f.target.String()+"/_matrix/client/v3/account/whoami", nil)
	if err != nil {
		return http.StatusBadGateway
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := f.transport.RoundTrip(req)
	if err != nil {
		return http.StatusBadGateway
	}
	resp.Body.Close()
	return resp.StatusCode
}

// accessToken returns the request's access token, from the Authorization
// header or the deprecated access_token query parameter.
func accessToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
	}
	return r.URL.Query().Get("access_token")
}

func writeMatrixError(w http.ResponseWriter, status int, errcode, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"errcode": errcode, "error": msg})
}
