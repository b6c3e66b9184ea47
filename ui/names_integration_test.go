package ui_test

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/ui/uitest"
)

// TestImpersonatorIsDisambiguated, against the real Dendrite: mallory
// sets her display name in the room to alice's. Bob's termatrix shows
// both with their user IDs in the timeline, on mallory's rename line and
// in the member list, and never mallory's message under a bare "Alice
// Example".
func TestImpersonatorIsDisambiguated(t *testing.T) {
	st := shared.Get(t)
	alice := st.MustRegister(t, "nalice")
	mallory := st.MustRegister(t, "nmallory")
	bob := st.MustRegister(t, "nbob")
	roomID, err := alice.CreateRoom(ctx(t), map[string]any{"name": "Names Room", "invite": []string{bob.UserID, mallory.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{bob.UserID, mallory.UserID} {
		joiner := bob
		if u == mallory.UserID {
			joiner = mallory
		}
		if _, err := joiner.Join(ctx(t), roomID); err != nil {
			t.Fatal(err)
		}
	}
	const name = "Alice Example"
	if _, err := alice.SendState(ctx(t), roomID, "m.room.member", alice.UserID, map[string]any{"membership": "join", "displayname": name}); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.SendMessage(ctx(t), roomID, "from the real one"); err != nil {
		t.Fatal(err)
	}
	screen := loginUI(t, st, bob)
	uitest.WaitFor(t, screen, "Names Room", waitLong)
	uitest.WaitFor(t, screen, name+": from the real one", waitLong)

	if _, err := mallory.SendState(ctx(t), roomID, "m.room.member", mallory.UserID, map[string]any{"membership": "join", "displayname": name}); err != nil {
		t.Fatal(err)
	}
	if _, err := mallory.SendMessage(ctx(t), roomID, "from the imposter"); err != nil {
		t.Fatal(err)
	}
	real := name + " (" + alice.UserID + "): from the real one"
	fake := name + " (" + mallory.UserID + "): from the imposter"
	text := uitest.WaitUntil(t, screen, "both names disambiguated", waitLong, func(s string) bool {
		return strings.Contains(s, real) && strings.Contains(s, fake)
	})
	if !strings.Contains(text, "changed their name to "+name+" ("+mallory.UserID+")") {
		t.Errorf("mallory's rename line is not disambiguated:\n%s", text)
	}
	if strings.Contains(text, name+": ") {
		t.Errorf("a message under the bare name:\n%s", text)
	}

	screen.InjectKey(tcell.KeyF2, 0, tcell.ModNone)
	malloryLocal := strings.SplitN(mallory.UserID, ":", 2)[0]
	aliceLocal := strings.SplitN(alice.UserID, ":", 2)[0]
	uitest.WaitUntil(t, screen, "the member list tells them apart", waitLong, func(s string) bool {
		return strings.Contains(s, "("+malloryLocal) && strings.Contains(s, "("+aliceLocal)
	})
}
