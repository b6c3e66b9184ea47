package rtc

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// sfuGrant is what a LiveKit JWT service gives us for one SFU.
type sfuGrant struct {
	// URL is the SFU's WebSocket URL.
	URL string
	// Token is the LiveKit JWT (a secret: never log it).
	Token string
	// Room is the LiveKit room the token grants, from its video grant.
	Room string
}

// maxJWTAnswer bounds what we read from a JWT service.
const maxJWTAnswer = 64 << 10

// fetchSFUGrant asks the JWT service at serviceURL (Element Call's
// legacy /sfu/get, what compatibility mode uses) for a token to the
// room's call. It always sends the Matrix room ID: current services hash
// it into the LiveKit room name, which is read back from the token.
func fetchSFUGrant(ctx context.Context, httpc *http.Client, serviceURL string, roomID id.RoomID, device id.DeviceID, openID *mautrix.RespOpenIDToken) (sfuGrant, error) {
	base, err := url.Parse(serviceURL)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return sfuGrant{}, fmt.Errorf("the LiveKit service URL %q is not an http(s) URL", serviceURL)
	}
	body, err := json.Marshal(map[string]any{
		"room":         roomID,
		"openid_token": openID,
		"device_id":    device,
	})
	if err != nil {
		return sfuGrant{}, fmt.Errorf("encoding the SFU token request: %w", err)
	}
	endpoint := strings.TrimRight(serviceURL, "/") + "/sfu/get"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return sfuGrant{}, fmt.Errorf("asking %s for an SFU token: %w", base.Host, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpc.Do(req)
	if err != nil {
		return sfuGrant{}, fmt.Errorf("asking %s for an SFU token: %w", base.Host, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxJWTAnswer))
	if err != nil {
		return sfuGrant{}, fmt.Errorf("reading %s's SFU token: %w", base.Host, err)
	}
	if resp.StatusCode != http.StatusOK {
		var me struct {
			ErrCode string `json:"errcode"`
		}
		_ = json.Unmarshal(data, &me)
		return sfuGrant{}, fmt.Errorf("%s refused an SFU token: HTTP %d %s", base.Host, resp.StatusCode, safeCode(me.ErrCode))
	}
	var out struct {
		URL string `json:"url"`
		JWT string `json:"jwt"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.JWT == "" {
		return sfuGrant{}, fmt.Errorf("%s sent no SFU token", base.Host)
	}
	sfu, err := url.Parse(out.URL)
	if err != nil || (sfu.Scheme != "wss" && sfu.Scheme != "ws" && sfu.Scheme != "https" && sfu.Scheme != "http") || sfu.Host == "" {
		return sfuGrant{}, fmt.Errorf("%s named no usable SFU URL", base.Host)
	}
	room, err := jwtRoom(out.JWT)
	if err != nil {
		return sfuGrant{}, fmt.Errorf("%s's SFU token: %w", base.Host, err)
	}
	return sfuGrant{URL: out.URL, Token: out.JWT, Room: room}, nil
}

// jwtRoom reads the LiveKit room from a JWT's video grant (unverified:
// the SFU verifies it; we only want the name).
func jwtRoom(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", errors.New("JWT payload is not base64url")
	}
	var claims struct {
		Video struct {
			Room string `json:"room"`
		} `json:"video"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Video.Room == "" {
		return "", errors.New("JWT grants no LiveKit room")
	}
	return claims.Video.Room, nil
}

// safeCode keeps a Matrix-style error code if it looks like one.
func safeCode(code string) string {
	if len(code) > 64 {
		return ""
	}
	for _, r := range code {
		if (r < 'A' || r > 'Z') && r != '_' && (r < '0' || r > '9') {
			return ""
		}
	}
	return code
}
