package ui

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/ui/uitest"
)

// memberEv is an m.room.member event as the homeserver sends it.
func memberEv(n int, user id.UserID, membership, name string, prev map[string]any) *event.Event {
	content := map[string]any{"membership": membership}
	if name != "" {
		content["displayname"] = name
	}
	ev := &event.Event{ID: id.EventID(fmt.Sprintf("$m%d", n)), Type: event.StateMember, Sender: user, StateKey: ptr(string(user)),
		Timestamp: 1700000000000 + int64(n)*1000, Content: event.Content{Raw: content}}
	if prev != nil {
		ev.Unsigned.PrevContent = &event.Content{Raw: prev}
	}
	return ev
}

// TestSameNameIsDisambiguatedEverywhere: mallory takes alice's display
// name. Every place a name appears (the timeline's sender, a reply's
// quote, the rename line, the typing line, the incoming call, the
// conference banner and the desktop notification) shows
// "alice (@mallory:hs)", and alice as "alice (@alice:hs)": never a bare
// "alice" for mallory. A name that reads as a user ID is disambiguated
// too. Without the rule every one of them showed "alice".
func TestSameNameIsDisambiguatedEverywhere(t *testing.T) {
	var mu sync.Mutex
	var notes []string
	u, screen := offlineUI(t, &lockedBuffer{})
	room := id.RoomID("!r:hs")
	aliceJoin := memberEv(1, "@alice:hs", "join", "alice", nil)
	malloryJoin := memberEv(2, "@mallory:hs", "join", "mallory", nil)
	rename := memberEv(3, "@mallory:hs", "join", "alice", map[string]any{"membership": "join", "displayname": "mallory"})
	fromAlice := textEvent(4, "hello from the real alice")
	fromMallory := textEvent(5, "send the keys to me")
	fromMallory.Sender = "@mallory:hs"
	reply := textEvent(6, "> <@alice:hs> forged words\n\nok")
	reply.Sender = "@bob:hs"
	reply.Content.Raw["m.relates_to"] = map[string]any{"m.in_reply_to": map[string]any{"event_id": string(fromMallory.ID)}}
	imposter := memberEv(7, "@eve:hs", "join", "@alice:hs", nil)
	fromEve := textEvent(8, "eve speaking")
	fromEve.Sender = "@eve:hs"
	u.queue(func() {
		u.cfg.Notifications.Desktop = true
		u.opts.Notify = func(title, body string) error {
			mu.Lock()
			notes = append(notes, body)
			mu.Unlock()
			return nil
		}
		u.handleUpdate(matrix.RoomsChanged{Rooms: matrix.NewRoomList(matrix.Room{ID: room, Name: "Room", Membership: event.MembershipJoin})})
		for _, ev := range []*event.Event{aliceJoin, rename, imposter, memberEv(9, "@bob:hs", "join", "bob", nil)} {
			u.handleUpdate(matrix.StateChanged{RoomID: room, Event: ev})
		}
		u.handleUpdate(matrix.TimelineAppended{RoomID: room, Events: []*event.Event{aliceJoin, malloryJoin, rename, fromAlice, fromMallory, reply, imposter, fromEve}})
		u.handleUpdate(matrix.TypingChanged{RoomID: room, UserIDs: []id.UserID{"@mallory:hs"}})
		u.handleCallEvent(calls.CallChanged{Call: calls.CallInfo{CallID: "c1", RoomID: room, PeerID: "@mallory:hs", PeerName: "alice", Incoming: true, State: calls.CallRinging}})
		u.handleCallEvent(calls.ConferenceChanged{RoomID: room, Conference: &calls.Conference{
			WidgetID: "w", Domain: "meet.example.org", ConferenceID: "JitsiX", CreatorID: "@mallory:hs", CreatorName: "alice"}})
		u.handleUpdate(matrix.Notify{RoomID: room, Highlight: true, Event: fromMallory})
	})
	wants := []string{
		"alice (@alice:hs): hello from the real alice",
		"alice (@mallory:hs): send the keys to me",
		"mallory changed their name to alice (@mallory:hs)",
		"alice (@mallory:hs): send the keys to me", // the quote above bob's reply
		"bob: ok",
		"@alice:hs (@eve:hs) joined the room",
		"@alice:hs (@eve:hs): eve speaking",
		"alice (@mallory:hs) is typing…",
		"Incoming voice call from alice (@mallory:hs)",
		"Video conference started by alice (@mallory:hs)",
	}
	text := uitest.WaitUntil(t, screen, "every name disambiguated", 5*time.Second, func(s string) bool {
		for _, w := range wants {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	})
	if n := strings.Count(text, "alice (@mallory:hs): send the keys to me"); n != 2 {
		t.Errorf("mallory's message and its quote: %d on screen, want 2:\n%s", n, text)
	}
	if strings.Contains(text, "forged words") {
		t.Errorf("the forged fallback shows:\n%s", text)
	}
	if bare := regexp.MustCompile(`(^|[^(@\w])alice(:| is typing| joined)`); bare.MatchString(text) {
		t.Errorf("a bare \"alice\" is on the screen: %q\n%s", bare.FindString(text), text)
	}
	want := map[string]bool{"alice (@mallory:hs): send the keys to me": false, "alice (@mallory:hs) is calling": false}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		for _, n := range notes {
			if _, ok := want[n]; !ok {
				t.Errorf("desktop notification %q", n)
			}
			want[n] = true
		}
		notes = nil
		mu.Unlock()
		if want["alice (@mallory:hs): send the keys to me"] && want["alice (@mallory:hs) is calling"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("desktop notifications: %v", want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHugeNamesStayOnScreen: a 10 KB display name and a 10 KB room name
// are cut with an ellipsis where they are drawn; the rest of the line and
// the screen around them stay in place.
func TestHugeNamesStayOnScreen(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	room := id.RoomID("!r:hs")
	huge := strings.Repeat("W", 10<<10)
	join := memberEv(1, "@mallory:hs", "join", huge, nil)
	msg := textEvent(2, "short and visible")
	msg.Sender = "@mallory:hs"
	u.queue(func() {
		u.handleUpdate(matrix.RoomsChanged{Rooms: matrix.NewRoomList(matrix.Room{ID: room, Name: "R" + huge, Membership: event.MembershipJoin})})
		u.handleUpdate(matrix.StateChanged{RoomID: room, Event: join})
		u.handleUpdate(matrix.TimelineAppended{RoomID: room, Events: []*event.Event{join, msg}})
		u.handleUpdate(matrix.TypingChanged{RoomID: room, UserIDs: []id.UserID{"@mallory:hs"}})
	})
	cut := strings.Repeat("W", matrix.MaxNameColumns-1) + "…"
	text := uitest.WaitFor(t, screen, cut+": short and visible", 5*time.Second)
	uitest.WaitFor(t, screen, cut+" is typing…", 5*time.Second)
	for _, r := range uitest.Dump(screen) {
		if strings.Contains(r, strings.Repeat("W", matrix.MaxNameColumns+1)) {
			t.Fatalf("an uncut name on the screen:\n%s", text)
		}
	}
	if !strings.Contains(text, "RWWW") || !strings.Contains(text, "W…") {
		t.Fatalf("the room name is not cut with an ellipsis:\n%s", text)
	}
}
