package matrix

import (
	"encoding/json"
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// sentID waits for the outbox to resolve txn and returns its event ID.
func (l *live) sentID(t *testing.T, txn string) id.EventID {
	t.Helper()
	res := l.rec.waitFor(t, waitTimeout, "echo resolved", func(u Update) bool {
		er, ok := u.(EchoResolved)
		return ok && er.TxnID == txn
	}).(EchoResolved)
	if res.Err != nil || res.EventID == "" {
		t.Fatalf("%s resolved %+v", txn, res)
	}
	return res.EventID
}

// rawContent is an event's content as decoded JSON.
func rawContent(t *testing.T, ev *event.Event) map[string]any {
	t.Helper()
	data := ev.Content.VeryRaw
	if len(data) == 0 {
		data, _ = json.Marshal(ev.Content.Raw)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func field(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		o, _ := v.(map[string]any)
		v = o[k]
	}
	return v
}

// TestRelationsInEncryptedRoom: a reply, an edit and a reaction sent in an
// end-to-end encrypted room go through the outbox encrypted (the server
// holds no plaintext of them, only m.relates_to beside the ciphertext of
// the edit and the reaction, as the spec wants), the other client
// decrypts them with the shapes Element sends, and a redaction (taking
// the reaction back) goes in the clear, as redactions must.
func TestRelationsInEncryptedRoom(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "ralice")
	bob := st.MustRegister(t, "rbob")
	a := loginLive(t, st, alice)
	b := loginLive(t, st, bob)
	roomID := encryptedRoom(t, b, a, bob)
	a.waitRoom(t, roomID, "joined and encrypted", func(r Room) bool {
		return r.Membership == event.MembershipJoin && r.Encrypted && r.JoinedMembers == 2
	})
	orig := b.sentID(t, b.SendText(roomID, "original words", false))

	reply := a.sentID(t, a.SendReply(roomID, "reply words", orig, b.UserID()))
	edit := a.sentID(t, a.SendEdit(roomID, Edit{Target: reply}, "reply words, fixed @"+string(b.UserID())))
	txn, err := a.React(roomID, orig, "🎉")
	if err != nil {
		t.Fatal(err)
	}
	reaction := a.sentID(t, txn)
	if _, err := a.React(roomID, orig, strings.Repeat("x", 300)); err == nil {
		t.Error("a 300-byte reaction key was accepted")
	}

	got := b.waitEvent(t, roomID, "the reply", func(ev *event.Event) bool { return ev.ID == reply })
	rc := rawContent(t, got)
	if !got.Mautrix.WasEncrypted || rc["body"] != "reply words" || field(rc, "m.relates_to", "m.in_reply_to", "event_id") != string(orig) ||
		rc["formatted_body"] != nil || field(rc, "m.mentions", "user_ids").([]any)[0] != string(b.UserID()) {
		t.Errorf("reply: encrypted %v, %v", got.Mautrix.WasEncrypted, rc)
	}
	got = b.waitEvent(t, roomID, "the edit", func(ev *event.Event) bool { return ev.ID == edit })
	ec := rawContent(t, got)
	if !got.Mautrix.WasEncrypted || ec["body"] != "* reply words, fixed @"+string(b.UserID()) ||
		field(ec, "m.new_content", "body") != "reply words, fixed @"+string(b.UserID()) ||
		field(ec, "m.relates_to", "rel_type") != "m.replace" || field(ec, "m.relates_to", "event_id") != string(reply) ||
		field(ec, "m.new_content", "m.relates_to") != nil {
		t.Errorf("edit: encrypted %v, %v", got.Mautrix.WasEncrypted, ec)
	}
	// The edit newly mentions bob: top level and new content both say so.
	if u, _ := field(ec, "m.mentions", "user_ids").([]any); len(u) != 1 || u[0] != string(b.UserID()) {
		t.Errorf("edit m.mentions = %v", field(ec, "m.mentions"))
	}
	got = b.waitEvent(t, roomID, "the reaction", func(ev *event.Event) bool { return ev.ID == reaction })
	xc := rawContent(t, got)
	if !got.Mautrix.WasEncrypted || got.Type != event.EventReaction || field(xc, "m.relates_to", "rel_type") != "m.annotation" ||
		field(xc, "m.relates_to", "event_id") != string(orig) || field(xc, "m.relates_to", "key") != "🎉" {
		t.Errorf("reaction: %s encrypted %v, %v", got.Type.Type, got.Mautrix.WasEncrypted, xc)
	}

	redaction, err := a.Redact(ctxT(t), roomID, reaction, "changed my mind")
	if err != nil {
		t.Fatal(err)
	}
	b.waitEvent(t, roomID, "the redaction", func(ev *event.Event) bool { return ev.ID == redaction && ev.Type == event.EventRedaction })

	// What the server holds: ciphertext, relations in the clear beside it,
	// the redaction in the clear.
	evs, err := bob.Messages(ctxT(t), string(roomID), 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Sender != alice.UserID || ev.StateKey != nil {
			continue
		}
		if strings.Contains(string(ev.Content), "words") {
			t.Errorf("plaintext on the server: %s", ev.Content)
		}
		var c map[string]any
		_ = json.Unmarshal(ev.Content, &c)
		switch ev.EventID {
		case string(edit):
			if ev.Type != "m.room.encrypted" || field(c, "m.relates_to", "rel_type") != "m.replace" {
				t.Errorf("edit on the server: %s %s", ev.Type, ev.Content)
			}
		case string(reaction):
			if ev.Type != "m.room.encrypted" {
				t.Errorf("reaction on the server: %s %s", ev.Type, ev.Content)
			}
		case string(redaction):
			if ev.Type != "m.room.redaction" || c["reason"] != "changed my mind" {
				t.Errorf("redaction on the server: %s %s", ev.Type, ev.Content)
			}
		}
	}
}
