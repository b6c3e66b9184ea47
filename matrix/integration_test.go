package matrix

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/termatrix/termatrix/internal/teststack"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

func TestLoginGoodAndBadPassword(t *testing.T) {
	st := stack.Get(t)
	u := st.MustRegister(t, "login")
	ctx := ctxT(t)

	s, err := Login(ctx, LoginParams{Homeserver: st.BaseURL, User: u.UserID, Password: u.Password, DeviceName: "test"})
	if err != nil {
		t.Fatalf("good password: %v", err)
	}
	if string(s.UserID) != u.UserID || s.DeviceID == "" || s.AccessToken == "" || s.Homeserver != st.BaseURL {
		t.Errorf("session %v", s)
	}
	// A bare user name with the homeserver.
	localpart, _, _ := id.UserID(u.UserID).Parse()
	s2, err := Login(ctx, LoginParams{Homeserver: st.BaseURL, User: localpart, Password: u.Password})
	if err != nil || string(s2.UserID) != u.UserID {
		t.Fatalf("bare user name: %v %v", s2, err)
	}
	if s2.AccessToken == s.AccessToken {
		t.Error("two logins share a token")
	}

	const wrong = "not-the-password-123"
	_, err = Login(ctx, LoginParams{Homeserver: st.BaseURL, User: u.UserID, Password: wrong})
	if !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("bad password: %v, want ErrBadCredentials", err)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Errorf("error text contains the password: %v", err)
	}
	if !strings.Contains(err.Error(), "wrong user name or password") {
		t.Errorf("unclear error: %v", err)
	}
	if _, err := Login(ctx, LoginParams{User: "alice", Password: "x"}); err == nil {
		t.Error("bare user name without homeserver accepted")
	}
}

func TestDiscoverHomeserver(t *testing.T) {
	st := stack.Get(t)
	ctx := ctxT(t)
	httpc := &http.Client{Timeout: 5 * time.Second}
	viaFront := func(string) string { return st.BaseURL + wellKnownPath }
	got, err := discoverHomeserver(ctx, httpc, "@a:localhost", viaFront)
	if err != nil || got != st.BaseURL {
		t.Errorf("discover = %q, %v; want %q", got, err, st.BaseURL)
	}
	// No well-known: fall back to https://<server name>.
	if err := st.SetClientWellKnown(nil); err != nil {
		t.Fatal(err)
	}
	defer st.SetClientWellKnown(map[string]any{"m.homeserver": map[string]any{"base_url": st.BaseURL}})
	got, err = discoverHomeserver(ctx, httpc, "@a:localhost", viaFront)
	if err != nil || got != "https://localhost" {
		t.Errorf("fallback = %q, %v", got, err)
	}
	if _, err := DiscoverHomeserver(ctx, "not-a-user-id"); err == nil {
		t.Error("bad user ID accepted")
	}
}

func TestSessionResumeAndRevokedToken(t *testing.T) {
	st := stack.Get(t)
	u := st.MustRegister(t, "resume")
	ctx := ctxT(t)
	sess := loginSession(t, st, u)
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	_, sessPath, dbPath, err := Paths("resume")
	if err != nil {
		t.Fatal(err)
	}
	if err := SaveSession(sessPath, sess); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(sessPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("session file: %v %v", fi.Mode(), err)
	}
	loaded, err := LoadSession(sessPath)
	if err != nil {
		t.Fatal(err)
	}
	l := startLive(t, loaded, dbPath, Options{})
	if l.UserID() != sess.UserID || l.DeviceID() != sess.DeviceID {
		t.Errorf("resumed as %s %s", l.UserID(), l.DeviceID())
	}
	// A restart with nothing new reports synced at once, not after a
	// long-poll's 30 s.
	l.stop()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	l = startLive(t, loaded, dbPath, Options{})
	if d := time.Since(started); d > 10*time.Second {
		t.Errorf("resuming took %v to report synced", d)
	}
	for _, f := range []string{dbPath, dbPath + "-wal"} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("store file %s: %v", f, err)
		}
	}

	// Logging the device out elsewhere: the next sync reports LoggedOut,
	// with no token in any error text.
	other := loginSession(t, st, u)
	c2, err := Open(ctx, other, filepath.Join(t.TempDir(), "other.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Logout(ctx); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	c3, err := Open(ctx, other, filepath.Join(t.TempDir(), "third.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	rec := record(t, c3)
	runErr := c3.Run(ctx)
	if !errors.Is(runErr, ErrLoggedOut) {
		t.Fatalf("Run with a revoked token: %v", runErr)
	}
	lo := rec.waitFor(t, waitTimeout, "LoggedOut", func(u Update) bool { _, ok := u.(LoggedOut); return ok }).(LoggedOut)
	for _, e := range []error{runErr, lo.Err} {
		if e == nil || strings.Contains(e.Error(), other.AccessToken) {
			t.Errorf("error %v shows the token or is missing", e)
		}
	}
	for _, u := range rec.all() {
		if s, ok := u.(StatusChanged); ok && s.Err != nil && strings.Contains(s.Err.Error(), other.AccessToken) {
			t.Errorf("status error shows the token: %v", s.Err)
		}
	}
}

func TestSyncRoomSendReceive(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "alice")
	bob := st.MustRegister(t, "bob")
	ctx := ctxT(t)
	a := loginLive(t, st, alice)

	// bob creates a named room and invites alice.
	rid, err := bob.CreateRoom(ctx, map[string]any{"name": "Tea room", "topic": "Earl grey", "invite": []string{alice.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	roomID := id.RoomID(rid)
	inv := a.waitRoom(t, roomID, "invite", func(r Room) bool { return r.Membership == event.MembershipInvite })
	if inv.Inviter != id.UserID(bob.UserID) || inv.Name != "Tea room" {
		t.Errorf("invite %+v", inv)
	}
	if _, err := a.JoinRoom(ctx, rid); err != nil {
		t.Fatal(err)
	}
	r := a.waitRoom(t, roomID, "joined", func(r Room) bool { return r.Membership == event.MembershipJoin })
	if r.Name != "Tea room" || r.Topic != "Earl grey" {
		t.Errorf("room %+v", r)
	}
	a.waitRoom(t, roomID, "2 members", func(r Room) bool { return r.JoinedMembers == 2 })

	// bob → alice.
	evID, err := bob.SendMessage(ctx, rid, "hello alice")
	if err != nil {
		t.Fatal(err)
	}
	got := a.waitEvent(t, roomID, "bob's message", func(ev *event.Event) bool { return ev.ID == id.EventID(evID) })
	if body(got) != "hello alice" || got.Sender != id.UserID(bob.UserID) {
		t.Errorf("received %+v", got)
	}
	if n := a.DisplayName(roomID, id.UserID(bob.UserID)); n == "" {
		t.Error("no display name")
	}

	// alice → bob, with a local echo that resolves and is stored once.
	txn := a.SendText(roomID, "**tea** time", false)
	echo := a.rec.waitFor(t, waitTimeout, "local echo", func(u Update) bool {
		le, ok := u.(LocalEcho)
		return ok && le.TxnID == txn
	}).(LocalEcho)
	if body(echo.Event) != "**tea** time" || echo.Event.Unsigned.TransactionID != txn {
		t.Errorf("echo %+v", echo.Event)
	}
	res := a.rec.waitFor(t, waitTimeout, "echo resolved", func(u Update) bool {
		er, ok := u.(EchoResolved)
		return ok && er.TxnID == txn
	}).(EchoResolved)
	if res.Err != nil || res.EventID == "" {
		t.Fatalf("send: %+v", res)
	}
	mine := a.waitEvent(t, roomID, "own message via sync", func(ev *event.Event) bool { return ev.ID == res.EventID })
	if mine.Unsigned.TransactionID != txn {
		t.Errorf("synced own event has transaction_id %q, want %q", mine.Unsigned.TransactionID, txn)
	}
	msg := mine.Content.AsMessage()
	if msg.Format != event.FormatHTML || !strings.Contains(msg.FormattedBody, "<strong>tea</strong>") {
		t.Errorf("formatted body %q", msg.FormattedBody)
	}
	if n, _ := countTimelineEvent(ctx, a.db, roomID, res.EventID); n != 1 {
		t.Errorf("own message stored %d times", n)
	}
	// bob sees it.
	var page struct {
		Chunk []teststack.Event `json:"chunk"`
	}
	if err := bob.Do(ctx, http.MethodGet, "/_matrix/client/v3/rooms/"+rid+"/messages?dir=b&limit=10", nil, &page); err != nil {
		t.Fatal(err)
	}
	seen := false
	for _, ev := range page.Chunk {
		seen = seen || ev.EventID == string(res.EventID)
	}
	if !seen {
		t.Error("bob does not see alice's message")
	}
	// An emote.
	txn2 := a.SendText(roomID, "waves", true)
	res2 := a.rec.waitFor(t, waitTimeout, "emote sent", func(u Update) bool {
		er, ok := u.(EchoResolved)
		return ok && er.TxnID == txn2
	}).(EchoResolved)
	em := a.waitEvent(t, roomID, "emote", func(ev *event.Event) bool { return ev.ID == res2.EventID })
	if em.Content.AsMessage().MsgType != event.MsgEmote {
		t.Errorf("emote msgtype %q", em.Content.AsMessage().MsgType)
	}
	// The timeline has the state events and messages, in order, once each.
	tl, err := a.Timeline(roomID, 0)
	if err != nil {
		t.Fatal(err)
	}
	seenIDs := map[id.EventID]int{}
	var order []id.EventID
	for _, ev := range tl {
		seenIDs[ev.ID]++
		if ev.ID == id.EventID(evID) || ev.ID == res.EventID || ev.ID == res2.EventID {
			order = append(order, ev.ID)
		}
	}
	if fmt.Sprint(order) != fmt.Sprint([]id.EventID{id.EventID(evID), res.EventID, res2.EventID}) {
		t.Errorf("timeline order %v", order)
	}
	for k, n := range seenIDs {
		if n != 1 {
			t.Errorf("event %s %d times in the timeline", k, n)
		}
	}
	// Rooms are sorted by latest activity.
	if _, err := bob.CreateRoom(ctx, map[string]any{"name": "Later", "invite": []string{alice.UserID}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitTimeout)
	for len(a.Rooms()) < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	rooms := a.Rooms()
	for i := 1; i < len(rooms); i++ {
		if rooms[i].LastActivity.After(rooms[i-1].LastActivity) {
			t.Errorf("rooms not sorted by activity: %+v", rooms)
		}
	}
}

func TestInviteDecline(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "alice")
	bob := st.MustRegister(t, "bob")
	ctx := ctxT(t)
	a := loginLive(t, st, alice)
	rid, err := bob.CreateRoom(ctx, map[string]any{"invite": []string{alice.UserID}, "is_direct": true})
	if err != nil {
		t.Fatal(err)
	}
	roomID := id.RoomID(rid)
	r := a.waitRoom(t, roomID, "invite", func(r Room) bool { return r.Membership == event.MembershipInvite })
	if !r.IsDM || r.Inviter != id.UserID(bob.UserID) {
		t.Errorf("DM invite %+v", r)
	}
	if err := a.LeaveRoom(ctx, roomID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		if _, ok := a.Room(roomID); !ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Error("declined invite still listed")
}

func TestHistoryPagination(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "alice")
	bob := st.MustRegister(t, "bob")
	ctx := ctxT(t)
	rid, err := bob.CreateRoom(ctx, map[string]any{"preset": "public_chat"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 60
	want := make([]string, n)
	for i := range n {
		want[i] = fmt.Sprintf("history %02d", i)
		if _, err := bob.SendMessage(ctx, rid, want[i]); err != nil {
			t.Fatal(err)
		}
	}
	a := loginLive(t, st, alice)
	roomID := id.RoomID(rid)
	if _, err := a.JoinRoom(ctx, rid); err != nil {
		t.Fatal(err)
	}
	a.waitRoom(t, roomID, "joined", func(r Room) bool { return r.Membership == event.MembershipJoin })
	shown, err := a.Timeline(roomID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		before := len(a.rec.all())
		if err := a.LoadHistory(ctx, roomID, 15); err != nil {
			t.Fatal(err)
		}
		hl := a.rec.waitAfter(t, before, waitTimeout, "history", func(u Update) bool {
			h, ok := u.(HistoryLoaded)
			return ok && h.RoomID == roomID
		}).(HistoryLoaded)
		shown = append(append([]*event.Event(nil), hl.Events...), shown...)
		if hl.ReachedStart {
			break
		}
	}
	var bodies []string
	seen := map[id.EventID]bool{}
	for _, ev := range shown {
		if seen[ev.ID] {
			t.Errorf("event %s delivered twice", ev.ID)
		}
		seen[ev.ID] = true
		if b := body(ev); strings.HasPrefix(b, "history ") {
			bodies = append(bodies, b)
		}
	}
	if fmt.Sprint(bodies) != fmt.Sprint(want) {
		t.Errorf("history:\n got %v\nwant %v", bodies, want)
	}
	if len(shown) == 0 || shown[0].Type != event.StateCreate {
		t.Errorf("history does not start at m.room.create")
	}
}

func TestReconnectAfterRestart(t *testing.T) {
	st := teststack.ForTest(t, teststack.Options{})
	alice := st.MustRegister(t, "alice")
	bob := st.MustRegister(t, "bob")
	ctx := ctxT(t)
	rid, err := bob.CreateRoom(ctx, map[string]any{"invite": []string{alice.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	roomID := id.RoomID(rid)
	a := loginLive(t, st, alice)
	a.waitRoom(t, roomID, "invite", func(r Room) bool { return r.Membership == event.MembershipInvite })
	if _, err := a.JoinRoom(ctx, rid); err != nil {
		t.Fatal(err)
	}
	a.waitRoom(t, roomID, "joined", func(r Room) bool { return r.Membership == event.MembershipJoin })
	var sent []string
	send := func(text string) {
		evID, err := bob.SendMessage(ctx, rid, text)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, evID)
	}
	send("before 1")
	send("before 2")
	a.waitEvent(t, roomID, "before 2", func(ev *event.Event) bool { return ev.ID == id.EventID(sent[1]) })

	down := len(a.rec.all())
	st.StopHomeserver()
	st0 := a.rec.waitAfter(t, down, waitTimeout, "reconnecting", func(u Update) bool {
		s, ok := u.(StatusChanged)
		return ok && (s.State == StateReconnecting || s.State == StateOffline) && s.RetryIn > 0
	}).(StatusChanged)
	if st0.Err == nil {
		t.Error("reconnecting without an error")
	}
	// A message sent while the homeserver is down stays pending, says why
	// it waits...
	txn := a.SendText(roomID, "sent while down", false)
	waiting := a.rec.waitFor(t, waitTimeout, "send retrying", func(u Update) bool {
		er, ok := u.(EchoRetrying)
		return ok && er.TxnID == txn
	}).(EchoRetrying)
	if waiting.Err == nil || waiting.RetryIn <= 0 {
		t.Fatalf("send while down: %+v", waiting)
	}
	if strings.Contains(waiting.Err.Error(), a.sess.AccessToken) {
		t.Error("send error shows the token")
	}
	time.Sleep(3 * time.Second) // a few failed attempts, with back-off
	if err := a.Retry(roomID, txn); err == nil {
		t.Error("Retry of a message still being sent accepted")
	}
	if err := st.StartHomeserver(ctx); err != nil {
		t.Fatal(err)
	}
	// Sent right after the restart, before the client is back...
	send("after 1")
	send("after 2")
	a.rec.waitAfter(t, down, 60*time.Second, "synced again", func(u Update) bool {
		s, ok := u.(StatusChanged)
		return ok && s.State == StateSynced
	})
	// ...and once it is.
	send("after 3")
	a.waitEvent(t, roomID, "after 3", func(ev *event.Event) bool { return ev.ID == id.EventID(sent[4]) })
	// ...and the pending message goes out by itself, once.
	ok := a.rec.waitFor(t, waitTimeout, "sent once back", func(u Update) bool {
		er, ok := u.(EchoResolved)
		return ok && er.TxnID == txn
	}).(EchoResolved)
	if ok.Err != nil || ok.EventID == "" {
		t.Fatalf("pending send: %+v", ok)
	}
	a.waitEvent(t, roomID, "pending message", func(ev *event.Event) bool { return ev.ID == ok.EventID })
	sent = append(sent, string(ok.EventID))
	if err := a.Retry(roomID, txn); err == nil {
		t.Error("Retry of a sent message accepted")
	}

	delivered := map[id.EventID]int{}
	for _, u := range a.rec.all() {
		if ta, ok := u.(TimelineAppended); ok && ta.RoomID == roomID {
			for _, ev := range ta.Events {
				delivered[ev.ID]++
			}
		}
	}
	for _, evID := range sent {
		if delivered[id.EventID(evID)] != 1 {
			t.Errorf("event %s delivered %d times", evID, delivered[id.EventID(evID)])
		}
		if n, _ := countTimelineEvent(ctx, a.db, roomID, id.EventID(evID)); n != 1 {
			t.Errorf("event %s stored %d times", evID, n)
		}
	}
	// The status went through reconnecting/offline with growing back-off.
	var waits []time.Duration
	for _, u := range a.rec.all() {
		if s, ok := u.(StatusChanged); ok && s.RetryIn > 0 {
			waits = append(waits, s.RetryIn)
		}
	}
	if len(waits) < 2 || waits[0] != time.Second || waits[1] != 2*time.Second {
		t.Errorf("back-off sequence %v", waits)
	}
}

func TestStartFromStoreThenCatchUp(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "alice")
	bob := st.MustRegister(t, "bob")
	ctx := ctxT(t)
	rid, err := bob.CreateRoom(ctx, map[string]any{"name": "Stored room", "invite": []string{alice.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	roomID := id.RoomID(rid)
	a := loginLive(t, st, alice)
	a.waitRoom(t, roomID, "invite", func(r Room) bool { return r.Membership == event.MembershipInvite })
	if _, err := a.JoinRoom(ctx, rid); err != nil {
		t.Fatal(err)
	}
	last, err := bob.SendMessage(ctx, rid, "last before closing")
	if err != nil {
		t.Fatal(err)
	}
	a.waitEvent(t, roomID, "last message", func(ev *event.Event) bool { return ev.ID == id.EventID(last) })
	a.stop()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	// While alice is away, bob writes.
	var away []string
	for i := range 5 {
		evID, err := bob.SendMessage(ctx, rid, fmt.Sprintf("while away %d", i))
		if err != nil {
			t.Fatal(err)
		}
		away = append(away, evID)
	}

	// Start-up from the store with no network at all.
	c, err := Open(ctx, a.sess, a.dbPath, Options{HTTPClient: &http.Client{Transport: noNetwork{}}})
	if err != nil {
		t.Fatal(err)
	}
	rooms := c.Rooms()
	if len(rooms) != 1 || rooms[0].Name != "Stored room" || rooms[0].Membership != event.MembershipJoin {
		t.Fatalf("rooms from store: %+v", rooms)
	}
	tl, err := c.Timeline(roomID, 0)
	if err != nil || len(tl) == 0 || tl[len(tl)-1].ID != id.EventID(last) {
		t.Fatalf("timeline from store ends with %v (%v)", ids(tl), err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	// Back online: exactly the missed messages arrive, once.
	b := startLive(t, a.sess, a.dbPath, Options{})
	for _, evID := range away {
		b.waitEvent(t, roomID, "missed message", func(ev *event.Event) bool { return ev.ID == id.EventID(evID) })
	}
	for _, u := range b.rec.all() {
		if ta, ok := u.(TimelineAppended); ok {
			for _, ev := range ta.Events {
				if ev.ID == id.EventID(last) {
					t.Error("an event from before the restart was delivered again")
				}
			}
		}
	}
	for _, evID := range append(away, last) {
		if n, _ := countTimelineEvent(ctx, b.db, roomID, id.EventID(evID)); n != 1 {
			t.Errorf("event %s stored %d times", evID, n)
		}
	}
}

func TestCallsWidgetsNotifyTyping(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "alice")
	bob := st.MustRegister(t, "bob")
	ctx := ctxT(t)
	a := loginLive(t, st, alice)
	rid, err := bob.CreateRoom(ctx, map[string]any{"invite": []string{alice.UserID}, "is_direct": true})
	if err != nil {
		t.Fatal(err)
	}
	roomID := id.RoomID(rid)
	a.waitRoom(t, roomID, "invite", func(r Room) bool { return r.Membership == event.MembershipInvite })
	if _, err := a.JoinRoom(ctx, rid); err != nil {
		t.Fatal(err)
	}
	a.waitRoom(t, roomID, "joined", func(r Room) bool { return r.Membership == event.MembershipJoin })
	// Accepting the DM invite recorded it in m.direct.
	a.rec.waitFor(t, waitTimeout, "m.direct", func(Update) bool {
		a.mu.RLock()
		defer a.mu.RUnlock()
		return a.direct[roomID]
	})

	callID, err := bob.SendEvent(ctx, rid, "m.call.invite", map[string]any{
		"call_id": "c1", "party_id": "p1", "version": "1", "lifetime": 60000,
		"offer": map[string]any{"type": "offer", "sdp": "v=0"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cs := a.rec.waitFor(t, waitTimeout, "call signal", func(u Update) bool {
		c, ok := u.(CallSignal)
		return ok && c.Event.ID == id.EventID(callID)
	}).(CallSignal)
	if cs.RoomID != roomID || cs.Age < 0 || cs.Age > time.Minute {
		t.Errorf("call signal %+v", cs)
	}
	wid, err := bob.SendState(ctx, rid, "im.vector.modular.widgets", "jitsi_1", map[string]any{"type": "jitsi", "url": "https://example.invalid/"})
	if err != nil {
		t.Fatal(err)
	}
	a.rec.waitFor(t, waitTimeout, "widget state", func(u Update) bool {
		s, ok := u.(StateChanged)
		return ok && s.Event.ID == id.EventID(wid)
	})
	if ev := a.StateEvent(roomID, event.Type{Type: "im.vector.modular.widgets"}, "jitsi_1"); ev == nil || ev.ID != id.EventID(wid) {
		t.Errorf("widget StateEvent %v", ev)
	}
	if m := a.StateEvents(roomID, event.Type{Type: "im.vector.modular.widgets"}); len(m) != 1 {
		t.Errorf("widget StateEvents %v", m)
	}
	// A DM message notifies.
	dm, err := bob.SendMessage(ctx, rid, "ping")
	if err != nil {
		t.Fatal(err)
	}
	a.rec.waitFor(t, waitTimeout, "DM notify", func(u Update) bool {
		n, ok := u.(Notify)
		return ok && n.Event.ID == id.EventID(dm) && n.DM
	})
	// Typing.
	if err := bob.Do(ctx, http.MethodPut, "/_matrix/client/v3/rooms/"+rid+"/typing/"+bob.UserID,
		map[string]any{"typing": true, "timeout": 10000}, nil); err != nil {
		t.Fatal(err)
	}
	a.rec.waitFor(t, waitTimeout, "typing", func(u Update) bool {
		ty, ok := u.(TypingChanged)
		return ok && ty.RoomID == roomID && len(ty.UserIDs) == 1 && ty.UserIDs[0] == id.UserID(bob.UserID)
	})
	if err := a.SetTyping(ctx, roomID, true); err != nil {
		t.Error(err)
	}
	a.waitRoomNudged(t, roomID, "unread counted", func(r Room) bool { return r.Unread > 0 }, func() {
		_ = bob.Do(ctx, http.MethodPut, "/_matrix/client/v3/rooms/"+rid+"/typing/"+bob.UserID,
			map[string]any{"typing": false}, nil)
	})
	if err := a.MarkRead(ctx, roomID, id.EventID(dm)); err != nil {
		t.Error(err)
	}
	a.waitRoom(t, roomID, "unread cleared", func(r Room) bool { return r.Unread == 0 })
}

func TestCommandsMembersPowerTurnWellKnown(t *testing.T) {
	st := stack.Get(t)
	alice := st.MustRegister(t, "alice")
	bob := st.MustRegister(t, "bob")
	carol := st.MustRegister(t, "carol")
	ctx := ctxT(t)
	a := loginLive(t, st, alice)

	rid, err := bob.CreateRoom(ctx, map[string]any{"preset": "public_chat"})
	if err != nil {
		t.Fatal(err)
	}
	roomID := id.RoomID(rid)
	if err := bob.Do(ctx, http.MethodPut, "/_matrix/client/v3/profile/"+bob.UserID+"/displayname", map[string]any{"displayname": "Bobby"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := carol.Join(ctx, rid); err != nil {
		t.Fatal(err)
	}
	if _, err := a.JoinRoom(ctx, rid); err != nil {
		t.Fatal(err)
	}
	a.waitRoom(t, roomID, "joined", func(r Room) bool { return r.Membership == event.MembershipJoin && r.JoinedMembers == 3 })
	// Members: the full list (lazy loading may have left some out), with power levels.
	deadline := time.Now().Add(waitTimeout)
	var ms []Member
	for time.Now().Before(deadline) {
		ms = a.Members(roomID)
		if len(ms) == 3 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	levels := map[id.UserID]int{}
	for _, m := range ms {
		levels[m.UserID] = m.PowerLevel
	}
	if len(ms) != 3 || levels[id.UserID(bob.UserID)] != 100 || levels[id.UserID(alice.UserID)] != 0 {
		t.Errorf("members %+v", ms)
	}
	if a.CanSendState(roomID, event.Type{Type: "im.vector.modular.widgets"}) {
		t.Error("alice (PL 0) may send widgets in bob's room")
	}
	if err := a.SetTopic(ctx, roomID, "nope"); err == nil {
		t.Error("SetTopic without power succeeded")
	}
	// In her own room she may.
	own, err := a.cli.CreateRoom(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.waitRoom(t, own.RoomID, "own room", func(Room) bool { return true })
	if !a.CanSendState(own.RoomID, event.Type{Type: "im.vector.modular.widgets"}) {
		t.Error("creator may not send widgets")
	}
	if err := a.SetTopic(ctx, own.RoomID, "my topic"); err != nil {
		t.Fatal(err)
	}
	a.waitRoom(t, own.RoomID, "topic", func(r Room) bool { return r.Topic == "my topic" })
	if err := a.Invite(ctx, own.RoomID, id.UserID(bob.UserID)); err != nil {
		t.Fatal(err)
	}
	if err := a.SetDisplayName(ctx, "Alice A."); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SendEvent(ctx, own.RoomID, event.Type{Type: "m.call.hangup"}, map[string]any{"call_id": "x", "version": "1", "party_id": "p"}); err != nil {
		t.Fatal(err)
	}
	if err := a.LeaveRoom(ctx, roomID); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(waitTimeout)
	for _, ok := a.Room(roomID); ok && time.Now().Before(deadline); _, ok = a.Room(roomID) {
		time.Sleep(50 * time.Millisecond)
	}
	if _, ok := a.Room(roomID); ok {
		t.Error("left room still listed")
	}

	turn, err := a.TurnServer(ctx)
	if err != nil || len(turn.URIs) == 0 || turn.Username == "" {
		t.Errorf("TurnServer: %+v %v", turn, err)
	}

	// Well-known: the server name's (unreachable here) gives nothing, so the
	// homeserver's base URL is asked; extra keys come back raw.
	if err := st.SetClientWellKnown(map[string]any{
		"m.homeserver":         map[string]any{"base_url": st.BaseURL},
		"im.vector.riot.jitsi": map[string]any{"preferredDomain": "jitsi.example.org"},
	}); err != nil {
		t.Fatal(err)
	}
	defer st.SetClientWellKnown(map[string]any{"m.homeserver": map[string]any{"base_url": st.BaseURL}})
	wk, err := a.clientWellKnown(ctx, func(string) string { return "http://127.0.0.1:9" + wellKnownPath })
	if err != nil || !strings.Contains(string(wk["im.vector.riot.jitsi"]), "jitsi.example.org") {
		t.Errorf("ClientWellKnown = %s, %v", wk, err)
	}
	// The server name's document wins when it has one.
	wk, err = a.clientWellKnown(ctx, func(string) string { return st.BaseURL + wellKnownPath })
	if err != nil || wk["im.vector.riot.jitsi"] == nil {
		t.Errorf("ClientWellKnown via server name = %s, %v", wk, err)
	}
}

// noNetwork is a transport that fails every request, as if offline.
type noNetwork struct{}

func (noNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in this test")
}
