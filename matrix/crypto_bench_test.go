package matrix

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/crypto/olm"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// benchRooms × benchEvents is the initial sync the E2EE benchmark stores.
const benchRooms, benchEvents = 10, 100

// encryptedSync builds an initial sync of benchRooms rooms with
// benchEvents messages each, Megolm-encrypted with one session per room
// when encrypt is set, and returns the inbound sessions a receiver needs.
func encryptedSync(b *testing.B, encrypt bool) (*mautrix.RespSync, []*crypto.InboundGroupSession) {
	b.Helper()
	resp := &mautrix.RespSync{NextBatch: "s1", Rooms: mautrix.RespSyncRooms{Join: map[id.RoomID]*mautrix.SyncJoinedRoom{}}}
	var sessions []*crypto.InboundGroupSession
	const senderKey = id.SenderKey("c2VuZGVyLWtleS1mb3ItdGhlLWJlbmNobWFyay0xMjM")
	for r := range benchRooms {
		roomID := id.RoomID(fmt.Sprintf("!bench%d:localhost", r))
		enc := mkEvent(b, "m.room.encryption", sk(""), "@bob:localhost", fmt.Sprintf("$enc%d", r), 1, map[string]any{"algorithm": "m.megolm.v1.aes-sha2"})
		jr := &mautrix.SyncJoinedRoom{State: mautrix.SyncEventsList{Events: []*event.Event{enc,
			memberEvent(b, "@bob:localhost", "join", "Bob", 1), memberEvent(b, "@me:localhost", "join", "Me", 1)}}}
		out, err := olm.NewOutboundGroupSession()
		if err != nil {
			b.Fatal(err)
		}
		if encrypt {
			igs, err := crypto.NewInboundGroupSession(senderKey, "signing", roomID, out.Key(), 0, 0, nil, false)
			if err != nil {
				b.Fatal(err)
			}
			sessions = append(sessions, igs)
		}
		for i := range benchEvents {
			evID := fmt.Sprintf("$e%d-%d", r, i)
			content := map[string]any{"msgtype": "m.text", "body": fmt.Sprintf("message %d in room %d", i, r)}
			if !encrypt {
				jr.Timeline.Events = append(jr.Timeline.Events, mkEvent(b, "m.room.message", nil, "@bob:localhost", evID, int64(1000+i), content))
				continue
			}
			plain, _ := json.Marshal(map[string]any{"type": "m.room.message", "content": content, "room_id": roomID})
			ct, err := out.Encrypt(plain)
			if err != nil {
				b.Fatal(err)
			}
			jr.Timeline.Events = append(jr.Timeline.Events, mkEvent(b, "m.room.encrypted", nil, "@bob:localhost", evID, int64(1000+i), map[string]any{
				"algorithm": "m.megolm.v1.aes-sha2", "sender_key": senderKey, "session_id": out.ID(),
				"ciphertext": string(ct), "device_id": "BOBDEV",
			}))
		}
		resp.Rooms.Join[roomID] = jr
	}
	return resp, sessions
}

// BenchmarkInitialSyncE2EE stores an initial sync of 1,000 messages in
// cleartext and the same 1,000 Megolm-encrypted (decrypted inside the sync
// transaction), each into a new store: the ratio is what decryption adds.
func BenchmarkInitialSyncE2EE(b *testing.B) {
	for _, encrypt := range []bool{false, true} {
		name := "cleartext"
		if encrypt {
			name = "encrypted"
		}
		b.Run(name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				b.StopTimer()
				resp, sessions := encryptedSync(b, encrypt)
				c, err := Open(context.Background(), offlineSession(), filepath.Join(b.TempDir(), fmt.Sprintf("s%d.db", n)), Options{})
				if err != nil {
					b.Fatal(err)
				}
				for _, s := range sessions {
					if err := c.crypto.store.PutGroupSession(context.Background(), s); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				ups, err := c.applySync(context.Background(), resp, "")
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if encrypt {
					checkDecrypted(b, ups)
				}
				_ = c.Close()
				n++
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/sync")
		})
	}
}

func checkDecrypted(b *testing.B, ups []Update) {
	b.Helper()
	got := 0
	for _, u := range ups {
		if ta, ok := u.(TimelineAppended); ok {
			for _, ev := range ta.Events {
				if ev.Type == event.EventMessage && ev.Mautrix.WasEncrypted {
					got++
				}
			}
		}
	}
	if got != benchRooms*benchEvents {
		b.Fatalf("decrypted %d of %d events", got, benchRooms*benchEvents)
	}
}

// BenchmarkEncryptSend measures what encryption adds to one send: Megolm-
// encrypting a message with an established session (the network send
// itself is the same in both cases).
func BenchmarkEncryptSend(b *testing.B) {
	c, err := Open(context.Background(), offlineSession(), filepath.Join(b.TempDir(), "s.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	roomID := id.RoomID("!bench:localhost")
	ctx := context.Background()
	sess, err := crypto.NewOutboundGroupSession(roomID, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	sess.Shared = true
	if err := c.crypto.store.AddOutboundGroupSession(ctx, sess); err != nil {
		b.Fatal(err)
	}
	content := &event.MessageEventContent{MsgType: event.MsgText, Body: "hello there"}
	for b.Loop() {
		if _, err := c.crypto.mach.EncryptMegolmEvent(ctx, roomID, event.EventMessage, content); err != nil {
			b.Fatal(err)
		}
	}
}
