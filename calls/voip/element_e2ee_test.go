package voip_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/internal/elementpeer"
)

// newEncryptedElementRig is newElementRig for an encrypted DM with an
// Element user as Element is today: Rust crypto, cross-signing set up,
// and room keys sent only to devices their owner signed. termatrix sets
// up cross-signing itself (it is the only session of its account), so
// Element shares keys with it.
func newEncryptedElementRig(tb testing.TB, name string) *elementRig {
	tb.Helper()
	st := stack.Get(tb)
	eu := st.MustRegister(tb, "el"+name)
	wav := filepath.Join(tb.TempDir(), "element-tone.wav")
	if err := elementpeer.WriteToneWAV(wav, elementTone, 2*time.Second); err != nil {
		tb.Fatal(err)
	}
	el := elementpeer.ForTest(tb, elementpeer.Options{
		BaseURL: st.BaseURL, UserID: eu.UserID, AccessToken: eu.AccessToken, DeviceID: eu.DeviceID,
		ForceTURN: true, FakeAudioFile: wav, Crypto: true, Password: eu.Password,
	})
	us := newPeer(tb, st, "tm"+name, peerOpts{tone: fmt.Sprintf("tone:%.0f", ourTone)})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := el.BootstrapCrossSigning(ctx); err != nil {
		tb.Fatalf("Element: bootstrapping cross-signing: %v", err)
	}
	if err := el.SetOnlySignedDevices(ctx, true); err != nil {
		tb.Fatal(err)
	}
	if _, err := us.cli.SetupCrossSigning(ctx, us.user.Password, false); err != nil {
		tb.Fatalf("termatrix: setting up cross-signing: %v", err)
	}
	roomID, err := el.CreateEncryptedDM(ctx, us.user.UserID)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := us.user.Join(ctx, roomID); err != nil {
		tb.Fatal(err)
	}
	for {
		if room, ok := us.cli.Room(id.RoomID(roomID)); ok && room.JoinedMembers == 2 && room.Encrypted {
			break
		}
		select {
		case <-ctx.Done():
			tb.Fatal("termatrix never saw the encrypted DM with 2 members")
		case <-time.After(50 * time.Millisecond):
		}
	}
	// Element tracks the devices of users it shares an encrypted room with.
	if _, err := el.WaitDeviceSignedByOwner(ctx, us.user.UserID, us.user.DeviceID); err != nil {
		tb.Fatalf("Element never saw termatrix's device signed by its owner: %v", err)
	}
	return &elementRig{us: us, el: el, eu: eu, room: id.RoomID(roomID)}
}

// TestElementEncryptedCalls places 1:1 calls between termatrix and
// Element in an encrypted DM, Element in "only signed devices" mode, both
// forced through coturn: each side calls, the other answers, audio flows
// both ways, and every m.call.* event went over the wire encrypted.
func TestElementEncryptedCalls(t *testing.T) {
	r := newEncryptedElementRig(t, "e2ee")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	t.Run("Element calls us in the encrypted DM", func(t *testing.T) {
		t.Cleanup(r.endAll)
		from := r.mark()
		_, ours := r.answerElementCall(t, ctx)
		r.checkMedia(t, ours)
		if err := r.el.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		r.waitAfter(t, from, "ended", func(c calls.CallInfo) bool {
			return c.CallID == ours.CallID && c.State == calls.CallEnded
		})
	})

	t.Run("we call Element in the encrypted DM", func(t *testing.T) {
		t.Cleanup(r.endAll)
		callID := r.connectOurCall(t, ctx)
		ours, _ := r.us.mgr.Active()
		r.checkMedia(t, ours)
		from := r.mark()
		if err := r.us.mgr.Hangup(r.room); err != nil {
			t.Fatal(err)
		}
		r.waitAfter(t, from, "ended", func(c calls.CallInfo) bool { return c.CallID == callID && c.State == calls.CallEnded })
		if _, err := r.el.WaitHangup(ctx); err != nil {
			t.Fatal(err)
		}
	})

	// Every call event in the room, both sides', went encrypted.
	deadline := time.Now().Add(waitTimeout)
	for {
		evs, err := r.el.CallEventsEncrypted(ctx, string(r.room))
		if err != nil {
			t.Fatal(err)
		}
		senders := map[string]bool{}
		var clear []string
		for _, ev := range evs {
			senders[ev.Sender] = true
			if !ev.Encrypted {
				clear = append(clear, ev.Type+" from "+ev.Sender)
			}
		}
		if len(clear) > 0 {
			t.Fatalf("call events in clear: %s", strings.Join(clear, ", "))
		}
		if senders[r.us.user.UserID] && senders[r.eu.UserID] {
			t.Logf("%d call events, all encrypted, from both sides", len(evs))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Element saw call events from %v only", senders)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
