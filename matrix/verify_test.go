package matrix

import (
	"context"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/internal/teststack"
	"github.com/termatrix/termatrix/matrix/e2ee/sas"
)

// verifyWait bounds one step of a verification through the homeserver.
const verifyWait = 45 * time.Second

// waitVerifyUpdate waits for an update of type T matching ok.
func waitVerifyUpdate[T Update](t *testing.T, l *live, what string, ok func(T) bool) T {
	t.Helper()
	return l.rec.waitFor(t, verifyWait, what, func(u Update) bool {
		x, is := u.(T)
		return is && ok(x)
	}).(T)
}

// waitRequested waits for an incoming request from a user published
// after the mark (len of the recorder's updates when the request was
// made): older ones may be from another verification.
func waitRequested(t *testing.T, l *live, mark int, from id.UserID) VerificationRequested {
	t.Helper()
	return l.rec.waitAfter(t, mark, verifyWait, "a verification request from "+string(from), func(u Update) bool {
		r, ok := u.(VerificationRequested)
		return ok && r.Incoming && r.UserID == from
	}).(VerificationRequested)
}

// settled waits for the verification status the client publishes after
// its first sync: mautrix's OlmMachine caches the cross-signing keys
// without a lock, so setting them up meanwhile races with that check.
func settled(t *testing.T, l *live) {
	t.Helper()
	waitVerifyUpdate(t, l, "the first verification status", func(VerificationChanged) bool { return true })
}

// mark is where a recorder's updates stand now.
func mark(l *live) int { return len(l.rec.all()) }

func waitSAS(t *testing.T, l *live, txn string) VerificationSAS {
	t.Helper()
	return waitVerifyUpdate(t, l, "the emoji of "+txn, func(s VerificationSAS) bool { return s.TxnID == txn })
}

func waitEnded(t *testing.T, l *live, txn string) VerificationEnded {
	t.Helper()
	return waitVerifyUpdate(t, l, "the end of "+txn, func(e VerificationEnded) bool { return e.TxnID == txn })
}

// waitVerified waits until l says its session is verified.
func waitVerified(t *testing.T, l *live) {
	t.Helper()
	waitVerifyUpdate(t, l, "this session verified", func(v VerificationChanged) bool { return v.Verification.Verified })
	v, err := l.VerificationStatus(context.Background())
	if err != nil || !v.Verified {
		t.Fatalf("VerificationStatus after verification: %+v, %v", v, err)
	}
}

// encryptedRoom makes an encrypted room of creator with other joined.
func encryptedRoom(t *testing.T, creator, other *live, creatorUser teststack.User) id.RoomID {
	t.Helper()
	ctx := ctxT(t)
	rid, err := creatorUser.CreateRoom(ctx, map[string]any{
		"preset": "trusted_private_chat", "is_direct": true,
		"invite": []string{string(other.UserID())},
		"initial_state": []map[string]any{{
			"type": "m.room.encryption", "state_key": "",
			"content": map[string]any{"algorithm": "m.megolm.v1.aes-sha2"},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	roomID := id.RoomID(rid)
	other.waitRoom(t, roomID, "the invite", func(r Room) bool { return r.Membership == event.MembershipInvite })
	if _, err := other.JoinRoom(ctx, rid); err != nil {
		t.Fatal(err)
	}
	creator.waitRoom(t, roomID, "both joined", func(r Room) bool { return r.JoinedMembers == 2 && r.Encrypted })
	other.waitRoom(t, roomID, "joined", func(r Room) bool { return r.Membership == event.MembershipJoin && r.Encrypted })
	return roomID
}

// TestVerifyTermatrixPair verifies termatrix with termatrix: two users in
// their encrypted DM (both with cross-signing), the second confirming
// first; then a new session of one of them with the session that holds the
// cross-signing keys (to-device), which signs it; and a mismatch.
func TestVerifyTermatrixPair(t *testing.T) {
	st := stack.Get(t)
	ua := st.MustRegister(t, "tvalice")
	ub := st.MustRegister(t, "tvbob")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	a := loginVerify(t, st, ua)
	b := loginVerify(t, st, ub)
	for _, x := range []struct {
		l *live
		p string
	}{{a, ua.Password}, {b, ub.Password}} {
		settled(t, x.l)
		if _, err := x.l.SetupCrossSigning(ctx, x.p, false); err != nil {
			t.Fatal(err)
		}
	}
	roomID := encryptedRoom(t, a, b, ua)

	t.Run("users in their DM", func(t *testing.T) {
		begun := time.Now()
		txn, err := a.StartVerification(ctx, b.UserID())
		if err != nil {
			t.Fatal(err)
		}
		req := waitRequested(t, b, 0, a.UserID())
		if req.TxnID != txn || req.RoomID != roomID || req.DeviceID != a.DeviceID() {
			t.Fatalf("request %+v, want %s in %s from %s", req, txn, roomID, a.DeviceID())
		}
		if err := b.AcceptVerification(txn); err != nil {
			t.Fatal(err)
		}
		sa, sb := waitSAS(t, a, txn), waitSAS(t, b, txn)
		if len(sa.Emoji) != 7 || !equalEmoji(sa.Emoji, sb.Emoji) || sa.Decimals != sb.Decimals {
			t.Fatalf("SAS differ: %+v / %+v", sa, sb)
		}
		if err := b.ConfirmSAS(txn); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		if err := a.ConfirmSAS(txn); err != nil {
			t.Fatal(err)
		}
		for _, l := range []*live{a, b} {
			if e := waitEnded(t, l, txn); !e.Done {
				t.Fatalf("%s: %+v", l.UserID(), e)
			}
		}
		t.Logf("in-room verification done in %v", time.Since(begun).Round(time.Millisecond))
		for _, p := range [][2]*live{{a, b}, {b, a}} {
			tr, err := p[0].UserTrust(ctx, p[1].UserID())
			if err != nil || !tr.Verified {
				t.Errorf("%s trusts %s: %+v, %v", p[0].UserID(), p[1].UserID(), tr, err)
			}
		}
	})

	t.Run("new session with the one holding the keys", func(t *testing.T) {
		a2 := loginVerify(t, st, ua)
		if v, err := a2.VerificationStatus(ctx); err != nil || v.Verified {
			t.Fatalf("new session: %+v, %v", v, err)
		}
		begun := time.Now()
		txn, err := a2.StartVerification(ctx, a2.UserID())
		if err != nil {
			t.Fatal(err)
		}
		req := waitRequested(t, a, 0, a.UserID())
		if req.TxnID != txn || req.DeviceID != a2.DeviceID() || req.RoomID != "" {
			t.Fatalf("request %+v", req)
		}
		if err := a.AcceptVerification(txn); err != nil {
			t.Fatal(err)
		}
		s1, s2 := waitSAS(t, a, txn), waitSAS(t, a2, txn)
		if !equalEmoji(s1.Emoji, s2.Emoji) {
			t.Fatalf("SAS differ: %+v / %+v", s1, s2)
		}
		for _, l := range []*live{a2, a} {
			if err := l.ConfirmSAS(txn); err != nil {
				t.Fatal(err)
			}
		}
		for _, l := range []*live{a, a2} {
			if e := waitEnded(t, l, txn); !e.Done {
				t.Fatalf("%s: %+v", l.DeviceID(), e)
			}
		}
		t.Logf("to-device self-verification done in %v", time.Since(begun).Round(time.Millisecond))
		waitVerified(t, a2)
	})

	t.Run("users without a DM, to-device", func(t *testing.T) {
		c := loginVerify(t, st, st.MustRegister(t, "tvcarol"))
		m := mark(a)
		txn, err := c.StartVerification(ctx, a.UserID())
		if err != nil {
			t.Fatal(err)
		}
		req := waitRequested(t, a, m, c.UserID())
		if req.TxnID != txn || req.RoomID != "" || req.DeviceID != c.DeviceID() {
			t.Fatalf("request %+v", req)
		}
		if err := a.AcceptVerification(txn); err != nil {
			t.Fatal(err)
		}
		if s1, s2 := waitSAS(t, a, txn), waitSAS(t, c, txn); !equalEmoji(s1.Emoji, s2.Emoji) {
			t.Fatalf("SAS differ: %+v / %+v", s1, s2)
		}
		for _, l := range []*live{a, c} {
			if err := l.ConfirmSAS(txn); err != nil {
				t.Fatal(err)
			}
		}
		for _, l := range []*live{a, c} {
			if e := waitEnded(t, l, txn); !e.Done {
				t.Fatalf("%s: %+v", l.UserID(), e)
			}
		}
		// c has no cross-signing: a trusts c's device, and c's identity
		// stays unverified (there is none to sign).
		if tr, err := a.UserTrust(ctx, c.UserID()); err != nil || tr.Verified {
			t.Errorf("alice's trust in carol: %+v, %v", tr, err)
		}
	})

	t.Run("mismatch", func(t *testing.T) {
		m := mark(a)
		txn, err := b.StartVerification(ctx, a.UserID())
		if err != nil {
			t.Fatal(err)
		}
		waitRequested(t, a, m, b.UserID())
		if err := a.AcceptVerification(txn); err != nil {
			t.Fatal(err)
		}
		waitSAS(t, a, txn)
		waitSAS(t, b, txn)
		if err := b.CancelVerification(txn, true); err != nil {
			t.Fatal(err)
		}
		if e := waitEnded(t, b, txn); e.Done || e.Reason != "the emoji did not match" {
			t.Errorf("bob: %+v", e)
		}
		if e := waitEnded(t, a, txn); e.Done || e.Reason != "they cancelled: the emoji did not match" {
			t.Errorf("alice: %+v", e)
		}
		if err := a.ConfirmSAS(txn); err == nil {
			t.Error("confirmed an ended verification")
		}
	})
}

func equalEmoji(a, b []SASEmoji) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// verifyDebugLog logs the verification tests' clients (TM_VERIFY_DEBUG=1).
var verifyDebugLog = os.Getenv("TM_VERIFY_DEBUG") != ""

// loginVerify is loginLive, logging the client to stderr when
// TM_VERIFY_DEBUG is set. The client's verifier exists from the start: it
// is what hears of verification events decrypted late (their room key
// came after them), and the sync loop does not create it for those.
func loginVerify(t *testing.T, st *teststack.Stack, u teststack.User) *live {
	t.Helper()
	var l *live
	if !verifyDebugLog {
		l = loginLive(t, st, u)
	} else {
		sess := loginSession(t, st, u)
		log := zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr}).With().Timestamp().Str("dev", string(sess.DeviceID)).Logger().Level(zerolog.DebugLevel)
		l = startLive(t, sess, filepath.Join(t.TempDir(), "store.db"), Options{Log: log})
	}
	l.verif()
	return l
}

// TestVerificationCommandsOffline: the commands answer at once, and say so
// for a verification that does not exist.
func TestVerificationCommandsOffline(t *testing.T) {
	c, _ := openTemp(t, offlineSession(), Options{})
	for name, err := range map[string]error{
		"accept":  c.AcceptVerification("nope"),
		"confirm": c.ConfirmSAS("nope"),
		"cancel":  c.CancelVerification("nope", false),
	} {
		if err == nil {
			t.Errorf("%s of an unknown verification: no error", name)
		}
	}
	if _, err := c.StartVerification(context.Background(), "not a user"); err == nil {
		t.Error("verifying a malformed user ID: no error")
	}
	_ = c.Close()
	if _, err := c.StartVerification(context.Background(), "@a:x"); err == nil {
		t.Error("verifying after Close: no error")
	}
	if err := c.ConfirmSAS("nope"); err == nil {
		t.Error("confirming after Close: no error")
	}
}

func TestEndReason(t *testing.T) {
	for _, tc := range []struct {
		c    sas.Cancellation
		want string
	}{
		{sas.Cancellation{Code: sas.CodeMismatchedSAS}, "the emoji did not match"},
		{sas.Cancellation{Code: sas.CodeTimeout, Reason: "the verification timed out"}, "timed out"},
		{sas.Cancellation{Code: sas.CodeUser, Reason: "cancelled"}, "cancelled"},
		{sas.Cancellation{Code: sas.CodeMismatchedCommit, Reason: "their key does not match their commitment"}, "their key does not match their commitment"},
		{sas.Cancellation{Code: sas.CodeAccepted, Remote: true}, "answered on another session"},
		{sas.Cancellation{Code: sas.CodeMismatchedSAS, Remote: true, Reason: "x"}, "they cancelled: the emoji did not match"},
		{sas.Cancellation{Code: sas.CodeTimeout, Remote: true}, "they cancelled: timed out"},
		{sas.Cancellation{Code: sas.CodeUser, Remote: true}, "they cancelled"},
		{sas.Cancellation{Code: sas.CodeUser, Remote: true, Reason: "busy"}, "they cancelled: busy"},
		{sas.Cancellation{Code: "m.key_mismatch", Remote: true}, "they cancelled: m.key_mismatch"},
	} {
		if got := endReason(&tc.c); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.c, got, tc.want)
		}
	}
}
