package calls

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls/rtc"
	"github.com/termatrix/termatrix/config"
)

// fakeEC records what the Controller asks of the Element Call engine; the
// real one (rtc.Manager) is tested in its own package.
type fakeEC struct {
	mu        sync.Mutex
	available bool
	reason    string
	calls     []string
	active    *rtc.CallInfo
}

func (e *fakeEC) record(s string) error {
	e.mu.Lock()
	e.calls = append(e.calls, s)
	e.mu.Unlock()
	return nil
}
func (e *fakeEC) Available(context.Context, id.RoomID) (bool, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.available, e.reason
}
func (e *fakeEC) Join(r id.RoomID, video, ring bool) error {
	return e.record(fmt.Sprintf("join %s video=%v ring=%v", r, video, ring))
}
func (e *fakeEC) Leave(r id.RoomID) error { return e.record("leave " + string(r)) }
func (e *fakeEC) Decline(r id.RoomID, n id.EventID) error {
	return e.record("decline " + string(r) + " " + string(n))
}
func (e *fakeEC) ToggleMute() error { return e.record("mute") }
func (e *fakeEC) Active() (rtc.CallInfo, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.active == nil {
		return rtc.CallInfo{}, false
	}
	return *e.active, true
}
func (e *fakeEC) Subscribe() (<-chan rtc.CallChanged, func()) {
	return make(chan rtc.CallChanged), func() {}
}

// waitCalls waits until the fake got n requests and returns them.
func (e *fakeEC) waitCalls(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		got := append([]string(nil), e.calls...)
		e.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("ElementCall got fewer than %d requests", n)
	return nil
}

// membership is a compatibility-mode membership content created now.
func membership(device string, expires time.Duration) string {
	return fmt.Sprintf(`{"application":"m.call","call_id":"","scope":"m.room","device_id":%q,"expires":%d,`+
		`"created_ts":%d,"focus_active":{"type":"livekit","focus_selection":"multi_sfu"},`+
		`"foci_preferred":[{"type":"livekit","livekit_service_url":"https://sfu.example.org","livekit_alias":"x"}]}`,
		device, expires.Milliseconds(), time.Now().UnixMilli())
}

func ecTest(t *testing.T, f *fakeMatrix, one OneToOne, ec ElementCall, group, dm string) (*Controller, <-chan Event) {
	t.Helper()
	cfg := testConfig()
	cfg.Calls.Group, cfg.Calls.DM = group, dm
	c := New(Options{Client: f, Config: cfg, Browser: newRecOpener(nil), OneToOne: one, ElementCall: ec, HTTPClient: loopbackOnly()})
	ch, stop := c.Subscribe()
	t.Cleanup(stop)
	return c, ch
}

// TestKeyDecision: a running call is joined whatever the setting; with
// none the setting decides, "auto" falling back to the default where
// Element Call is unavailable, "element-call" saying why it cannot.
func TestKeyDecision(t *testing.T) {
	const me, bob, carol = id.UserID("@me:example.org"), id.UserID("@bob:example.org"), id.UserID("@carol:example.org")
	dm := id.RoomID("!dm:example.org")
	group := id.RoomID("!group:example.org")
	f := newFake(me)
	f.join(dm, me, bob)
	f.join(group, me, bob, carol)
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		group, dm string
		ec        *fakeEC
		room      id.RoomID
		want      PlanKind
		ring      bool
		why       string
	}{
		{"dm legacy", config.DMLegacy, config.DMLegacy, &fakeEC{available: true}, dm, PlanStartOne, false, ""},
		{"dm default when unset", "", "", &fakeEC{available: true}, dm, PlanStartOne, false, ""},
		{"dm element-call rings", config.GroupJitsi, config.CallElementCall, &fakeEC{available: true}, dm, PlanStartElementCall, true, ""},
		{"dm auto available", config.GroupJitsi, config.CallAuto, &fakeEC{available: true}, dm, PlanStartElementCall, true, ""},
		{"dm auto unavailable", config.GroupJitsi, config.CallAuto, &fakeEC{reason: "no LiveKit transport"}, dm, PlanStartOne, false, "no LiveKit transport"},
		{"dm element-call unavailable", config.GroupJitsi, config.CallElementCall, &fakeEC{reason: "no LiveKit transport"}, dm, PlanRefuse, false, "no LiveKit transport"},
		{"dm element-call no engine", config.GroupJitsi, config.CallElementCall, nil, dm, PlanRefuse, false, "not available in this build/session"},
		{"group jitsi", config.GroupJitsi, config.DMLegacy, &fakeEC{available: true}, group, PlanStartJitsi, false, ""},
		{"group element-call", config.CallElementCall, config.DMLegacy, &fakeEC{available: true}, group, PlanStartElementCall, false, ""},
		{"group auto unavailable", config.CallAuto, config.DMLegacy, &fakeEC{}, group, PlanStartJitsi, false, "auto"},
	} {
		var ec ElementCall
		if tc.ec != nil {
			ec = tc.ec
		}
		c, _ := ecTest(t, f, &fakeOne{}, ec, tc.group, tc.dm)
		p := c.KeyPlan(ctx, tc.room)
		if p.Kind != tc.want || p.Ring != tc.ring || !strings.Contains(p.Why, tc.why) {
			t.Errorf("%s: plan %+v, want %s ring=%v why ~%q", tc.name, p, tc.want, tc.ring, tc.why)
		}
	}

	// A running Element Call is joined even where Jitsi and legacy are set.
	f.setState(group, rtc.MemberStateType.Type, "_@carol:example.org_CDEV_m.call", carol, membership("CDEV", time.Hour))
	ec := &fakeEC{}
	c, _ := ecTest(t, f, &fakeOne{}, ec, config.GroupJitsi, config.DMLegacy)
	if p := c.KeyPlan(ctx, group); p.Kind != PlanJoinElementCall {
		t.Errorf("running session: %+v", p)
	}
	c.Video(group)
	if got := ec.waitCalls(t, 1); got[0] != "join "+string(group)+" video=true ring=false" {
		t.Errorf("video key in a room with a session: %q", got)
	}

	// A Jitsi widget is joined even where Element Call is set.
	f.setState(dm, WidgetEventType.Type, "w1", bob, `{"type":"jitsi","url":"https://app.element.io/jitsi.html","data":{"domain":"meet.example.org","conferenceId":"Jitsiabc"}}`)
	c, _ = ecTest(t, f, &fakeOne{}, &fakeEC{available: true}, config.CallElementCall, config.CallElementCall)
	if p := c.KeyPlan(ctx, dm); p.Kind != PlanJoinJitsi {
		t.Errorf("jitsi widget with element-call set: %+v", p)
	}

	// In a DM with element-call, the key starts a call that rings.
	f2 := newFake(me)
	f2.join(dm, me, bob)
	ec = &fakeEC{available: true}
	c, _ = ecTest(t, f2, &fakeOne{}, ec, config.GroupJitsi, config.CallElementCall)
	c.Voice(dm)
	if got := ec.waitCalls(t, 1); got[0] != "join "+string(dm)+" video=false ring=true" {
		t.Errorf("voice key in a DM with element-call: %q", got)
	}
}

// TestElementCallActionsWithoutEngine: with no ElementCall the actions say
// so cleanly.
func TestElementCallActionsWithoutEngine(t *testing.T) {
	f := newFake("@me:example.org")
	f.join(room, "@me:example.org", "@bob:example.org")
	c, ch := ecTest(t, f, nil, nil, "", "")
	c.StartElementCall(room, false)
	if s := nextEvent[Status](t, ch, nil); s.Text != msgNoElementCall || !s.Error {
		t.Errorf("/call without an engine: %+v", s)
	}
}

// TestSessionFromState: valid memberships make a session; a hostile one
// (a state key naming another user) and a leave do not; the session ends
// at the membership's expiry without any event.
func TestSessionFromState(t *testing.T) {
	f := newFake("@me:example.org")
	c, ch := ecTest(t, f, nil, nil, "", "")
	f.setState(room, rtc.MemberStateType.Type, "_@bob:example.org_BDEV_m.call", "@mallory:example.org", membership("BDEV", time.Hour))
	f.setState(room, rtc.MemberStateType.Type, "_@carol:example.org_CDEV_m.call", "@carol:example.org", `{}`)
	c.refreshSession(room)
	if m := c.Session(room); len(m) != 0 {
		t.Fatalf("hostile and left memberships made a session: %+v", m)
	}
	f.setState(room, rtc.MemberStateType.Type, "_@alice:example.org_ADEV_m.call", "@alice:example.org", membership("ADEV", 400*time.Millisecond))
	f.setState(room, rtc.MemberStateType.Type, "_@alice:example.org_A2_m.call", "@alice:example.org", membership("A2", time.Hour))
	c.refreshSession(room)
	s := nextEvent[RTCSessionChanged](t, ch, nil)
	if len(s.Members) != 2 || Participants(s.Members) != 1 || s.Members[0].UserID != "@alice:example.org" {
		t.Errorf("session: %+v", s)
	}
	start := time.Now()
	s = nextEvent[RTCSessionChanged](t, ch, nil)
	t.Logf("the expiry re-read came %v after the first session event (the membership lasted 400ms)", time.Since(start))
	if len(s.Members) != 1 || s.Members[0].DeviceID != "A2" {
		t.Errorf("after the expiry: %+v", s)
	}
	c.stopSessions()
}

// notification is a ring for the room, sent now.
func notification(sender id.UserID, evID id.EventID, ts time.Time, kind string) *event.Event {
	raw := fmt.Sprintf(`{"m.mentions":{"user_ids":[],"room":true},"notification_type":%q,"sender_ts":%d,"lifetime":30000,"m.call.intent":"video"}`, kind, ts.UnixMilli())
	return &event.Event{ID: evID, Type: rtc.NotificationType, Sender: sender, RoomID: room, Timestamp: ts.UnixMilli(),
		Content: event.Content{VeryRaw: json.RawMessage(raw)}}
}

// TestRinging: a fresh ring rings; a stale one, one from before the first
// sync was done, or a plain notification does not; answer joins with the ring's intent and no ring of our own;
// the caller leaving or our other device joining stops the ring.
func TestRinging(t *testing.T) {
	const me, bob = id.UserID("@me:example.org"), id.UserID("@bob:example.org")
	f := newFake(me)
	ec := &fakeEC{}
	c, ch := ecTest(t, f, nil, ec, "", "")
	c.onRTCTimeline(room, []*event.Event{
		notification(bob, "$old", time.Now().Add(-2*time.Minute), "ring"),
		notification(bob, "$plain", time.Now(), "notification"),
	}, false)
	c.onRTCTimeline(room, []*event.Event{notification(bob, "$catchup", time.Now(), "ring")}, true)
	if _, ok := c.Ringing(); ok {
		t.Fatal("a stale ring, a plain notification or one from the catch-up sync rang")
	}
	f.setState(room, rtc.MemberStateType.Type, "_@bob:example.org_BDEV_m.call", bob, membership("BDEV", time.Hour))
	c.refreshSession(room)
	c.onRTCTimeline(room, []*event.Event{notification(bob, "$ring", time.Now(), "ring")}, false)
	r := nextEvent[RTCRingChanged](t, ch, nil)
	if r.Ring == nil || r.Ring.Sender != bob || !r.Ring.Video || r.Ring.EventID != "$ring" {
		t.Fatalf("ring: %+v", r)
	}
	c.AnswerRing("")
	if got := ec.waitCalls(t, 1); got[0] != "join "+string(room)+" video=true ring=false" {
		t.Errorf("answer: %q", got)
	}
	if r := nextEvent[RTCRingChanged](t, ch, nil); r.Ring != nil {
		t.Errorf("answer did not stop the ring: %+v", r)
	}

	// The caller leaves: the ring stops.
	c.onRTCTimeline(room, []*event.Event{notification(bob, "$ring2", time.Now(), "ring")}, false)
	nextEvent[RTCRingChanged](t, ch, func(r RTCRingChanged) bool { return r.Ring != nil })
	f.setState(room, rtc.MemberStateType.Type, "_@bob:example.org_BDEV_m.call", bob, `{}`)
	c.refreshSession(room)
	if r := nextEvent[RTCRingChanged](t, ch, nil); r.Ring != nil || r.Reason != "the caller left" {
		t.Errorf("caller left: %+v", r)
	}

	// Our other device joins: the ring stops; decline sends the decline.
	f.setState(room, rtc.MemberStateType.Type, "_@bob:example.org_BDEV_m.call", bob, membership("BDEV", time.Hour))
	c.refreshSession(room)
	c.onRTCTimeline(room, []*event.Event{notification(bob, "$ring3", time.Now(), "ring")}, false)
	nextEvent[RTCRingChanged](t, ch, func(r RTCRingChanged) bool { return r.Ring != nil })
	f.setState(room, rtc.MemberStateType.Type, "_@me:example.org_PHONE_m.call", me, membership("PHONE", time.Hour))
	c.refreshSession(room)
	if r := nextEvent[RTCRingChanged](t, ch, nil); r.Ring != nil || r.Reason != "answered on another device" {
		t.Errorf("answered elsewhere: %+v", r)
	}
	f.setState(room, rtc.MemberStateType.Type, "_@me:example.org_PHONE_m.call", me, `{}`)
	c.refreshSession(room)
	c.onRTCTimeline(room, []*event.Event{notification(bob, "$ring4", time.Now(), "ring")}, false)
	nextEvent[RTCRingChanged](t, ch, func(r RTCRingChanged) bool { return r.Ring != nil })
	c.DeclineRing(room)
	if got := ec.waitCalls(t, 2); got[1] != "decline "+string(room)+" $ring4" {
		t.Errorf("decline: %q", got)
	}
	c.stopSessions()
}
