package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// What MatrixRTC (Element Call) needs of the homeserver: delayed state
// events (MSC4140), OpenID tokens for the LiveKit JWT service, and the
// advertised LiveKit transports (MSC4143).

// DelayedEventsFeature is the /versions unstable feature of MSC4140.
const DelayedEventsFeature = "org.matrix.msc4140"

// ErrDelayedUnsupported says the homeserver does not do delayed events:
// it does not advertise them, does not know the endpoints, or applied a
// "delayed" event at once (Dendrite v0.13.8 ignores the delay parameter).
var ErrDelayedUnsupported = errors.New("the homeserver does not support delayed events (MSC4140)")

// DelayedAction is what to do with a scheduled delayed event.
type DelayedAction string

// The actions on a delayed event.
const (
	DelayedRestart DelayedAction = "restart" // start its delay again
	DelayedSend    DelayedAction = "send"    // send it now
	DelayedCancel  DelayedAction = "cancel"  // drop it
)

// UnstableFeature reports whether the homeserver's /versions lists the
// unstable feature as enabled.
func (c *Client) UnstableFeature(ctx context.Context, feature string) (bool, error) {
	resp, err := c.cli.Versions(ctx)
	if err != nil {
		return false, fmt.Errorf("reading the homeserver's versions: %w", c.scrub(err))
	}
	return resp.UnstableFeatures[feature], nil
}

// SendStateDelayed schedules a state event to be sent after delay unless
// restarted (MSC4140) and returns its delay ID. It sends nothing and
// returns ErrDelayedUnsupported when the homeserver does not advertise
// delayed events; where it advertises them but answers without a delay
// ID (the event was applied at once), it returns ErrDelayedUnsupported
// too, wrapped. A delay above the server's maximum is retried once with
// the maximum it names.
func (c *Client) SendStateDelayed(ctx context.Context, roomID id.RoomID, t event.Type, stateKey string, content any, delay time.Duration) (string, error) {
	if c.closed.Load() {
		return "", ErrClosed
	}
	ok, err := c.UnstableFeature(ctx, DelayedEventsFeature)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrDelayedUnsupported
	}
	t.Class = event.StateEventType
	for attempt := 0; ; attempt++ {
		resp, err := c.cli.SendStateEvent(ctx, roomID, t, stateKey, content, mautrix.ReqSendEvent{UnstableDelay: delay})
		if err != nil {
			if max, ok := maxDelay(err); ok && attempt == 0 && max > 0 && max < delay {
				delay = max
				continue
			}
			return "", fmt.Errorf("scheduling %s state in %s: %w", t.Type, roomID, c.scrub(err))
		}
		if resp.UnstableDelayID == "" {
			return "", fmt.Errorf("scheduling %s state in %s: applied at once as %s: %w", t.Type, roomID, resp.EventID, ErrDelayedUnsupported)
		}
		return string(resp.UnstableDelayID), nil
	}
}

// maxDelay reads the maximum delay from an M_MAX_DELAY_EXCEEDED answer.
func maxDelay(err error) (time.Duration, bool) {
	var he mautrix.HTTPError
	if !errors.As(err, &he) || he.RespError == nil {
		return 0, false
	}
	if code, _ := he.RespError.ExtraData["org.matrix.msc4140.errcode"].(string); code != "M_MAX_DELAY_EXCEEDED" {
		return 0, false
	}
	ms, _ := he.RespError.ExtraData["org.matrix.msc4140.max_delay"].(float64)
	return time.Duration(ms) * time.Millisecond, ms > 0
}

// UpdateDelayed restarts, sends or cancels a delayed event: first with
// the path form (…/delayed_events/{id}/{action}), then with the older
// body form ({"action": …}) where the server does not know the path. It
// returns ErrDelayedUnsupported, wrapped, when neither is known.
func (c *Client) UpdateDelayed(ctx context.Context, delayID string, action DelayedAction) error {
	if c.closed.Load() {
		return ErrClosed
	}
	base := []any{"unstable", "org.matrix.msc4140", "delayed_events", delayID}
	_, err := c.cli.MakeRequest(ctx, http.MethodPost, c.cli.BuildClientURL(append(base, string(action))...), struct{}{}, nil)
	if err == nil {
		return nil
	}
	if !unrecognized(err) {
		return fmt.Errorf("%s of a delayed event: %w", action, c.scrub(err))
	}
	_, err = c.cli.MakeRequest(ctx, http.MethodPost, c.cli.BuildClientURL(base...), map[string]string{"action": string(action)}, nil)
	if err == nil {
		return nil
	}
	if unrecognized(err) {
		return fmt.Errorf("%s of a delayed event: %w", action, ErrDelayedUnsupported)
	}
	return fmt.Errorf("%s of a delayed event: %w", action, c.scrub(err))
}

// unrecognized says the server does not know the endpoint (404 or 405
// with M_UNRECOGNIZED or no Matrix error at all).
func unrecognized(err error) bool {
	var he mautrix.HTTPError
	if !errors.As(err, &he) || he.Response == nil {
		return false
	}
	if he.RespError != nil && he.RespError.ErrCode == mautrix.MUnrecognized.ErrCode {
		return true
	}
	s := he.Response.StatusCode
	return (s == http.StatusNotFound || s == http.StatusMethodNotAllowed) && (he.RespError == nil || he.RespError.ErrCode == "")
}

// OpenIDToken asks the homeserver for an OpenID token that proves who
// we are to a third party (a LiveKit JWT service). The token is a
// secret: never log it.
func (c *Client) OpenIDToken(ctx context.Context) (*mautrix.RespOpenIDToken, error) {
	var resp mautrix.RespOpenIDToken
	u := c.cli.BuildClientURL("v3", "user", c.sess.UserID, "openid", "request_token")
	if _, err := c.cli.MakeRequest(ctx, http.MethodPost, u, struct{}{}, &resp); err != nil {
		return nil, fmt.Errorf("requesting an OpenID token: %w", c.scrub(err))
	}
	if resp.AccessToken == "" {
		return nil, errors.New("requesting an OpenID token: the homeserver sent none")
	}
	return &resp, nil
}

// RTCTransport is a MatrixRTC transport the homeserver advertises.
// Only "livekit" ones name a service (the JWT service's URL).
type RTCTransport struct {
	Type              string `json:"type"`
	LiveKitServiceURL string `json:"livekit_service_url,omitempty"`
}

// RTCTransports lists the homeserver's MatrixRTC transports: from the
// MSC4143 endpoint (unstable, then stable path), else from the client
// well-known's org.matrix.msc4143.rtc_foci (still widely deployed). An
// empty list with a nil error means none is advertised.
func (c *Client) RTCTransports(ctx context.Context) ([]RTCTransport, error) {
	var errs []error
	for _, path := range [][]any{
		{"unstable", "org.matrix.msc4143", "rtc", "transports"},
		{"v1", "rtc", "transports"},
	} {
		var resp struct {
			Transports []json.RawMessage `json:"rtc_transports"`
		}
		_, err := c.cli.MakeRequest(ctx, http.MethodGet, c.cli.BuildClientURL(path...), nil, &resp)
		if err == nil {
			if ts := parseTransports(resp.Transports); len(ts) > 0 {
				return ts, nil
			}
			continue
		}
		if !unrecognized(err) {
			errs = append(errs, c.scrub(err))
		}
	}
	wk, err := c.ClientWellKnown(ctx)
	if err != nil {
		errs = append(errs, err)
	} else if raw, ok := wk["org.matrix.msc4143.rtc_foci"]; ok {
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) == nil {
			if ts := parseTransports(list); len(ts) > 0 {
				return ts, nil
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("finding the RTC transports: %w", errors.Join(errs...))
	}
	return nil, nil
}

// parseTransports keeps the well-formed transports (a type; LiveKit ones
// with an http(s) service URL).
func parseTransports(raw []json.RawMessage) []RTCTransport {
	var out []RTCTransport
	for _, r := range raw {
		var t RTCTransport
		if json.Unmarshal(r, &t) != nil || t.Type == "" {
			continue
		}
		if t.Type == "livekit" && !httpURL(t.LiveKitServiceURL) {
			continue
		}
		out = append(out, t)
	}
	return out
}

// httpURL says s is an absolute http or https URL with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
