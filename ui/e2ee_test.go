package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/matrix/e2ee"
	"github.com/termatrix/termatrix/ui/uitest"
)

const secretRoom = id.RoomID("!secret:hs")

// secretPlace opens an encrypted room with a topic in an offline UI.
func secretPlace(t *testing.T) (*UI, tcell.SimulationScreen) {
	t.Helper()
	u, screen := offlineUI(t, &lockedBuffer{})
	u.queue(func() {
		u.handleUpdate(matrix.RoomsChanged{Rooms: matrix.NewRoomList(matrix.Room{ID: secretRoom, Name: "Secret Place", Topic: "plans",
			Membership: event.MembershipJoin, Encrypted: true, JoinedMembers: 2})})
	})
	uitest.WaitFor(t, screen, "Secret Place", 5*time.Second)
	return u, screen
}

// styleAt is the style of the cell where text starts on the screen.
func styleAt(t *testing.T, screen tcell.SimulationScreen, text string) tcell.Style {
	t.Helper()
	cells, w, _ := uitest.Cells(screen)
	for y, r := range uitest.Dump(screen) {
		if x := strings.Index(r, text); x >= 0 {
			// Dump joins the runes of a row; before text there are only
			// single-column ASCII cells in these tests.
			return cells[y*w+len([]rune(r[:x]))].Style
		}
	}
	t.Fatalf("%q is not on the screen:\n%s", text, uitest.Text(screen))
	return tcell.StyleDefault
}

func bobSays(n int, body string, trust id.TrustState) *event.Event {
	ev := textEvent(n, body)
	ev.Sender, ev.RoomID = "@bob:hs", secretRoom
	ev.Mautrix.WasEncrypted, ev.Mautrix.TrustState = true, trust
	ev.Mautrix.TrustSource = &id.Device{UserID: "@bob:hs", DeviceID: "BOBPHONE"}
	return ev
}

// TestUndecryptableReplacedInPlace: a message this session cannot decrypt
// shows why, with the sender's (sanitized) name, in a dim warning style;
// when its key comes, EventsDecrypted puts the message in the very same
// row, the placeholder goes, and nothing is appended below.
func TestUndecryptableReplacedInPlace(t *testing.T) {
	u, screen := secretPlace(t)
	key := "displayname"
	member := &event.Event{ID: "$m", Type: event.StateMember, Sender: "@bob:hs", StateKey: ptr("@bob:hs"), RoomID: secretRoom,
		Timestamp: 1700000000000, Content: event.Content{Raw: map[string]any{"membership": "join", key: "Bob\u202e"}}}
	utd := &event.Event{ID: "$utd", Type: event.EventEncrypted, Sender: "@bob:hs", RoomID: secretRoom, Timestamp: 1700000002000,
		Content: event.Content{Parsed: &matrix.Undecryptable{Encrypted: &event.EncryptedEventContent{},
			Failure: e2ee.Failure{Kind: e2ee.Waiting, Device: "BOB\x1b[2JPHONE"}}}}
	after := bobSays(3, "after it", id.TrustStateCrossSignedTOFU)
	u.queue(func() {
		u.handleUpdate(matrix.TimelineAppended{RoomID: secretRoom, Events: []*event.Event{member, bobSays(1, "before it", id.TrustStateCrossSignedTOFU), utd, after}})
	})
	// A name with a direction override is shown with the user ID, as
	// Element does (the override is removed either way).
	placeholder := "Bob (@bob:hs): Unable to decrypt: waiting for the key from Bob (@bob:hs)'s device BOB[2JPHONE"
	text := uitest.WaitFor(t, screen, placeholder, 5*time.Second)
	if strings.Contains(text, "\x1b") || strings.Contains(text, "\u202e") {
		t.Fatalf("remote control characters reached the screen:\n%q", text)
	}
	if st := styleAt(t, screen, "Unable to decrypt"); st != styleUndecryptable {
		t.Errorf("placeholder style %v, want the dim warning style %v", st, styleUndecryptable)
	}
	row, afterRow := uitest.Row(screen, placeholder), uitest.Row(screen, "after it")

	dec := bobSays(2, "the secret is out", id.TrustStateCrossSignedTOFU)
	dec.ID = "$utd"
	u.queue(func() { u.handleUpdate(matrix.EventsDecrypted{RoomID: secretRoom, Events: []*event.Event{dec}}) })
	text = uitest.WaitUntil(t, screen, "the message replaces its placeholder", 5*time.Second, func(s string) bool {
		return strings.Contains(s, "Bob (@bob:hs): the secret is out") && !strings.Contains(s, "Unable to decrypt")
	})
	if got := uitest.Row(screen, "Bob (@bob:hs): the secret is out"); got != row {
		t.Errorf("decrypted message on row %d, its placeholder was on row %d:\n%s", got, row, text)
	}
	if got := uitest.Row(screen, "after it"); got != afterRow {
		t.Errorf("the next message moved from row %d to %d:\n%s", afterRow, got, text)
	}
	if n := strings.Count(text, "the secret is out"); n != 1 {
		t.Errorf("the decrypted message shows %d times:\n%s", n, text)
	}
	// An event the view does not hold is not appended.
	other := bobSays(9, "never loaded", id.TrustStateCrossSignedTOFU)
	u.queue(func() { u.handleUpdate(matrix.EventsDecrypted{RoomID: secretRoom, Events: []*event.Event{other}}) })
	onUI(t, u, func() {})
	if strings.Contains(uitest.Text(screen), "never loaded") {
		t.Error("EventsDecrypted appended an event that was not shown")
	}
}

func ptr(s string) *string { return &s }

// TestTrustMarkers: a message from a device its owner did not verify gets
// a red ⚠ before the body and says why after it; a key from the backup or
// forwarded gets only a dim note; a cross-signed device, none.
func TestTrustMarkers(t *testing.T) {
	u, screen := secretPlace(t)
	u.queue(func() {
		u.handleUpdate(matrix.TimelineAppended{RoomID: secretRoom, Events: []*event.Event{
			bobSays(1, "from a new phone", id.TrustStateUnset),
			bobSays(2, "from the backup", id.TrustStateBackup),
			bobSays(3, "forwarded to me", id.TrustStateForwarded),
			bobSays(4, "cross-signed", id.TrustStateCrossSignedTOFU),
			bobSays(5, "from nowhere", id.TrustStateUnknownDevice),
			bobSays(6, "after a reset", id.TrustStateCrossSignedUntrusted),
		}})
	})
	text := uitest.WaitFor(t, screen, "@bob:hs: ⚠ from a new phone (unverified device)", 5*time.Second)
	for _, want := range []string{
		"@bob:hs: from the backup (key from backup)",
		"@bob:hs: forwarded to me (forwarded key)",
		"@bob:hs: ⚠ from nowhere (unknown device)",
		"@bob:hs: ⚠ after a reset (sender's identity changed)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("screen lacks %q:\n%s", want, text)
		}
	}
	if row := uitest.Dump(screen)[uitest.Row(screen, "cross-signed")]; strings.Contains(row, "⚠") || strings.Contains(row, "(") {
		t.Errorf("a cross-signed device's message is marked: %q", row)
	}
	if st := styleAt(t, screen, "⚠ from a new phone"); st != styleUntrusted {
		t.Errorf("⚠ style %v, want red", st)
	}
	if st := styleAt(t, screen, "(key from backup)"); st != styleDim {
		t.Errorf("backup note style %v, want dim", st)
	}
}

// TestOwnDeviceHasNoTrustMarker: the user's own messages from this
// session are not marked; from another, unverified session they are.
func TestOwnDeviceHasNoTrustMarker(t *testing.T) {
	rc := testContext()
	rc.OwnDevice = "THISONE"
	ev := mkEvent(t, `{"type":"m.room.message","sender":"@bob:hs","event_id":"$e","origin_server_ts":1700000000000,"content":{"msgtype":"m.text","body":"hi"}}`)
	ev.Mautrix.WasEncrypted = true
	ev.Mautrix.TrustSource = &id.Device{UserID: "@bob:hs", DeviceID: "THISONE"}
	if got := renderText(ev, rc, ItemState{}); got != "22:13 bob: hi" {
		t.Errorf("own device: %q", got)
	}
	ev.Mautrix.TrustSource.DeviceID = "OLDLAPTOP"
	if got := renderText(ev, rc, ItemState{}); got != "22:13 bob: ⚠ hi (unverified device)" {
		t.Errorf("own other device: %q", got)
	}
}

// TestEncryptedRoomIsAnOrdinaryRoom: the header marks an encrypted room
// next to its name, no banner warns about it any more, and a message that
// could not be encrypted says so and offers the retry key.
func TestEncryptedRoomIsAnOrdinaryRoom(t *testing.T) {
	u, screen := secretPlace(t)
	// The second column of 🔒 is not drawn: match on either side of it.
	text := uitest.WaitFor(t, screen, " Secret Place 🔒", 5*time.Second)
	if header := uitest.Dump(screen)[0]; !strings.HasSuffix(header, " encrypted — plans") {
		t.Errorf("header %q", header)
	}
	if strings.Contains(text, "cannot encrypt") || strings.Contains(text, "Encrypted room:") {
		t.Fatalf("the old read-only warning is still shown:\n%s", text)
	}
	echo := textEvent(1, "hello there")
	u.queue(func() {
		u.handleUpdate(matrix.LocalEcho{RoomID: secretRoom, TxnID: "t1", Event: echo})
		u.handleUpdate(matrix.EchoResolved{RoomID: secretRoom, TxnID: "t1",
			Err: fmt.Errorf("%w (%v)", matrix.ErrEncryptedRoom, errors.New("no keys for @bob:hs\x1b[2J"))})
	})
	text = uitest.WaitFor(t, screen, "Not sent: it could not be encrypted (no keys for @bob:hs[2J) — press Ctrl+R to retry", 5*time.Second)
	if !strings.Contains(text, "hello there (failed to send: it could not be encrypted — press Ctrl+R to retry") {
		t.Errorf("the message is not marked failed with its retry key:\n%s", text)
	}
}

// TestVerificationNotices: the status line tells what to do about this
// session's verification, keeps a short reminder once the notice has gone
// until it is done, and shows the key backup's restore.
func TestVerificationNotices(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	u.queue(func() { u.w.statusTTL = [2]time.Duration{300 * time.Millisecond, 300 * time.Millisecond} })
	send := func(up matrix.Update) { u.queue(func() { u.handleUpdate(up) }) }
	send(matrix.VerificationChanged{})
	uitest.WaitFor(t, screen, msgNoCrossSign, 5*time.Second)
	uitest.WaitFor(t, screen, "not logged in · "+markNoCrossSign, 5*time.Second)
	send(matrix.VerificationChanged{Verification: matrix.Verification{CrossSigning: true}})
	uitest.WaitFor(t, screen, msgNotVerified, 5*time.Second)
	text := uitest.WaitFor(t, screen, "not logged in · ⚠ unverified session: /recovery", 5*time.Second)
	if strings.Contains(text, markNoCrossSign) {
		t.Errorf("both marks:\n%s", text)
	}
	send(matrix.BackupProgress{Restoring: true})
	uitest.WaitFor(t, screen, "Restoring keys from backup…", 5*time.Second)
	send(matrix.BackupProgress{Done: true, Keys: 12})
	uitest.WaitFor(t, screen, "Restored 12 keys from backup.", 5*time.Second)
	send(matrix.BackupProgress{Err: errors.New("backup version gone\x07")})
	uitest.WaitFor(t, screen, "Restoring keys from backup failed: backup version gone", 5*time.Second)
	send(matrix.VerificationChanged{Verification: matrix.Verification{CrossSigning: true, Verified: true}})
	uitest.WaitFor(t, screen, "This session is verified.", 5*time.Second)
	uitest.WaitUntil(t, screen, "the notice goes, with no reminder", 5*time.Second, func(s string) bool {
		return !strings.Contains(s, "This session is") && !strings.Contains(s, "unverified session") && strings.Contains(s, "not logged in")
	})
}
