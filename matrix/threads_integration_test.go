package matrix

import (
	"encoding/json"
	"testing"

	"maunium.net/go/mautrix/event"
)

// TestThreadRepliesEncrypted: thread replies sent through the outbox in an
// encrypted room keep m.relates_to (m.thread, the root, the fallback reply)
// in the clear beside the ciphertext; ThreadReplies reads the thread from
// /relations oldest first, decrypted, without the room's other messages;
// a reply to one message of the thread is not a fallback and mentions its
// sender.
func TestThreadRepliesEncrypted(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "thalice")
	bob := st.MustRegister(t, "thbob")
	a := loginLive(t, st, alice)
	b := loginLive(t, st, bob)
	roomID := encryptedRoom(t, b, a, bob)
	a.waitRoom(t, roomID, "joined and encrypted", func(r Room) bool {
		return r.Membership == event.MembershipJoin && r.Encrypted && r.JoinedMembers == 2
	})
	root := b.sentID(t, b.SendText(roomID, "the root", false))
	first := a.sentID(t, a.SendThreadReply(roomID, root, "first", root, "", true))
	second := b.sentID(t, b.SendThreadReply(roomID, root, "second", first, a.UserID(), false))
	a.sentID(t, a.SendText(roomID, "not in the thread", false))
	third := a.sentID(t, a.SendThreadReply(roomID, root, "third", "", "", true))

	b.waitEvent(t, roomID, "the third reply", func(ev *event.Event) bool { return ev.ID == third })
	evs, err := b.ThreadReplies(ctxT(t), roomID, root)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ev := range evs {
		ids = append(ids, string(ev.ID)+"="+body(ev))
	}
	if len(evs) != 3 || evs[0].ID != first || evs[1].ID != second || evs[2].ID != third {
		t.Fatalf("ThreadReplies = %v, want first, second, third", ids)
	}
	for _, ev := range evs {
		if !ev.Mautrix.WasEncrypted || ev.Type != event.EventMessage {
			t.Errorf("%s: %s, encrypted %v: want a decrypted message", ev.ID, ev.Type.Type, ev.Mautrix.WasEncrypted)
		}
	}
	c1, c2, c3 := rawContent(t, evs[0]), rawContent(t, evs[1]), rawContent(t, evs[2])
	if c1["body"] != "first" || field(c1, "m.relates_to", "rel_type") != "m.thread" || field(c1, "m.relates_to", "event_id") != string(root) ||
		field(c1, "m.relates_to", "is_falling_back") != true || field(c1, "m.relates_to", "m.in_reply_to", "event_id") != string(root) {
		t.Errorf("first reply: %v", c1)
	}
	if c2["body"] != "second" || field(c2, "m.relates_to", "is_falling_back") == true ||
		field(c2, "m.relates_to", "m.in_reply_to", "event_id") != string(first) {
		t.Errorf("second reply (a reply inside the thread): %v", c2)
	}
	if u, _ := field(c2, "m.mentions", "user_ids").([]any); len(u) != 1 || u[0] != alice.UserID {
		t.Errorf("second reply m.mentions = %v, want alice", field(c2, "m.mentions"))
	}
	if field(c3, "m.relates_to", "m.in_reply_to", "event_id") != string(root) || field(c3, "m.relates_to", "is_falling_back") != true {
		t.Errorf("third reply with no latest given: %v", c3)
	}

	// The server holds ciphertext, the thread relation in the clear.
	raw, err := bob.Messages(ctxT(t), string(roomID), 50)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, ev := range raw {
		if ev.EventID != string(first) && ev.EventID != string(second) && ev.EventID != string(third) {
			continue
		}
		seen++
		var c map[string]any
		_ = json.Unmarshal(ev.Content, &c)
		if ev.Type != "m.room.encrypted" || field(c, "m.relates_to", "rel_type") != "m.thread" || field(c, "m.relates_to", "event_id") != string(root) {
			t.Errorf("thread reply on the server: %s %s", ev.Type, ev.Content)
		}
	}
	if seen != 3 {
		t.Errorf("the server's /messages showed %d of the 3 thread replies", seen)
	}
}
