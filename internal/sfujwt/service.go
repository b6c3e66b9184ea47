package sfujwt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/livekit/protocol/auth"
)

// TokenValidity is how long a minted LiveKit token is valid.
const TokenValidity = time.Hour

// Config configures a Service.
type Config struct {
	// HomeserverURL is where OpenID tokens are checked:
	// {HomeserverURL}/_matrix/federation/v1/openid/userinfo.
	HomeserverURL string
	// ServerName is the Matrix server name whose users are served; tokens
	// naming another matrix_server_name are refused.
	ServerName string
	// LiveKitURL is the SFU's WebSocket URL handed to clients.
	LiveKitURL string
	// APIKey and APISecret sign the LiveKit tokens.
	APIKey, APISecret string
	// HTTPClient checks tokens; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
}

// Service is the HTTP handler of the JWT service: POST /sfu/get, with
// CORS so that a web client on another origin can call it.
type Service struct {
	cfg Config
	mux *http.ServeMux
}

// New returns a Service for cfg.
func New(cfg Config) *Service {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	s := &Service{cfg: cfg, mux: http.NewServeMux()}
	s.mux.HandleFunc("/sfu/get", s.serveSFUGet)
	s.mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	return s
}

// ServeHTTP answers CORS preflights for every path and hands the rest to
// the service's routes.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Origin, X-Requested-With, Content-Type, Accept, Authorization")
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// OpenIDToken is the token a client got from its homeserver's
// /user/{userId}/openid/request_token.
type OpenIDToken struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	MatrixServerName string `json:"matrix_server_name"`
	ExpiresIn        int    `json:"expires_in"`
}

// SFURequest is the body of POST /sfu/get.
type SFURequest struct {
	Room        string      `json:"room"`
	OpenIDToken OpenIDToken `json:"openid_token"`
	DeviceID    string      `json:"device_id"`
}

// SFUResponse is the answer to POST /sfu/get.
type SFUResponse struct {
	URL string `json:"url"`
	JWT string `json:"jwt"`
}

// maxBody bounds a request body; real ones are a few hundred bytes.
const maxBody = 64 << 10

func (s *Service) serveSFUGet(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "M_UNRECOGNIZED", "use POST")
		return
	}
	var req SFURequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "M_BAD_JSON", "request body is not JSON of the expected shape")
		return
	}
	if msg := validate(req); msg != "" {
		writeError(w, http.StatusBadRequest, "M_BAD_JSON", msg)
		return
	}
	if req.OpenIDToken.MatrixServerName != s.cfg.ServerName {
		writeError(w, http.StatusUnauthorized, "M_UNAUTHORIZED", "this service serves only "+s.cfg.ServerName)
		return
	}
	userID, err := s.userInfo(r.Context(), req.OpenIDToken.AccessToken)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "M_UNAUTHORIZED", "the OpenID token was not accepted")
		return
	}
	if !strings.HasSuffix(userID, ":"+s.cfg.ServerName) {
		writeError(w, http.StatusUnauthorized, "M_UNAUTHORIZED", "the token's user is not on "+s.cfg.ServerName)
		return
	}
	jwt, err := s.Mint(userID+":"+req.DeviceID, RoomAlias(req.Room, CallSlot))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "M_UNKNOWN", "could not mint a token")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(SFUResponse{URL: s.cfg.LiveKitURL, JWT: jwt})
}

// validate returns what is wrong with req, or "".
func validate(req SFURequest) string {
	switch {
	case !strings.HasPrefix(req.Room, "!") || !strings.Contains(req.Room, ":"):
		return "room must be a Matrix room ID"
	case req.DeviceID == "":
		return "device_id is missing"
	case req.OpenIDToken.AccessToken == "":
		return "openid_token.access_token is missing"
	case req.OpenIDToken.MatrixServerName == "":
		return "openid_token.matrix_server_name is missing"
	}
	return ""
}

// Mint returns a LiveKit access token for identity to join, publish and
// subscribe in LiveKit room room, valid for TokenValidity.
func (s *Service) Mint(identity, room string) (string, error) {
	grant := &auth.VideoGrant{RoomJoin: true, Room: room}
	grant.SetCanPublish(true)
	grant.SetCanSubscribe(true)
	grant.SetCanPublishData(true)
	grant.SetCanUpdateOwnMetadata(true)
	tok, err := auth.NewAccessToken(s.cfg.APIKey, s.cfg.APISecret).
		SetIdentity(identity).
		SetVideoGrant(grant).
		SetValidFor(TokenValidity).
		ToJWT()
	if err != nil {
		return "", fmt.Errorf("minting a livekit token: %w", err)
	}
	return tok, nil
}

// userInfo asks the homeserver whose OpenID token accessToken is, as a
// federating server would.
func (s *Service) userInfo(ctx context.Context, accessToken string) (string, error) {
	u := strings.TrimSuffix(s.cfg.HomeserverURL, "/") + "/_matrix/federation/v1/openid/userinfo?access_token=" + url.QueryEscape(accessToken)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("checking an openid token: %w", err)
	}
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("checking an openid token: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("checking an openid token: HTTP %d", resp.StatusCode)
	}
	var info struct {
		Sub string `json:"sub"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&info); err != nil {
		return "", fmt.Errorf("checking an openid token: %w", err)
	}
	if !strings.HasPrefix(info.Sub, "@") || !strings.Contains(info.Sub, ":") {
		return "", errors.New("checking an openid token: no user ID in the answer")
	}
	return info.Sub, nil
}

func writeError(w http.ResponseWriter, status int, errcode, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"errcode": errcode, "error": msg})
}
