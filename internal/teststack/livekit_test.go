package teststack

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/termatrix/termatrix/internal/sfujwt"
)

// TestLiveKitStack starts a stack with LiveKit and checks the SFU, the JWT
// service and the transport advertisement in subtests.
func TestLiveKitStack(t *testing.T) {
	st := ForTest(t, Options{LiveKit: true})
	t.Logf("livekit-server answered in %v", st.LiveKitStartup.Round(time.Millisecond))
	if !strings.HasPrefix(st.LiveKitURL, "ws://127.0.0.1:") || st.LiveKitKey == "" || st.LiveKitSecret == "" ||
		!strings.HasPrefix(st.RTCServiceURL, "http://127.0.0.1:") {
		t.Fatalf("stack fields: url %q key %q service %q", st.LiveKitURL, st.LiveKitKey, st.RTCServiceURL)
	}
	t.Run("TwoParticipants", func(t *testing.T) { testTwoParticipants(t, st) })
	t.Run("SFUGetRefusals", func(t *testing.T) { testSFUGetRefusals(t, st) })
	t.Run("RTCTransports", func(t *testing.T) { testRTCTransports(t, st) })
}

// testTwoParticipants gets LiveKit tokens for two users from the JWT
// service with real OpenID tokens, checks the tokens' claims, and connects
// both to the SFU: each sees the other, and audio one publishes reaches
// the other.
func testTwoParticipants(t *testing.T, st *Stack) {
	lksdk.SetLogger(protologger.GetDiscardLogger()) // the SDK logs every state change
	ctx := testCtx(t)
	setup := time.Now()
	alice := st.MustRegister(t, "alice")
	bob := st.MustRegister(t, "bob")
	roomID, err := alice.CreateRoom(ctx, map[string]any{"preset": "public_chat"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx, roomID); err != nil {
		t.Fatal(err)
	}

	tokens := map[string]string{}
	for _, u := range []User{alice, bob} {
		resp, err := st.SFUGet(ctx, u, roomID)
		if err != nil {
			t.Fatal(err)
		}
		if resp.URL != st.LiveKitURL {
			t.Errorf("/sfu/get url = %q, want %q", resp.URL, st.LiveKitURL)
		}
		v, err := auth.ParseAPIToken(resp.JWT)
		if err != nil {
			t.Fatal(err)
		}
		claims, grants, err := v.Verify(st.LiveKitSecret)
		if err != nil {
			t.Fatalf("the JWT does not verify with the stack's secret: %v", err)
		}
		wantID := u.UserID + ":" + u.DeviceID
		if v.APIKey() != st.LiveKitKey || grants.Identity != wantID {
			t.Errorf("JWT key %q identity %q, want %q %q", v.APIKey(), grants.Identity, st.LiveKitKey, wantID)
		}
		g := grants.Video
		if g == nil || !g.RoomJoin || g.Room != sfujwt.RoomAlias(roomID, sfujwt.CallSlot) || !g.GetCanPublish() ||
			!g.GetCanSubscribe() || !g.GetCanPublishData() || !g.GetCanUpdateOwnMetadata() {
			t.Errorf("video grant %+v, want join/publish/subscribe/data/metadata in %q", g, sfujwt.RoomAlias(roomID, sfujwt.CallSlot))
		}
		if valid := claims.ExpiresAt.Sub(claims.NotBefore.Time); valid != time.Hour {
			t.Errorf("token valid for %v, want 1h", valid)
		}
		tokens[u.UserID] = resp.JWT
	}

	t.Logf("two users, a room and two tokens from /sfu/get in %v", time.Since(setup).Round(time.Millisecond))

	// Alice connects and publishes Opus; Bob connects and must see her and
	// get her track.
	start := time.Now()
	aliceRoom, err := lksdk.ConnectToRoomWithToken(st.LiveKitURL, tokens[alice.UserID], lksdk.NewRoomCallback())
	if err != nil {
		t.Fatalf("alice connecting to the SFU: %v", err)
	}
	defer aliceRoom.Disconnect()
	t.Logf("alice connected to the SFU in %v", time.Since(start).Round(time.Millisecond))
	track, err := lksdk.NewLocalSampleTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2})
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if _, err := aliceRoom.LocalParticipant.PublishTrack(track, &lksdk.TrackPublicationOptions{Name: "audio"}); err != nil {
		t.Fatal(err)
	}
	t.Logf("alice published her audio track in %v", time.Since(start).Round(time.Millisecond))
	stopAudio := make(chan struct{})
	var audioDone sync.WaitGroup
	audioDone.Add(1)
	go func() { // Opus silence frames, 20 ms apart
		defer audioDone.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopAudio:
				return
			case <-tick.C:
				_ = track.WriteSample(media.Sample{Data: []byte{0xf8, 0xff, 0xfe}, Duration: 20 * time.Millisecond}, nil)
			}
		}
	}()
	defer func() { close(stopAudio); audioDone.Wait() }()

	gotTrack := make(chan string, 1)
	cb := lksdk.NewRoomCallback()
	cb.OnTrackSubscribed = func(tr *webrtc.TrackRemote, _ *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
		select {
		case gotTrack <- rp.Identity() + " " + tr.Codec().MimeType:
		default:
		}
	}
	start = time.Now()
	bobRoom, err := lksdk.ConnectToRoomWithToken(st.LiveKitURL, tokens[bob.UserID], cb)
	if err != nil {
		t.Fatalf("bob connecting to the SFU: %v", err)
	}
	defer bobRoom.Disconnect()
	select {
	case got := <-gotTrack:
		if want := alice.UserID + ":" + alice.DeviceID + " " + webrtc.MimeTypeOpus; got != want {
			t.Errorf("bob subscribed to %q, want %q", got, want)
		}
		t.Logf("bob connected and got alice's audio track in %v", time.Since(start).Round(time.Millisecond))
	case <-ctx.Done():
		t.Fatalf("bob never got alice's audio track\n%s", st.LogTail(20))
	}
	// LiveKit batches the participant updates of non-publishers (bob
	// publishes nothing; room.go batchedUpdates), so alice learns of him a
	// moment later.
	start = time.Now()
	waitParticipant(ctx, t, bobRoom, alice.UserID+":"+alice.DeviceID)
	waitParticipant(ctx, t, aliceRoom, bob.UserID+":"+bob.DeviceID)
	t.Logf("alice saw bob %v later", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	bobRoom.Disconnect()
	t.Logf("bob's Disconnect took %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	aliceRoom.Disconnect()
	t.Logf("alice's Disconnect took %v", time.Since(start).Round(time.Millisecond))
}

// waitParticipant waits until room has a remote participant identity.
func waitParticipant(ctx context.Context, t *testing.T, room *lksdk.Room, identity string) {
	t.Helper()
	for {
		for _, p := range room.GetRemoteParticipants() {
			if p.Identity() == identity {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never appeared among the remote participants", identity)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// testSFUGetRefusals: the JWT service refuses forged OpenID tokens, tokens
// of another server and malformed requests with Matrix-style errors, and
// answers CORS preflights.
func testSFUGetRefusals(t *testing.T, st *Stack) {
	ctx := testCtx(t)
	u := st.MustRegister(t, "carol")
	tok, err := u.OpenIDToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tok.MatrixServerName != ServerName || tok.AccessToken == "" {
		t.Fatalf("openid token %+v", tok)
	}
	forged := tok
	forged.AccessToken = "forged" + tok.AccessToken
	other := tok
	other.MatrixServerName = "evil.example"
	cases := []struct {
		name   string
		req    sfujwt.SFURequest
		status int
	}{
		{"forged token", sfujwt.SFURequest{Room: "!r:localhost", OpenIDToken: forged, DeviceID: "D"}, 401},
		{"other server", sfujwt.SFURequest{Room: "!r:localhost", OpenIDToken: other, DeviceID: "D"}, 401},
		{"no device", sfujwt.SFURequest{Room: "!r:localhost", OpenIDToken: tok}, 400},
		{"alias not room ID", sfujwt.SFURequest{Room: "#r:localhost", OpenIDToken: tok, DeviceID: "D"}, 400},
	}
	for _, c := range cases {
		err := doJSON(ctx, http.MethodPost, st.RTCServiceURL+"/sfu/get", "", c.req, nil)
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Status != c.status || apiErr.ErrCode == "" {
			t.Errorf("%s: got %v, want HTTP %d with an errcode", c.name, err, c.status)
		}
	}
	checkPreflight(ctx, t, st.RTCServiceURL+"/sfu/get", "POST", "content-type")
}

// checkPreflight sends a browser's CORS preflight for method with header
// to u and checks that it is allowed from any origin.
func checkPreflight(ctx context.Context, t *testing.T, u, method, header string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodOptions, u, nil)
	req.Header.Set("Origin", "http://127.0.0.1:1")
	req.Header.Set("Access-Control-Request-Method", method)
	req.Header.Set("Access-Control-Request-Headers", header)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if resp.StatusCode/100 != 2 || h.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), method) ||
		!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), header) {
		t.Errorf("preflight %s %s: HTTP %d, headers %v", method, u, resp.StatusCode, h)
	}
}

// testRTCTransports: the front advertises the JWT service at the
// rtc/transports endpoints (with a valid access token only) and in the
// well-known document; switched off, the endpoints answer 404
// M_UNRECOGNIZED and the well-known document still has the transport.
func testRTCTransports(t *testing.T, st *Stack) {
	ctx := testCtx(t)
	u := st.MustRegister(t, "dave")
	want := st.RTCServiceURL
	type transports struct {
		RTCTransports []struct {
			Type string `json:"type"`
			URL  string `json:"livekit_service_url"`
		} `json:"rtc_transports"`
	}
	for _, path := range []string{rtcTransportsUnstablePath, rtcTransportsStablePath} {
		var got transports
		if err := u.Do(ctx, http.MethodGet, path, nil, &got); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(got.RTCTransports) != 1 || got.RTCTransports[0].Type != "livekit" || got.RTCTransports[0].URL != want {
			t.Errorf("%s: %+v, want one livekit transport at %s", path, got, want)
		}
		for token, code := range map[string]string{"": "M_MISSING_TOKEN", "forged": "M_UNKNOWN_TOKEN"} {
			err := doJSON(ctx, http.MethodGet, st.BaseURL+path, token, nil, nil)
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Status != 401 || apiErr.ErrCode != code {
				t.Errorf("%s with token %q: %v, want 401 %s", path, token, err, code)
			}
		}
	}
	checkPreflight(ctx, t, st.BaseURL+rtcTransportsUnstablePath, "GET", "authorization")
	checkWellKnownFoci(ctx, t, st)

	st.SetRTCTransportsEndpoint(false)
	defer st.SetRTCTransportsEndpoint(true)
	err := u.Do(ctx, http.MethodGet, rtcTransportsUnstablePath, nil, nil)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 404 || apiErr.ErrCode != "M_UNRECOGNIZED" {
		t.Errorf("switched off: %v, want 404 M_UNRECOGNIZED", err)
	}
	checkWellKnownFoci(ctx, t, st)
}

// TestNoRTCTransportsEndpointOption: a stack started with
// NoRTCTransportsEndpoint has no transports endpoint but advertises the
// transport in the well-known document.
func TestNoRTCTransportsEndpointOption(t *testing.T) {
	st := ForTest(t, Options{LiveKit: true, NoRTCTransportsEndpoint: true})
	ctx := testCtx(t)
	u := st.MustRegister(t, "erin")
	for _, path := range []string{rtcTransportsUnstablePath, rtcTransportsStablePath} {
		err := u.Do(ctx, http.MethodGet, path, nil, nil)
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Status != 404 || apiErr.ErrCode != "M_UNRECOGNIZED" {
			t.Errorf("%s: %v, want 404 M_UNRECOGNIZED", path, err)
		}
	}
	checkWellKnownFoci(ctx, t, st)
}

func checkWellKnownFoci(ctx context.Context, t *testing.T, st *Stack) {
	t.Helper()
	var wk struct {
		Foci []struct {
			Type string `json:"type"`
			URL  string `json:"livekit_service_url"`
		} `json:"org.matrix.msc4143.rtc_foci"`
	}
	if code := getJSON(ctx, t, st.BaseURL+"/.well-known/matrix/client", &wk); code != 200 {
		t.Fatalf("well-known: HTTP %d", code)
	}
	if len(wk.Foci) != 1 || wk.Foci[0].Type != "livekit" || wk.Foci[0].URL != st.RTCServiceURL {
		t.Errorf("well-known rtc_foci %+v, want the livekit service %s", wk.Foci, st.RTCServiceURL)
	}
}
