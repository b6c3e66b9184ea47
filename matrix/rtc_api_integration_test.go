package matrix

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// What Dendrite v0.13.8 does with MSC4140 (measured): /versions does not
// list org.matrix.msc4140, a PUT with ?org.matrix.msc4140.delay applies
// the state at once (event_id, no delay_id), and the delayed_events
// endpoints answer 404 M_UNRECOGNIZED. SendStateDelayed must then send
// nothing, so a scheduled {} never takes a member out at once.
func TestDelayedStateOnDendrite(t *testing.T) {
	st := stack.Get(t)
	ctx := ctxT(t)
	u := st.MustRegister(t, "delayed")
	roomID, err := u.CreateRoom(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := loginLive(t, st, u)
	l.waitRoom(t, id.RoomID(roomID), "the room", func(Room) bool { return true })
	callMember := event.Type{Type: "org.matrix.msc3401.call.member", Class: event.StateEventType}
	if _, err := l.SendState(ctx, id.RoomID(roomID), callMember, "_k", map[string]any{"joined": true}); err != nil {
		t.Fatal(err)
	}
	ok, err := l.UnstableFeature(ctx, DelayedEventsFeature)
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.SendStateDelayed(ctx, id.RoomID(roomID), callMember, "_k", map[string]any{}, 10*time.Second)
	t.Logf("Dendrite advertises %s: %v; SendStateDelayed: %v", DelayedEventsFeature, ok, err)
	if !ok && !errors.Is(err, ErrDelayedUnsupported) {
		t.Fatalf("not advertised, yet SendStateDelayed said %v", err)
	}
	var now map[string]any
	if err := u.Do(ctx, http.MethodGet, "/_matrix/client/v3/rooms/"+roomID+"/state/"+callMember.Type+"/_k", nil, &now); err != nil {
		t.Fatal(err)
	}
	if errors.Is(err, ErrDelayedUnsupported) && now["joined"] != true {
		t.Fatalf("the unsupported delayed {} was applied: state is %v", now)
	}
	err = l.UpdateDelayed(ctx, "nope", DelayedRestart)
	t.Logf("UpdateDelayed(restart): %v", err)
	if !ok && !errors.Is(err, ErrDelayedUnsupported) {
		t.Fatalf("restart on a server without delayed events: %v", err)
	}
}

func TestRTCTransportsAndOpenID(t *testing.T) {
	st := stack.Get(t)
	ctx := ctxT(t)
	l := loginLive(t, st, st.MustRegister(t, "rtcfoci"))
	ts, err := l.RTCTransports(ctx)
	if err != nil || len(ts) != 0 {
		t.Fatalf("no transport advertised, yet %v %v", ts, err)
	}
	if err := st.SetClientWellKnown(map[string]any{
		"m.homeserver": map[string]any{"base_url": st.BaseURL},
		"org.matrix.msc4143.rtc_foci": []any{
			map[string]any{"type": "livekit", "livekit_service_url": "javascript:alert(1)"},
			map[string]any{"type": "livekit", "livekit_service_url": "https://rtc.example.org/jwt"},
		},
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.SetClientWellKnown(nil) })
	ts, err = l.RTCTransports(ctx)
	if err != nil || len(ts) != 1 || ts[0].LiveKitServiceURL != "https://rtc.example.org/jwt" {
		t.Fatalf("transports from the well-known: %+v %v", ts, err)
	}
	tok, err := l.OpenIDToken(ctx)
	if err != nil || tok.AccessToken == "" || tok.MatrixServerName == "" {
		t.Fatalf("OpenID token: %v", err)
	}
	var who struct {
		Sub string `json:"sub"`
	}
	u := st.MustRegister(t, "openid-check")
	if err := u.Do(ctx, http.MethodGet, "/_matrix/federation/v1/openid/userinfo?access_token="+tok.AccessToken, nil, &who); err != nil || who.Sub != string(l.UserID()) {
		t.Fatalf("the homeserver vouches for %q (%v)", who.Sub, err)
	}
}

// Call keys travel Olm-encrypted: the receiver gets them with the
// sending device from the Olm session; the same type in clear is dropped.
func TestCallKeysToDevice(t *testing.T) {
	st := stack.Get(t)
	ctx := ctxT(t)
	au, bu := st.MustRegister(t, "tdA"), st.MustRegister(t, "tdB")
	a, b := loginLive(t, st, au), loginLive(t, st, bu)
	keys := event.Type{Type: CallKeysToDeviceType, Class: event.ToDeviceEventType}
	// The known device gets it; the unknown one is reported.
	if err := a.SendToDeviceEncrypted(ctx, keys, map[id.UserID][]id.DeviceID{b.UserID(): {b.DeviceID(), "NOSUCHDEVICE"}}, map[string]any{"n": 1}); err == nil {
		t.Fatal("an unknown device was not reported")
	}
	clear := map[string]any{"messages": map[string]any{bu.UserID: map[string]any{string(b.DeviceID()): map[string]any{"n": 2}}}}
	if err := au.Do(ctx, http.MethodPut, "/_matrix/client/v3/sendToDevice/"+CallKeysToDeviceType+"/c1", clear, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.SendToDeviceEncrypted(ctx, keys, map[id.UserID][]id.DeviceID{b.UserID(): {b.DeviceID()}}, map[string]any{"n": 3}); err != nil {
		t.Fatal(err)
	}
	got := b.rec.waitFor(t, waitTimeout, "the encrypted key", func(u Update) bool {
		k, ok := u.(ToDeviceReceived)
		return ok && string(k.Content) == `{"n":3}`
	}).(ToDeviceReceived)
	if got.Sender != a.UserID() || got.SenderDevice != a.DeviceID() || !got.Encrypted {
		t.Fatalf("received %+v", got)
	}
	// Sent in order: the cleartext one came before, and was dropped.
	for _, u := range b.rec.all() {
		if k, ok := u.(ToDeviceReceived); ok && string(k.Content) == `{"n":2}` {
			t.Fatalf("published %s", k.Content)
		}
	}
}
