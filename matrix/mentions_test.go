package matrix

import (
	"encoding/json"
	"fmt"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

func TestMentionedUsers(t *testing.T) {
	tests := []struct {
		in   string
		want []id.UserID
	}{
		{"carol: ping", nil},
		{"hey @bob:localhost: look", []id.UserID{"@bob:localhost"}},
		{"@bob:example.org.", []id.UserID{"@bob:example.org"}},
		{"@a:hs:8448 and @a:hs:8448 and @me:localhost", []id.UserID{"@a:hs:8448"}},
		{"mail me@example.org", nil},
		{"@:x @bad", nil},
	}
	for _, tt := range tests {
		if got := mentionedUsers(tt.in, "@me:localhost"); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("mentionedUsers(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestSendTextMentions reads sent messages back from the server: without a
// user ID in the text there is no m.mentions at all (an empty one would
// turn off the display-name push rules and silence the mention, F2);
// with one, m.mentions.user_ids names that user.
func TestSendTextMentions(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "malice")
	bob := st.MustRegister(t, "mbob")
	ctx := ctxT(t)
	rid, err := bob.CreateRoom(ctx, map[string]any{"invite": []string{alice.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Join(ctx, rid); err != nil {
		t.Fatal(err)
	}
	roomID := id.RoomID(rid)
	a := loginLive(t, st, alice)
	a.waitRoom(t, roomID, "joined", func(r Room) bool { return r.Membership == event.MembershipJoin })

	send := func(text string) map[string]json.RawMessage {
		t.Helper()
		txn := a.SendText(roomID, text, false)
		res := a.rec.waitFor(t, waitTimeout, "sent "+text, func(u Update) bool {
			er, ok := u.(EchoResolved)
			return ok && er.TxnID == txn
		}).(EchoResolved)
		if res.Err != nil {
			t.Fatalf("sending %q: %v", text, res.Err)
		}
		ev, err := bob.WaitForEvent(ctx, rid, string(res.EventID))
		if err != nil {
			t.Fatal(err)
		}
		var content map[string]json.RawMessage
		if err := json.Unmarshal(ev.Content, &content); err != nil {
			t.Fatal(err)
		}
		return content
	}
	if c := send("mbob: ping **now**"); c["m.mentions"] != nil {
		t.Errorf("message without user IDs carries m.mentions %s", c["m.mentions"])
	}
	c := send("hey " + bob.UserID + ", look")
	var m struct {
		UserIDs []id.UserID `json:"user_ids"`
	}
	if err := json.Unmarshal(c["m.mentions"], &m); err != nil || len(m.UserIDs) != 1 || m.UserIDs[0] != id.UserID(bob.UserID) {
		t.Errorf("m.mentions %s (%v), want user_ids [%s]", c["m.mentions"], err, bob.UserID)
	}
}
