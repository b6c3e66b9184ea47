package rtc

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

const testRoom = id.RoomID("!room:example.org")

// stateEvent makes a membership state event as a sync would deliver it.
func stateEvent(sender id.UserID, key string, ts time.Time, content string) *event.Event {
	return &event.Event{
		Type: MemberStateType, Sender: sender, StateKey: &key, ID: id.EventID("$" + key),
		RoomID: testRoom, Timestamp: ts.UnixMilli(), Content: event.Content{VeryRaw: json.RawMessage(content)},
	}
}

// ecMember is a membership as Element Call sends it (spec 2.1).
const ecMember = `{"application":"m.call","call_id":"","scope":"m.room","device_id":"ABCDEFGH",
 "membershipID":"@alice:example.org:ABCDEFGH","expires":14400000,"m.call.intent":"audio",
 "focus_active":{"type":"livekit","focus_selection":"multi_sfu"},
 "foci_preferred":[{"type":"livekit","livekit_service_url":"https://rtc.example.org/livekit/jwt","livekit_alias":"!room:example.org"}]}`

func TestParseElementCallMembership(t *testing.T) {
	now := time.UnixMilli(1764380000000)
	m, err := ParseMember(testRoom, stateEvent("@alice:example.org", "_@alice:example.org_ABCDEFGH_m.call", now, ecMember))
	if err != nil {
		t.Fatal(err)
	}
	if m.DeviceID != "ABCDEFGH" || m.Identity != "@alice:example.org:ABCDEFGH" || m.Intent != "audio" ||
		m.Transport.ServiceURL != "https://rtc.example.org/livekit/jwt" || !m.Expires.Equal(now.Add(4*time.Hour)) {
		t.Fatalf("parsed %+v", m)
	}
	if !m.Valid(now.Add(time.Hour)) || m.Valid(now.Add(5*time.Hour)) {
		t.Fatal("validity window wrong")
	}
	// created_ts on refreshes counts from the first join.
	refresh := ecMember[:len(ecMember)-1] + `,"created_ts":1764370000000}`
	m, err = ParseMember(testRoom, stateEvent("@alice:example.org", "_@alice:example.org_ABCDEFGH_m.call", now, refresh))
	if err != nil || !m.Created.Equal(time.UnixMilli(1764370000000)) {
		t.Fatalf("refresh: %v %v", m.Created, err)
	}
}

func TestParseMemberRejectsHostileAndLeaves(t *testing.T) {
	now := time.Now()
	cases := []struct {
		name, sender, key, content string
		left                       bool
	}{
		{"leave", "@alice:example.org", "_@alice:example.org_ABCDEFGH_m.call", `{}`, true},
		{"someone else's key", "@mallory:example.org", "_@alice:example.org_ABCDEFGH_m.call", ecMember, false},
		{"device not the key's", "@alice:example.org", "_@alice:example.org_OTHER_m.call", ecMember, false},
		{"other application", "@alice:example.org", "_@alice:example.org_ABCDEFGH_m.call", `{"application":"m.other","call_id":"","device_id":"ABCDEFGH","focus_active":{"type":"livekit"},"foci_preferred":[]}`, false},
		{"no focus type", "@alice:example.org", "_@alice:example.org_ABCDEFGH_m.call", `{"application":"m.call","call_id":"","device_id":"ABCDEFGH","focus_active":{},"foci_preferred":[]}`, false},
		{"foci not a list", "@alice:example.org", "_@alice:example.org_ABCDEFGH_m.call", `{"application":"m.call","call_id":"","device_id":"ABCDEFGH","focus_active":{"type":"livekit"},"foci_preferred":{"a":1}}`, false},
		{"negative expiry", "@alice:example.org", "_@alice:example.org_ABCDEFGH_m.call", `{"application":"m.call","call_id":"","device_id":"ABCDEFGH","focus_active":{"type":"livekit"},"foci_preferred":[],"expires":-5}`, false},
		{"device a number", "@alice:example.org", "_@alice:example.org_ABCDEFGH_m.call", `{"application":"m.call","call_id":"","device_id":7,"focus_active":{"type":"livekit"},"foci_preferred":[]}`, false},
	}
	for _, c := range cases {
		_, err := ParseMember(testRoom, stateEvent(id.UserID(c.sender), c.key, now, c.content))
		if err == nil {
			t.Errorf("%s: accepted", c.name)
		} else if errors.Is(err, ErrLeft) != c.left {
			t.Errorf("%s: err %v", c.name, err)
		}
	}
	// A huge expiry is capped: no ghost for ever.
	huge := `{"application":"m.call","call_id":"","device_id":"D","focus_active":{"type":"livekit"},"foci_preferred":[],"expires":9223372036854775807}`
	m, err := ParseMember(testRoom, stateEvent("@a:x", "_@a:x_D_m.call", now, huge))
	if err != nil || m.Expires.After(now.Add(maxExpires+time.Second)) {
		t.Fatalf("huge expiry: %v %v", m.Expires, err)
	}
}

func TestSortedKeepsValidDevicesOldestFirst(t *testing.T) {
	base := time.Now().Add(-time.Minute)
	mk := func(user, dev string, created time.Time, url string, oldest bool) Membership {
		return Membership{Sender: id.UserID(user), DeviceID: id.DeviceID(dev), Identity: user + ":" + dev,
			Created: created, Expires: created.Add(time.Hour), Transport: Transport{Type: "livekit", ServiceURL: url}, OldestSelection: oldest}
	}
	all := []Membership{
		mk("@b:x", "B", base.Add(2*time.Second), "https://b", true),
		mk("@a:x", "A", base, "https://a", false),
		mk("@a:x", "A", base.Add(time.Second), "https://a2", false), // newer event for the same device
		{Sender: "@c:x", DeviceID: "C", Created: base.Add(-5 * time.Hour), Expires: base.Add(-time.Hour)},
	}
	got := Sorted(all, time.Now())
	if len(got) != 2 || got[0].Sender != "@a:x" || got[0].Transport.ServiceURL != "https://a2" || got[1].Transport.ServiceURL != "https://a2" {
		t.Fatalf("sorted: %+v", got)
	}
}

func TestIdentitiesMatchJavaScript(t *testing.T) {
	// Values computed with Node's crypto over JSON.stringify.
	if got := HashedIdentity("@alice:example.org", "ABCDEFGH", "@alice:example.org:ABCDEFGH"); got != "Clzzl/erGTNn5xmQhEcPD/VJwBbk9UczkVsPG//9yG4" {
		t.Errorf("hashed identity %s", got)
	}
	if got := RoomAlias("!room:example.org"); got != "TK4o8wNCXi5t5936bOvIzE/X3XFc7cgp3jGRDqK0j5E" {
		t.Errorf("room alias %s", got)
	}
	if got := HashedIdentity("@a<b>&\u2028:x", "D", "m"); got != "P/dlygvAvgw3NnYd7kQCfFQH0woPxSr+kySSHS672t8" {
		t.Errorf("escaping differs from JSON.stringify: %s", got)
	}
}

func TestNotificationFreshnessAndAddressing(t *testing.T) {
	now := time.Now()
	ev := &event.Event{Type: NotificationType, Sender: "@bob:x", ID: "$n", RoomID: testRoom, Timestamp: now.UnixMilli(),
		Content: event.Content{VeryRaw: json.RawMessage(`{"m.mentions":{"user_ids":[],"room":true},"notification_type":"ring",
		"m.relates_to":{"rel_type":"m.reference","event_id":"$m"},"sender_ts":` + jsonInt(now.Add(-100*time.Hour).UnixMilli()) + `,"lifetime":99999999,"m.call.intent":"audio"}`)}}
	n, err := ParseNotification(ev, "@alice:x")
	if err != nil || !n.Ring || !n.ForUs || n.Membership != "$m" || n.Intent != "audio" {
		t.Fatalf("%+v %v", n, err)
	}
	// A sender_ts far from the server's is ignored, the lifetime capped.
	if !n.Until.Equal(time.UnixMilli(now.UnixMilli()).Add(maxRingLifetime)) {
		t.Fatalf("until %v", n.Until)
	}
	if n, _ := ParseNotification(ev, "@bob:x"); n.ForUs {
		t.Fatal("our own ring is for us")
	}
	old := &event.Event{Type: CallNotifyType, Sender: "@bob:x", Timestamp: now.UnixMilli(),
		Content: event.Content{VeryRaw: json.RawMessage(`{"application":"m.call","notify_type":"ring","call_id":"","m.mentions":{"user_ids":["@alice:x"]}}`)}}
	if n, err := ParseNotification(old, "@alice:x"); err != nil || !n.Ring || !n.ForUs {
		t.Fatalf("deprecated notify: %+v %v", n, err)
	}
}

func TestParseKeys(t *testing.T) {
	good := KeysContent(testRoom, "@a:x", "DEV", 7, []byte("0123456789abcdef"), time.Now())
	raw, _ := json.Marshal(good)
	k, err := ParseKeys(raw)
	if err != nil || k.Index != 7 || string(k.Key) != "0123456789abcdef" || k.ClaimedDevice != "DEV" {
		t.Fatalf("%+v %v", k, err)
	}
	for _, bad := range []string{
		`{}`, `{"keys":{"index":300,"key":"MDEyMzQ1Njc4OWFiY2RlZg"},"room_id":"!r","session":{"application":"m.call","call_id":""}}`,
		`{"keys":{"index":1,"key":"c2hvcnQ"},"room_id":"!r","session":{"application":"m.call","call_id":""}}`,
		`{"keys":{"index":1,"key":"MDEyMzQ1Njc4OWFiY2RlZg"},"session":{"application":"m.call","call_id":""}}`,
		`{"keys":[1],"room_id":"!r"}`,
	} {
		if _, err := ParseKeys(json.RawMessage(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	// Unpadded and URL-safe base64 are accepted, as js-sdk does.
	for _, enc := range []string{"MDEyMzQ1Njc4OWFiY2RlZg", "MDEyMzQ1Njc4OWFiY2RlZg==", "-_-_-_-_-_-_-_-_-_-_-w"} {
		raw := `{"keys":{"index":1,"key":"` + enc + `"},"room_id":"!r","session":{"application":"m.call","call_id":""}}`
		if _, err := ParseKeys(json.RawMessage(raw)); err != nil {
			t.Errorf("%s: %v", enc, err)
		}
	}
}

func jsonInt(v int64) string { b, _ := json.Marshal(v); return string(b) }

func FuzzParseMember(f *testing.F) {
	f.Add("_@alice:example.org_ABCDEFGH_m.call", ecMember)
	f.Add("_@a:x_D_m.call", `{}`)
	f.Fuzz(func(t *testing.T, key, content string) {
		m, err := ParseMember(testRoom, stateEvent("@alice:example.org", key, time.Now(), content))
		if err == nil && (m.Sender != "@alice:example.org" || m.DeviceID == "" || m.Expires.Before(m.Created)) {
			t.Fatalf("accepted a bad membership: %+v", m)
		}
	})
}
