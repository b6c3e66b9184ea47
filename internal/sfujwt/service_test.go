package sfujwt

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRoomAlias checks the alias against values computed independently
// (Python: base64 of hashlib.sha256 of json.dumps([room, slot],
// separators=(",", ":"), ensure_ascii=False), "=" stripped).
func TestRoomAlias(t *testing.T) {
	cases := []struct{ room, want string }{
		{"!room:server", "iSCn8AU4Lr4t0pr9RbWyhpTL1+a7XVE0GXU3m5aYEcI"},
		// & < > stay as they are, as JSON.stringify writes them.
		{"!a&b<c>:example.org", "w6D869QW0SyzQRsr6RZ+RLXCM958pawkZJ8pmf/RY94"},
	}
	for _, c := range cases {
		if got := RoomAlias(c.room, CallSlot); got != c.want {
			t.Errorf("RoomAlias(%q) = %q, want %q", c.room, got, c.want)
		}
	}
	if RoomAlias("!room:server", "m.call#OTHER") == RoomAlias("!room:server", CallSlot) {
		t.Error("the slot does not change the alias")
	}
	if a := RoomAlias("!room:server", CallSlot); strings.HasSuffix(a, "=") || len(a) != 43 {
		t.Errorf("alias %q is not unpadded base64 of 32 bytes", a)
	}
}

// TestSFUGetRejectsMalformed: requests that are not JSON, or lack the room,
// device or token, get 400 with an errcode before any homeserver is asked;
// other methods get 405.
func TestSFUGetRejectsMalformed(t *testing.T) {
	svc := New(Config{HomeserverURL: "http://127.0.0.1:1", ServerName: "localhost", APIKey: "k", APISecret: "s"})
	tok := `"openid_token":{"access_token":"t","token_type":"Bearer","matrix_server_name":"localhost","expires_in":3600}`
	cases := []struct {
		method, body string
		status       int
	}{
		{http.MethodPost, `not json`, 400},
		{http.MethodPost, `{` + tok + `,"device_id":"D"}`, 400},
		{http.MethodPost, `{"room":"!r:localhost",` + tok + `}`, 400},
		{http.MethodPost, `{"room":"!r:localhost","device_id":"D"}`, 400},
		{http.MethodGet, ``, 405},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		svc.ServeHTTP(rec, httptest.NewRequest(c.method, "/sfu/get", bytes.NewBufferString(c.body)))
		var e struct {
			ErrCode string `json:"errcode"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		if rec.Code != c.status || e.ErrCode == "" {
			t.Errorf("%s %s: HTTP %d %q, want %d with an errcode", c.method, c.body, rec.Code, rec.Body.String(), c.status)
		}
		if rec.Header().Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s %s: no CORS header", c.method, c.body)
		}
	}
}
