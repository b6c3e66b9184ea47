package teststack

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestDendriteIgnoresEventDelay pins down what Dendrite v0.13.8 does with
// MSC4140 delayed events, which MatrixRTC clients schedule their leave
// with: it does not implement them. A state PUT with
// ?org.matrix.msc4140.delay= is sent AT ONCE (answer: an event_id, no
// delay_id), the delayed_events endpoints answer 404 M_UNRECOGNIZED, and
// /versions does not list org.matrix.msc4140. If this test fails, Dendrite
// learnt delayed events: update doc.go and the MatrixRTC fallback notes.
func TestDendriteIgnoresEventDelay(t *testing.T) {
	st := shared.Get(t)
	ctx := testCtx(t)
	u := st.MustRegister(t, "delay")
	roomID, err := u.CreateRoom(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	const evType = "org.matrix.msc3401.call.member"
	stateKey := "_" + u.UserID + "_" + u.DeviceID
	path := "/_matrix/client/v3/rooms/" + url.PathEscape(roomID) + "/state/" + evType + "/" + url.PathEscape(stateKey)
	var resp struct {
		EventID string `json:"event_id"`
		DelayID string `json:"delay_id"`
	}
	sent := time.Now()
	if err := u.Do(ctx, http.MethodPut, path+"?org.matrix.msc4140.delay=60000", map[string]any{"marker": "delayed"}, &resp); err != nil {
		t.Fatal(err)
	}
	t.Logf("PUT with a 60 s delay answered %+v", resp)
	if resp.DelayID != "" || resp.EventID == "" {
		t.Fatalf("Dendrite now answers a delayed send with %+v: it may support MSC4140; update the docs", resp)
	}
	var content map[string]any
	if err := u.Do(ctx, http.MethodGet, path, nil, &content); err != nil {
		t.Fatalf("the state is not there at once: %v", err)
	}
	if content["marker"] != "delayed" {
		t.Fatalf("state content %v", content)
	}
	t.Logf("the 'delayed' state was readable %v after the PUT", time.Since(sent).Round(time.Millisecond))

	// The same for a message event.
	resp.EventID, resp.DelayID = "", ""
	sendPath := "/_matrix/client/v3/rooms/" + url.PathEscape(roomID) + "/send/m.room.message/d" + randomSecret(4) + "?org.matrix.msc4140.delay=60000"
	if err := u.Do(ctx, http.MethodPut, sendPath, map[string]any{"msgtype": "m.text", "body": "delayed"}, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.DelayID != "" || resp.EventID == "" {
		t.Fatalf("a delayed message send answered %+v", resp)
	}
	if _, err := u.WaitForEvent(ctx, roomID, resp.EventID); err != nil {
		t.Fatalf("the 'delayed' message is not in the room at once: %v", err)
	}

	const delayed = "/_matrix/client/unstable/org.matrix.msc4140/delayed_events"
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, delayed},
		{http.MethodPost, delayed + "/x/restart"},
		{http.MethodPost, delayed + "/x"}, // the older form, body {"action": …}
	} {
		err := u.Do(ctx, c.method, c.path, map[string]any{"action": "restart"}, nil)
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Status != 404 || apiErr.ErrCode != "M_UNRECOGNIZED" {
			t.Errorf("%s %s: %v, want 404 M_UNRECOGNIZED", c.method, c.path, err)
		}
	}
	var versions struct {
		Unstable map[string]bool `json:"unstable_features"`
	}
	if err := u.Do(ctx, http.MethodGet, "/_matrix/client/versions", nil, &versions); err != nil {
		t.Fatal(err)
	}
	if versions.Unstable["org.matrix.msc4140"] {
		t.Errorf("/versions advertises org.matrix.msc4140")
	}
}

// TestDendriteOpenIDToken: Dendrite issues OpenID tokens and answers the
// federation userinfo lookup for them on its client port (so through the
// front too). Its expires_in is not a duration but an absolute Unix time in
// seconds (a Dendrite bug); the JWT service ignores it.
func TestDendriteOpenIDToken(t *testing.T) {
	st := shared.Get(t)
	ctx := testCtx(t)
	u := st.MustRegister(t, "openid")
	tok, err := u.OpenIDToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("openid token: type %q, server %q, expires_in %d (now %d)", tok.TokenType, tok.MatrixServerName, tok.ExpiresIn, time.Now().Unix())
	if tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.MatrixServerName != ServerName {
		t.Fatalf("openid token %+v", tok)
	}
	for _, base := range []string{st.BaseURL, st.HomeserverURL()} {
		var info struct {
			Sub string `json:"sub"`
		}
		if err := doJSON(ctx, http.MethodGet, base+"/_matrix/federation/v1/openid/userinfo?access_token="+url.QueryEscape(tok.AccessToken), "", nil, &info); err != nil {
			t.Fatalf("userinfo at %s: %v", base, err)
		}
		if info.Sub != u.UserID {
			t.Errorf("userinfo at %s: sub %q, want %q", base, info.Sub, u.UserID)
		}
	}
	err = doJSON(ctx, http.MethodGet, st.BaseURL+"/_matrix/federation/v1/openid/userinfo?access_token=forged", "", nil, nil)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 401 {
		t.Errorf("userinfo with a forged token: %v, want 401", err)
	}
}
