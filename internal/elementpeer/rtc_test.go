package elementpeer_test

import (
	"context"
	"math"
	"net/url"
	"testing"
	"time"

	"github.com/termatrix/termatrix/internal/elementpeer"
	"github.com/termatrix/termatrix/internal/teststack"
)

// rtcCall is what the subtests of TestElementPeersRTCCall share.
type rtcCall struct {
	st         *teststack.Stack
	ua, ub     teststack.User
	alice, bob *elementpeer.Peer
}

// TestElementPeersRTCCall runs two Element X–shaped peers (matrix-js-sdk's
// MatrixRTCSession and livekit-client in Chromium, with Rust crypto), alice
// and bob, through a MatrixRTC call on the stack's LiveKit SFU: alice joins
// with a ring, bob is rung, joins, both see two members, hear each other's
// tone (and, encrypted, got each other's media key over Olm-encrypted
// to-device and decrypt every frame), and when bob leaves alice sees one
// member. Once in an encrypted DM and once in an unencrypted room; then a
// ring bob declines (MSC4310) reaches alice as a decline. The join
// time (join → first decoded remote audio) is the js-sdk ↔ js-sdk baseline
// of the MatrixRTC benchmark.
func TestElementPeersRTCCall(t *testing.T) {
	st := teststack.ForTest(t, teststack.Options{LiveKit: true})
	c := &rtcCall{st: st, ua: st.MustRegister(t, "rtca"), ub: st.MustRegister(t, "rtcb")}
	ps := startPeers(t, peerSpec{rtcOptions(st, c.ua), toneA}, peerSpec{rtcOptions(st, c.ub), toneB})
	c.alice, c.bob = ps[0], ps[1]

	t.Run("encrypted DM", func(t *testing.T) {
		ctx := subCtx(t, 60*time.Second)
		roomID, err := c.alice.CreateEncryptedDM(ctx, c.ub.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.bob.JoinRoom(ctx, roomID); err != nil {
			t.Fatal(err)
		}
		c.call(t, roomID, true)
	})
	t.Run("unencrypted room", func(t *testing.T) {
		c.call(t, c.sharedRoom(subCtx(t, 30*time.Second), t), false)
	})
	t.Run("ring declined", func(t *testing.T) {
		ctx := subCtx(t, 60*time.Second)
		t.Cleanup(c.leaveAll)
		roomID := c.sharedRoom(ctx, t)
		if _, err := c.alice.RTCJoin(ctx, elementpeer.RTCJoinOptions{RoomID: roomID, Ring: true}); err != nil {
			t.Fatal(err)
		}
		ring, err := c.bob.WaitRTCRing(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.bob.RTCDecline(ctx, ring.RoomID, ring.EventID); err != nil {
			t.Fatal(err)
		}
		d, err := c.alice.WaitRTCDecline(ctx, ring.EventID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Sender != c.ub.UserID || d.RoomID != roomID {
			t.Errorf("alice saw decline %+v, want bob's in %s", d, roomID)
		}
		if err := c.alice.RTCLeave(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// leaveAll leaves whatever call a failed step left the peers in, so the
// next step starts idle; the errors of peers in no call are expected.
func (c *rtcCall) leaveAll() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_ = c.alice.RTCLeave(ctx)
	_ = c.bob.RTCLeave(ctx)
}

// sharedRoom creates an unencrypted room of alice's that bob joins, where
// every member may send call membership (as Element Web creates rooms).
func (c *rtcCall) sharedRoom(ctx context.Context, t *testing.T) string {
	t.Helper()
	roomID, err := c.ua.CreateRoom(ctx, map[string]any{
		"preset": "private_chat", "invite": []string{c.ub.UserID},
		"power_level_content_override": map[string]any{"events": map[string]any{"org.matrix.msc3401.call.member": 0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.bob.JoinRoom(ctx, roomID); err != nil {
		t.Fatal(err)
	}
	return roomID
}

// rtcOptions are the options of a MatrixRTC peer logged in as u: Rust
// crypto on (media keys travel Olm-encrypted), no forced TURN (LiveKit
// brings its own ICE).
func rtcOptions(st *teststack.Stack, u teststack.User) elementpeer.Options {
	o := cryptoOptions(st, u)
	o.ForceTURN = false
	return o
}

// checkMembership reads u's call.member state event as the server holds it
// and checks Element Call's compatibility-mode wire format (spec 2.1).
func (c *rtcCall) checkMembership(ctx context.Context, t *testing.T, roomID string, u teststack.User, j elementpeer.RTCJoined) {
	t.Helper()
	stateKey := "_" + u.UserID + "_" + u.DeviceID + "_m.call"
	var m struct {
		Application   string              `json:"application"`
		CallID        *string             `json:"call_id"`
		Scope         string              `json:"scope"`
		DeviceID      string              `json:"device_id"`
		MembershipID  string              `json:"membershipID"`
		Expires       int64               `json:"expires"`
		Intent        string              `json:"m.call.intent"`
		FocusActive   map[string]string   `json:"focus_active"`
		FociPreferred []map[string]string `json:"foci_preferred"`
	}
	path := "/_matrix/client/v3/rooms/" + url.PathEscape(roomID) + "/state/org.matrix.msc3401.call.member/" + url.PathEscape(stateKey)
	if err := c.ub.Do(ctx, "GET", path, nil, &m); err != nil {
		t.Fatalf("reading %s's membership: %v", u.UserID, err)
	}
	t.Logf("%s's membership %s: %+v", u.UserID, stateKey, m)
	if m.Application != "m.call" || m.CallID == nil || *m.CallID != "" || m.Scope != "m.room" || m.DeviceID != u.DeviceID ||
		m.MembershipID != j.Identity || m.Expires <= 0 || m.Intent != "audio" {
		t.Errorf("membership %+v is not Element Call's compatibility-mode content", m)
	}
	if m.FocusActive["type"] != "livekit" || m.FocusActive["focus_selection"] != "multi_sfu" {
		t.Errorf("focus_active %v, want livekit multi_sfu", m.FocusActive)
	}
	if len(m.FociPreferred) == 0 || m.FociPreferred[0]["type"] != "livekit" ||
		m.FociPreferred[0]["livekit_service_url"] != j.Service || m.FociPreferred[0]["livekit_alias"] != roomID {
		t.Errorf("foci_preferred %v, want our transport with livekit_alias %s first", m.FociPreferred, roomID)
	}
}

// call runs one ring, join, hear, leave round in roomID.
func (c *rtcCall) call(t *testing.T, roomID string, encrypted bool) {
	ctx := subCtx(t, 120*time.Second)
	t.Cleanup(c.leaveAll)
	ja, err := c.alice.RTCJoin(ctx, elementpeer.RTCJoinOptions{RoomID: roomID, Intent: "audio", Ring: true, Encrypted: encrypted})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("alice joined through %s (%s), SFU %s, as %s", ja.Service, ja.TransportSource, ja.LiveKitURL, ja.Identity)
	if ja.Service != c.st.RTCServiceURL || ja.TransportSource != "transports" {
		t.Errorf("alice's transport %s from %q, want the stack's %s from the MSC4143 endpoint", ja.Service, ja.TransportSource, c.st.RTCServiceURL)
	}
	ring, err := c.bob.WaitRTCRing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ring.RoomID != roomID || ring.Sender != c.ua.UserID || ring.Type != "org.matrix.msc4075.rtc.notification" ||
		ring.Intent != "audio" || ring.Encrypted != encrypted {
		t.Errorf("bob's ring %+v, want an audio rtc.notification from %s in %s (encrypted %v)", ring, c.ua.UserID, roomID, encrypted)
	}
	jb, err := c.bob.RTCJoin(ctx, elementpeer.RTCJoinOptions{RoomID: roomID, Intent: "audio", Encrypted: encrypted})
	if err != nil {
		t.Fatal(err)
	}
	peers := []struct {
		name      string
		p         *elementpeer.Peer
		joined    elementpeer.RTCJoined
		other     string // the other's LiveKit identity
		otherTone float64
	}{
		{"alice", c.alice, ja, jb.Identity, toneB},
		{"bob", c.bob, jb, ja.Identity, toneA},
	}
	for _, x := range peers {
		s, err := x.p.WaitRTCMembers(ctx, roomID, 2)
		if err != nil {
			t.Fatalf("%s: %v", x.name, err)
		}
		t.Logf("%s sees members %+v", x.name, s.Members)
	}
	c.checkMembership(ctx, t, roomID, c.ua, ja)
	for _, x := range peers {
		e, err := x.p.WaitRTCAudio(ctx, x.joined, x.other)
		if err != nil {
			t.Fatalf("%s hearing %s: %v", x.name, x.other, err)
		}
		if x.name == "bob" {
			t.Logf("FIGURE js-sdk ↔ js-sdk MatrixRTC join time (bob's join → first decoded audio from alice, encrypted %v): %d ms", encrypted, e.SinceJoinMs)
			for _, k := range x.p.Events() {
				if k.Event == elementpeer.EventRTCKey && k.Identity == x.other && k.T >= x.joined.JoinedAt {
					t.Logf("FIGURE bob's join → alice's media key applied: %d ms", k.T-x.joined.JoinedAt)
					break
				}
			}
		}
	}
	for _, x := range peers {
		pk, err := x.p.RTCPeakFrequency(ctx, x.other, 800*time.Millisecond)
		if err != nil {
			t.Fatalf("%s: %v", x.name, err)
		}
		if math.Abs(pk.Hz-x.otherTone) > 15 || pk.Share < 0.5 {
			t.Errorf("%s hears %s at %.0f Hz (share %.2f), want the %.0f Hz tone", x.name, x.other, pk.Hz, pk.Share, x.otherTone)
		}
		s, err := x.p.RTCState(ctx, roomID)
		if err != nil {
			t.Fatal(err)
		}
		part, ok := s.Participant(x.other)
		if !ok || !part.AudioTrack || part.DecodedEnergy <= 0 {
			t.Errorf("%s's view of %s: %+v, want decoded audio", x.name, x.other, part)
		}
		if part.Encrypted != encrypted {
			t.Errorf("%s's view of %s: encrypted %v, want %v", x.name, x.other, part.Encrypted, encrypted)
		}
		if err := x.p.DecryptionSteady(ctx, roomID, x.other, time.Second); err != nil {
			t.Errorf("%s: %v", x.name, err)
		}
		if encrypted {
			if s.KeysReceived[x.other] == 0 || s.KeysReceived[x.joined.Identity] == 0 {
				t.Errorf("%s's media keys %v, want its own and %s's", x.name, s.KeysReceived, x.other)
			}
			if s.ToDeviceKeys.Encrypted == 0 || s.ToDeviceKeys.Plaintext != 0 {
				t.Errorf("%s got key to-device messages %+v, want Olm-encrypted ones only", x.name, s.ToDeviceKeys)
			}
		} else if len(s.KeysReceived) != 0 || s.ToDeviceKeys.Encrypted+s.ToDeviceKeys.Plaintext != 0 {
			t.Errorf("%s got media keys %v (to-device %+v) in an unencrypted call", x.name, s.KeysReceived, s.ToDeviceKeys)
		}
		t.Logf("%s: connections %+v, %s: %+v, keys %v, to-device %+v", x.name, s.Connections, x.other, part, s.KeysReceived, s.ToDeviceKeys)
	}
	if err := c.bob.RTCLeave(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.alice.WaitRTCMembers(ctx, roomID, 1); err != nil {
		t.Fatalf("alice after bob left: %v", err)
	}
	if err := c.alice.RTCLeave(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.bob.WaitRTCMembers(ctx, roomID, 0); err != nil {
		t.Fatalf("bob after alice left: %v", err)
	}
}
