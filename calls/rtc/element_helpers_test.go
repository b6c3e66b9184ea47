package rtc

import (
	"path/filepath"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/internal/elementpeer"
	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/matrix"
)

// callRoom makes a room of creator's that members join, in which every
// member may send call memberships (as Element's createRoom sets it up):
// encrypted or not, a DM (trusted_private_chat, is_direct) or a group.
func callRoom(t testing.TB, encrypted, direct bool, creator teststack.User, members ...teststack.User) id.RoomID {
	t.Helper()
	ctx := ctxT(t)
	invite := make([]string, len(members))
	for i, u := range members {
		invite[i] = u.UserID
	}
	req := map[string]any{
		"preset": "private_chat", "invite": invite,
		"power_level_content_override": map[string]any{"events": map[string]any{MemberStateType.Type: 0}},
	}
	if direct {
		req["preset"], req["is_direct"] = "trusted_private_chat", true
	}
	if encrypted {
		req["initial_state"] = []any{map[string]any{"type": "m.room.encryption", "state_key": "",
			"content": map[string]any{"algorithm": "m.megolm.v1.aes-sha2"}}}
	}
	roomID, err := creator.CreateRoom(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range members {
		if _, err := u.Join(ctx, roomID); err != nil {
			t.Fatal(err)
		}
	}
	return id.RoomID(roomID)
}

// elementPeer starts an Element-shaped js-sdk peer (Rust crypto, its
// cross-signing bootstrapped) logged in as u, whose microphone plays a
// tone of hz (silence if 0).
func elementPeer(t testing.TB, st *teststack.Stack, u teststack.User, hz float64) *elementpeer.Peer {
	t.Helper()
	o := elementpeer.Options{BaseURL: st.BaseURL, UserID: u.UserID, AccessToken: u.AccessToken, DeviceID: u.DeviceID,
		Crypto: true, Password: u.Password}
	if hz > 0 {
		o.FakeAudioFile = filepath.Join(t.TempDir(), "element-tone.wav")
		if err := elementpeer.WriteToneWAV(o.FakeAudioFile, hz, 2*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	el := elementpeer.ForTest(t, o)
	if _, err := el.BootstrapCrossSigning(ctxT(t)); err != nil {
		t.Fatalf("Element: bootstrapping cross-signing: %v", err)
	}
	return el
}

// crossSignedClient is liveClient with cross-signing set up, so that
// Element's Rust crypto trusts the device's Olm messages.
func crossSignedClient(t testing.TB, st *teststack.Stack, u teststack.User) (*matrix.Client, func()) {
	t.Helper()
	c, stop := liveClient(t, st, u)
	if _, err := c.SetupCrossSigning(ctxT(t), u.Password, false); err != nil {
		t.Fatalf("termatrix: setting up cross-signing: %v", err)
	}
	return c, stop
}

// waitInRoom waits until each client is joined to the room (encrypted as
// asked) and, when el is set, until Element sees each client's device
// signed by its owner.
func waitInRoom(t testing.TB, roomID id.RoomID, encrypted bool, el *elementpeer.Peer, cs ...*matrix.Client) {
	t.Helper()
	for _, c := range cs {
		waitFor(t, string(c.UserID())+" in the room", func() bool {
			r, ok := c.Room(roomID)
			return ok && r.Membership == event.MembershipJoin && r.Encrypted == encrypted && c.CanSendState(roomID, MemberStateType)
		})
		if el != nil {
			if _, err := el.WaitDeviceSignedByOwner(ctxT(t), string(c.UserID()), string(c.DeviceID())); err != nil {
				t.Fatalf("Element never saw %s's device signed: %v", c.UserID(), err)
			}
		}
	}
}

// ElementDM is an encrypted DM of a cross-signed termatrix client and an
// Element-shaped js-sdk peer that trusts its device.
type ElementDM struct {
	TU, EU teststack.User
	C      *matrix.Client
	StopC  func()
	El     *elementpeer.Peer
	Room   id.RoomID
}

// Ours is the termatrix client's LiveKit identity.
func (d ElementDM) Ours() string { return d.TU.UserID + ":" + string(d.C.DeviceID()) }

// newElementDM registers a termatrix user and an Element user (names from
// prefix), starts both, and has Element create an encrypted DM the
// termatrix user joins. Element's microphone plays elTone (0: silence).
func newElementDM(t testing.TB, st *teststack.Stack, prefix string, elTone float64) ElementDM {
	t.Helper()
	d := ElementDM{TU: st.MustRegister(t, "tm-"+prefix), EU: st.MustRegister(t, "el-"+prefix)}
	d.El = elementPeer(t, st, d.EU, elTone)
	d.C, d.StopC = crossSignedClient(t, st, d.TU)
	room, err := d.El.CreateEncryptedDM(ctxT(t), d.TU.UserID)
	if err != nil {
		t.Fatal(err)
	}
	d.Room = id.RoomID(room)
	if _, err := d.TU.Join(ctxT(t), room); err != nil {
		t.Fatal(err)
	}
	waitInRoom(t, d.Room, true, d.El, d.C)
	return d
}
