package ui_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/ui/uitest"
)

// TestBrokenCallInviteIsAMissedCall sends, through the real homeserver, an
// invite that fails the protocol's checks and one whose offer our media
// cannot use: neither rings as a call or shows as one the user declined;
// the timeline and the status line say a call was missed because it could
// not be set up.
func TestBrokenCallInviteIsAMissedCall(t *testing.T) {
	st := shared.Get(t)
	bob := st.MustRegister(t, "bbob")
	alice := st.MustRegister(t, "balice")
	roomID, err := alice.CreateRoom(ctx(t), map[string]any{"name": "Broken Calls", "invite": []string{bob.UserID}, "is_direct": true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx(t), roomID); err != nil {
		t.Fatal(err)
	}
	screen := loginUI(t, st, bob)
	uitest.WaitFor(t, screen, "Broken Calls", waitLong)
	uitest.WaitFor(t, screen, "synced", waitLong)

	// No offer SDP and no lifetime: fails validation.
	if _, err := alice.SendEvent(ctx(t), roomID, "m.call.invite", map[string]any{
		"call_id": "broken1", "party_id": "ALICEDEV", "version": "1", "invitee": bob.UserID,
		"offer": map[string]any{"type": "offer"},
	}); err != nil {
		t.Fatal(err)
	}
	text := uitest.WaitFor(t, screen, "Missed call from balice", waitLong)
	if strings.Contains(text, "Incoming voice call") {
		t.Fatalf("a broken invite rang:\n%s", text)
	}
	uitest.WaitFor(t, screen, "Missed voice call from balice", waitLong)
	uitest.WaitFor(t, screen, "it could not be set up", waitLong)

	// Valid on the wire, but an offer no WebRTC stack can answer: our
	// client hangs up with user_media_failed, and says so.
	if _, err := alice.SendEvent(ctx(t), roomID, "m.call.invite", map[string]any{
		"call_id": "broken2", "party_id": "ALICEDEV", "version": "1", "invitee": bob.UserID, "lifetime": 60000,
		"offer": map[string]any{"type": "offer", "sdp": "this is not SDP"},
	}); err != nil {
		t.Fatal(err)
	}
	hangup := waitHangupReason(t, alice, roomID, "broken2")
	if hangup != "user_media_failed" {
		t.Errorf("our hangup's reason: %q", hangup)
	}
	text = uitest.WaitUntil(t, screen, "both calls told as missed", waitLong, func(text string) bool {
		return strings.Count(text, "-- Missed voice call from balice") == 2 && strings.Count(text, ": it could not be set up") >= 2
	})
	if strings.Contains(text, "You declined") {
		t.Fatalf("a call our client could not take shows as declined:\n%s", text)
	}
}

// waitHangupReason waits until callID's m.call.hangup is in roomID and
// returns its reason.
func waitHangupReason(t *testing.T, u teststack.User, roomID, callID string) string {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for time.Now().Before(deadline) {
		evs, err := u.Messages(ctx(t), roomID, 20)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			var c struct {
				CallID string `json:"call_id"`
				Reason string `json:"reason"`
			}
			if ev.Type == "m.call.hangup" && json.Unmarshal(ev.Content, &c) == nil && c.CallID == callID {
				return c.Reason
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no m.call.hangup for %s", callID)
	return ""
}
