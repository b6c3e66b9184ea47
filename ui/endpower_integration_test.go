package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/ui/uitest"
)

// TestEndConferenceNeedsWidgetPower: a member who may not change widgets
// is not asked "end it for everyone?" (and nothing is sent): the end key
// and /hangup say at once that it needs that power; the room's creator
// still gets the question (F15).
func TestEndConferenceNeedsWidgetPower(t *testing.T) {
	st := shared.Get(t)
	carol := st.MustRegister(t, "pcarol")
	alice := st.MustRegister(t, "palice")
	roomID, err := carol.CreateRoom(ctx(t), map[string]any{"name": "Power Room", "preset": "public_chat"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Join(ctx(t), roomID); err != nil {
		t.Fatal(err)
	}
	widget := map[string]any{
		"type": "jitsi", "name": "Jitsi",
		"url":  "https://app.element.io/jitsi.html?confId=JitsiPowerRoomTest#conferenceDomain=$domain&conferenceId=$conferenceId&isAudioOnly=$isAudioOnly&isVideoChannel=$isVideoChannel&displayName=$matrix_display_name&avatarUrl=$matrix_avatar_url&userId=$matrix_user_id&roomId=$matrix_room_id&theme=$theme&roomName=$roomName&supportsScreensharing=true&language=$org.matrix.msc2873.client_language",
		"data": map[string]any{"conferenceId": "JitsiPowerRoomTest", "domain": "meet.example.org", "isAudioOnly": false, "isVideoChannel": false, "roomName": "Power Room"},
	}
	if _, err := carol.SendState(ctx(t), roomID, "im.vector.modular.widgets", "powerwidget0000000000000", widget); err != nil {
		t.Fatal(err)
	}

	screen := loginUI(t, st, alice)
	uitest.WaitFor(t, screen, "Power Room", waitLong)
	if text := uitest.WaitFor(t, screen, "to join", waitLong); strings.Contains(text, "to end it for everyone") {
		t.Fatalf("the banner offers to end the conference to a member who may not:\n%s", text)
	}
	// The session's encryption status comes in its own message after
	// login; once it is shown, it no longer replaces the answer below.
	uitest.WaitFor(t, screen, "/crosssigning setup", waitLong)
	screen.InjectKey(tcell.KeyRune, 'e', tcell.ModAlt)
	text := uitest.WaitFor(t, screen, "You cannot end this conference for everyone", waitLong)
	if strings.Contains(text, "for everyone?") {
		t.Fatalf("the end question was asked:\n%s", text)
	}
	uitest.Type(screen, "/hangup")
	enter(screen)
	text = uitest.WaitFor(t, screen, "No call of yours here", waitLong)
	if strings.Contains(text, "for everyone?") {
		t.Fatalf("/hangup asked to end the conference:\n%s", text)
	}
	time.Sleep(200 * time.Millisecond)
	if w := serverWidgets(t, carol, roomID)["powerwidget0000000000000"]; len(w) == 0 {
		t.Fatal("the widget was removed")
	}

	// The creator is asked.
	cscreen := loginUI(t, st, carol)
	uitest.WaitFor(t, cscreen, "to end it for everyone", waitLong)
	cscreen.InjectKey(tcell.KeyRune, 'e', tcell.ModAlt)
	uitest.WaitFor(t, cscreen, "End conference", waitLong)
}
