package matrix

import (
	"context"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/internal/elementpeer"
	"github.com/termatrix/termatrix/internal/teststack"
)

// TestElementEmojiVerification verifies termatrix with emoji against
// Element's own crypto (matrix-js-sdk with its Rust crypto), one Element
// session of alice (with cross-signing) for everything:
//   - two termatrix sessions of alice verify themselves with it,
//     to-device: one asks (its request goes to every other session; the
//     one that did not answer is told so) and confirms first; Element
//     asks the other (requestDeviceVerification) and confirms first.
//     Afterwards Element sees each session cross-signing verified, and
//     each says it is verified (it got the cross-signing keys and the
//     backup key from Element). Then Element asks every verified session
//     (requestOwnUserVerification) and starts the emoji itself.
//   - bob and carol (termatrix, with cross-signing) verify alice in the
//     encrypted DM Element made, as Element does it: bob asks and Element
//     confirms first; Element asks carol and starts the emoji, carol
//     confirms first. Afterwards Element has verified them and they
//     trust alice. Then Element asks dave in the DM, dave starts the
//     emoji at once (Element's default path), and Element says they
//     differ: both end cancelled and nobody is trusted.
//
// The emoji (symbols and names) are the same on both sides every time.
func TestElementEmojiVerification(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "evalice")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	ea := elementSession(t, st, alice, "")
	if _, err := ea.BootstrapCrossSigning(ctx); err != nil {
		t.Fatal(err)
	}
	self1 := loginVerify(t, st, alice)
	self2 := loginVerify(t, st, alice)

	t.Run("self, termatrix asks, termatrix confirms first", func(t *testing.T) {
		ctx := elementStep(t, ea)
		begun := time.Now()
		txn, err := self1.StartVerification(ctx, id.UserID(alice.UserID))
		if err != nil {
			t.Fatal(err)
		}
		req, err := ea.WaitVerificationRequest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if req.TxnID != txn || !req.Self || req.DeviceID != string(self1.DeviceID()) {
			t.Fatalf("Element got %+v, want %s from %s", req, txn, self1.DeviceID())
		}
		if err := ea.AcceptVerification(ctx); err != nil {
			t.Fatal(err)
		}
		sameEmoji(t, ctx, ea, waitSAS(t, self1, txn))
		confirmBoth(t, ctx, ea, self1, txn, true)
		t.Logf("done on both sides %v after the request", time.Since(begun).Round(time.Millisecond))
		selfVerified(t, ctx, ea, alice, self1)
		// The request went to every other session of alice; the one that
		// did not answer was told so.
		if e := waitEnded(t, self2, txn); e.Done || e.Reason != "answered on another session" {
			t.Errorf("the session that did not answer: %+v", e)
		}
	})

	t.Run("self, Element asks one session, Element confirms first", func(t *testing.T) {
		ctx := elementStep(t, ea)
		elementKnows(t, ctx, ea, alice.UserID, self2.DeviceID())
		begun, m := time.Now(), mark(self2)
		if _, err := ea.RequestDeviceVerification(ctx, alice.UserID, string(self2.DeviceID())); err != nil {
			t.Fatal(err)
		}
		req := waitRequested(t, self2, m, id.UserID(alice.UserID))
		if req.DeviceID != id.DeviceID(alice.DeviceID) {
			t.Fatalf("request %+v, want from %s", req, alice.DeviceID)
		}
		if err := self2.AcceptVerification(req.TxnID); err != nil {
			t.Fatal(err)
		}
		sameEmoji(t, ctx, ea, waitSAS(t, self2, req.TxnID))
		confirmBoth(t, ctx, ea, self2, req.TxnID, false)
		t.Logf("done on both sides %v after the request", time.Since(begun).Round(time.Millisecond))
		selfVerified(t, ctx, ea, alice, self2)
	})

	// Element's requestOwnUserVerification asks the sessions its owner
	// has verified (it is how a new session asks the old ones): both
	// termatrix sessions by now. The first to answer takes it.
	t.Run("self, Element asks every verified session and starts, termatrix confirms first", func(t *testing.T) {
		ctx := elementStep(t, ea)
		self1.verif().noAutoStart.Store(true) // Element sends the start
		begun, m1, m2 := time.Now(), mark(self1), mark(self2)
		if _, err := ea.RequestOwnVerification(ctx); err != nil {
			t.Fatal(err)
		}
		req := waitRequested(t, self1, m1, id.UserID(alice.UserID))
		if other := waitRequested(t, self2, m2, id.UserID(alice.UserID)); other.TxnID != req.TxnID {
			t.Fatalf("the two sessions got %s and %s", req.TxnID, other.TxnID)
		}
		if req.DeviceID != id.DeviceID(alice.DeviceID) || req.RoomID != "" {
			t.Fatalf("request %+v, want to-device from %s", req, alice.DeviceID)
		}
		if err := self1.AcceptVerification(req.TxnID); err != nil {
			t.Fatal(err)
		}
		if err := ea.StartSAS(ctx); err != nil {
			t.Fatal(err)
		}
		sameEmoji(t, ctx, ea, waitSAS(t, self1, req.TxnID))
		confirmBoth(t, ctx, ea, self1, req.TxnID, true)
		t.Logf("done on both sides %v after the request", time.Since(begun).Round(time.Millisecond))
		if e := waitEnded(t, self2, req.TxnID); e.Done || e.Reason != "answered on another session" {
			t.Errorf("the session that did not answer: %+v", e)
		}
	})

	// Other users: termatrix with cross-signing, in an encrypted DM that
	// Element made.
	otherUser := func(ctx context.Context, t *testing.T, prefix string) (*live, teststack.User, id.RoomID) {
		u := st.MustRegister(t, prefix)
		l := loginVerify(t, st, u)
		settled(t, l)
		if _, err := l.SetupCrossSigning(ctx, u.Password, false); err != nil {
			t.Fatal(err)
		}
		rid, err := ea.CreateEncryptedDM(ctx, u.UserID)
		if err != nil {
			t.Fatal(err)
		}
		roomID := id.RoomID(rid)
		l.waitRoom(t, roomID, "the DM invite", func(r Room) bool { return r.Membership == event.MembershipInvite })
		if _, err := l.JoinRoom(ctx, rid); err != nil {
			t.Fatal(err)
		}
		l.waitRoom(t, roomID, "the DM joined", func(r Room) bool { return r.Membership == event.MembershipJoin && r.Encrypted })
		return l, u, roomID
	}

	t.Run("alice by bob in the DM, termatrix asks, Element confirms first", func(t *testing.T) {
		ctx := elementStep(t, ea)
		bob, ub, roomID := otherUser(ctx, t, "evbob")
		begun := time.Now()
		txn, err := bob.StartVerification(ctx, id.UserID(alice.UserID))
		if err != nil {
			t.Fatal(err)
		}
		mine := waitVerifyUpdate(t, bob, "our request", func(r VerificationRequested) bool { return r.TxnID == txn })
		if mine.RoomID != roomID || mine.Incoming {
			t.Fatalf("request %+v, want in %s", mine, roomID)
		}
		req, err := ea.WaitVerificationRequest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if req.TxnID != txn || req.RoomID != string(roomID) || req.Self {
			t.Fatalf("Element got %+v, want %s in %s", req, txn, roomID)
		}
		if err := ea.AcceptVerification(ctx); err != nil {
			t.Fatal(err)
		}
		sameEmoji(t, ctx, ea, waitSAS(t, bob, txn))
		confirmBoth(t, ctx, ea, bob, txn, false)
		t.Logf("done on both sides %v after the request", time.Since(begun).Round(time.Millisecond))
		usersVerified(t, ctx, ea, alice, ub, bob)
	})

	t.Run("alice by carol in the DM, Element asks and starts, termatrix confirms first", func(t *testing.T) {
		ctx := elementStep(t, ea)
		carol, uc, roomID := otherUser(ctx, t, "evcarol")
		carol.verif().noAutoStart.Store(true)
		begun, m := time.Now(), mark(carol)
		if _, err := ea.RequestVerificationDM(ctx, uc.UserID, string(roomID)); err != nil {
			t.Fatal(err)
		}
		req := waitRequested(t, carol, m, id.UserID(alice.UserID))
		if req.RoomID != roomID || req.DeviceID != id.DeviceID(alice.DeviceID) {
			t.Fatalf("request %+v, want in %s from %s", req, roomID, alice.DeviceID)
		}
		if err := carol.AcceptVerification(req.TxnID); err != nil {
			t.Fatal(err)
		}
		if err := ea.StartSAS(ctx); err != nil {
			t.Fatal(err)
		}
		sameEmoji(t, ctx, ea, waitSAS(t, carol, req.TxnID))
		confirmBoth(t, ctx, ea, carol, req.TxnID, true)
		t.Logf("done on both sides %v after the request", time.Since(begun).Round(time.Millisecond))
		usersVerified(t, ctx, ea, alice, uc, carol)
	})

	// As Element's "Verify user" does by default: Element asks in the DM,
	// termatrix accepts and starts the emoji at once; then the emoji are
	// said to differ.
	t.Run("mismatch in the DM, Element asks, termatrix starts", func(t *testing.T) {
		ctx := elementStep(t, ea)
		dave, ud, roomID := otherUser(ctx, t, "evdave")
		m := mark(dave)
		if _, err := ea.RequestVerificationDM(ctx, ud.UserID, string(roomID)); err != nil {
			t.Fatal(err)
		}
		req := waitRequested(t, dave, m, id.UserID(alice.UserID))
		if err := dave.AcceptVerification(req.TxnID); err != nil {
			t.Fatal(err)
		}
		sameEmoji(t, ctx, ea, waitSAS(t, dave, req.TxnID))
		if err := ea.MismatchSAS(ctx); err != nil {
			t.Fatal(err)
		}
		if e := waitEnded(t, dave, req.TxnID); e.Done || e.Reason != "they cancelled: the emoji did not match" {
			t.Errorf("termatrix: %+v", e)
		}
		if tr, err := dave.UserTrust(ctx, id.UserID(alice.UserID)); err != nil || tr.Verified {
			t.Errorf("termatrix trusts alice after a mismatch: %+v, %v", tr, err)
		}
	})
}

// sameEmoji checks that Element shows the emoji termatrix shows.
func sameEmoji(t *testing.T, ctx context.Context, p *elementpeer.Peer, ours VerificationSAS) {
	t.Helper()
	theirs, err := p.WaitSAS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ours.Emoji) != 7 || len(theirs) != 7 {
		t.Fatalf("emoji: termatrix %v, Element %v", ours.Emoji, theirs)
	}
	for i, e := range ours.Emoji {
		if e.Name != theirs[i].Name || e.Symbol != theirs[i].Symbol {
			t.Fatalf("emoji differ at %d: termatrix %v, Element %v", i, ours.Emoji, theirs)
		}
	}
	t.Logf("emoji on both sides: %v", ours.Emoji)
}

// confirmBoth has both sides confirm (termatrix first or Element first)
// and waits until both are done.
func confirmBoth(t *testing.T, ctx context.Context, p *elementpeer.Peer, l *live, txn string, termatrixFirst bool) {
	t.Helper()
	tm := func() {
		if err := l.ConfirmSAS(txn); err != nil {
			t.Fatal(err)
		}
	}
	el := func() {
		if err := p.ConfirmSAS(ctx); err != nil {
			t.Fatal(err)
		}
	}
	first, second := el, tm
	if termatrixFirst {
		first, second = tm, el
	}
	first()
	// Let the first MAC arrive before the other side confirms.
	time.Sleep(500 * time.Millisecond)
	second()
	if e := waitEnded(t, l, txn); !e.Done {
		t.Fatalf("termatrix: %+v", e)
	}
	if err := p.WaitVerificationDone(ctx); err != nil {
		t.Fatalf("Element: %v", err)
	}
}

// elementKnows waits until Element knows a device (device lists reach it
// asynchronously).
func elementKnows(t *testing.T, ctx context.Context, p *elementpeer.Peer, userID string, deviceID id.DeviceID) {
	t.Helper()
	if _, err := p.WaitDeviceTrust(ctx, userID, string(deviceID), func(tr elementpeer.DeviceTrust) bool { return tr.Known }); err != nil {
		t.Fatal(err)
	}
}

// selfVerified checks both sides after a self-verification: Element sees
// the session cross-signing verified, and the session says it is.
func selfVerified(t *testing.T, ctx context.Context, p *elementpeer.Peer, u teststack.User, l *live) {
	t.Helper()
	tr, err := p.WaitDeviceTrust(ctx, u.UserID, string(l.DeviceID()), func(tr elementpeer.DeviceTrust) bool { return tr.CrossSigningVerified })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Element's view of the session: %+v", tr)
	waitVerified(t, l)
}

// usersVerified checks both sides after verifying another user: Element
// has verified the termatrix user, and termatrix trusts Element's user.
func usersVerified(t *testing.T, ctx context.Context, p *elementpeer.Peer, elUser, tmUser teststack.User, l *live) {
	t.Helper()
	if err := p.WaitUserVerified(ctx, tmUser.UserID); err != nil {
		t.Fatal(err)
	}
	tr, err := l.UserTrust(ctx, id.UserID(elUser.UserID))
	if err != nil || !tr.Verified {
		t.Fatalf("termatrix's trust in %s: %+v, %v", elUser.UserID, tr, err)
	}
}

// elementStep bounds one verification with Element and, if it fails,
// cancels Element's verification under way: the peer handles one at a
// time and would turn the next test's request away as busy.
func elementStep(t *testing.T, p *elementpeer.Peer) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(func() {
		if t.Failed() {
			cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = p.CancelVerification(cctx)
			ccancel()
		}
		cancel()
	})
	return ctx
}
