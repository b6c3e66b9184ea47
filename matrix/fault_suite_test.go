package matrix

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/termatrix/termatrix/internal/teststack"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// faultPerSender is how many messages each of the two clients sends.
const faultPerSender = 110

// TestFaultSuite: two termatrix clients, logged in to the real Dendrite
// through a fault proxy, each send faultPerSender messages into one room
// while the homeserver is killed and restarted three times, the network
// stalls twice and connections are dropped. Afterwards each client's
// store (its history filled from the server where a gap cut it) must hold
// every message of both senders once, each sender's in the order typed
// but where the server's own sync stream gives a message late.
// The figures are printed; only lost, duplicated or reordered messages
// fail the test.
func TestFaultSuite(t *testing.T) {
	st := teststack.ForTest(t, teststack.Options{})
	proxy := st.FaultProxyForTest(t)
	start := time.Now()
	aliceU := st.MustRegister(t, "falice")
	bobU := st.MustRegister(t, "fbob")
	ctx := ctxT(t)
	rid, err := bobU.CreateRoom(ctx, map[string]any{"invite": []string{aliceU.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	roomID := id.RoomID(rid)
	if _, err := aliceU.Join(ctx, rid); err != nil {
		t.Fatal(err)
	}
	a := loginThrough(t, proxy.URL(), aliceU)
	b := loginThrough(t, proxy.URL(), bobU)
	for _, l := range []*live{a, b} {
		l.waitRoom(t, roomID, "joined", func(r Room) bool { return r.Membership == event.MembershipJoin })
	}

	// Both type at a steady pace while the faults happen.
	var wg sync.WaitGroup
	txns := map[*live][]string{}
	var txnMu sync.Mutex
	var sendTook, sendMax time.Duration
	for _, l := range []*live{a, b} {
		wg.Add(1)
		go func(l *live) {
			defer wg.Done()
			who := string(l.UserID())
			for i := 0; i < faultPerSender; i++ {
				began := time.Now()
				txn := l.SendText(roomID, fmt.Sprintf("fault %s %d", who, i), false)
				took := time.Since(began)
				txnMu.Lock()
				sendTook += took
				sendMax = max(sendMax, took)
				txns[l] = append(txns[l], txn)
				txnMu.Unlock()
				time.Sleep(180 * time.Millisecond)
			}
		}(l)
	}
	faults := runFaults(t, st, proxy)
	wg.Wait()
	typedDone := time.Since(start)

	// Every queued message resolves (sent) once the faults are over.
	for _, l := range []*live{a, b} {
		waitAllResolved(t, l, txns[l])
	}
	flushed := time.Since(start)
	for _, recv := range []*live{a, b} {
		waitStoredSent(t, recv, roomID, []*live{a, b})
	}

	// The receivers' stores, holes filled from the server. A message the
	// server's own sync stream gives late (it was stored just before a
	// kill and reached the stream after the restart) comes late to every
	// client, Element's too: that is no reordering of ours.
	late := streamedLate(t, aliceU, roomID)
	for _, recv := range []*live{a, b} {
		bodies := storedBodies(t, recv, roomID)
		for _, sender := range []*live{a, b} {
			f := countFault(bodies, string(sender.UserID()), faultPerSender, late)
			line := fmt.Sprintf("fault suite: %s's store, from %s: sent %d / received %d / lost %d / duplicated %d / out of order %d",
				recv.UserID(), sender.UserID(), faultPerSender, f.received, f.lost, f.duplicated, f.outOfOrder)
			t.Log(line)
			fmt.Println(line)
			if f.lost != 0 || f.duplicated != 0 || f.outOfOrder != 0 {
				t.Errorf("%s (lost: %v, doubled: %v)", line, f.lostSeqs, f.dupSeqs)
				faultDiag(t, st, recv, sender, roomID, txns[sender])
			}
		}
	}
	retries := 0
	for _, l := range []*live{a, b} {
		for _, u := range l.rec.all() {
			if _, ok := u.(EchoRetrying); ok {
				retries++
			}
		}
	}
	summary := fmt.Sprintf("fault suite: %s; %d retried attempts; SendText took %v on average, at most %v; typing done after %v, all sent after %v, total %v",
		faults, retries, (sendTook / (2 * faultPerSender)).Round(time.Microsecond), sendMax.Round(time.Microsecond), typedDone.Round(time.Millisecond), flushed.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	t.Log(summary)
	fmt.Println(summary)
}

// loginThrough logs u in with termatrix through the proxy and starts it.
func loginThrough(t *testing.T, base string, u teststack.User) *live {
	t.Helper()
	sess, err := Login(context.Background(), LoginParams{Homeserver: base, User: u.UserID, Password: u.Password})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	sess.Homeserver = base
	return startLive(t, sess, filepath.Join(t.TempDir(), "store.db"), Options{TimelineLimit: 2000})
}

// runFaults kills and restarts the homeserver three times, stalls the
// network twice and drops connections, and describes what it did.
func runFaults(t *testing.T, st *teststack.Stack, proxy *teststack.FaultProxy) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kills, stalls, drops, dropped := 0, 0, 0, 0
	var down time.Duration
	pause := func(d time.Duration) { time.Sleep(d) }
	kill := func(d time.Duration) {
		st.KillHomeserver()
		kills++
		began := time.Now()
		pause(d)
		if err := st.StartHomeserver(ctx); err != nil {
			t.Fatalf("restarting the homeserver: %v", err)
		}
		down += time.Since(began)
	}
	stall := func(d time.Duration) {
		proxy.Pause()
		stalls++
		pause(d)
		proxy.Resume()
	}
	drop := func() {
		dropped += proxy.Drop()
		drops++
	}
	pause(1500 * time.Millisecond)
	kill(time.Second)
	pause(1500 * time.Millisecond)
	stall(3 * time.Second)
	pause(time.Second)
	drop()
	pause(time.Second)
	kill(500 * time.Millisecond)
	pause(time.Second)
	drop()
	stall(3 * time.Second)
	pause(1500 * time.Millisecond)
	kill(0)
	pause(500 * time.Millisecond)
	drop()
	return fmt.Sprintf("%d kills (homeserver down %v in all), %d stalls, %d drops (%d connections)",
		kills, down.Round(time.Millisecond), stalls, drops, dropped)
}

// waitAllResolved waits until each transaction has an EchoResolved; one
// that failed for good fails the test.
func waitAllResolved(t *testing.T, l *live, txns []string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		done := map[string]EchoResolved{}
		for _, u := range l.rec.all() {
			if er, ok := u.(EchoResolved); ok {
				done[er.TxnID] = er
			}
		}
		missing := 0
		for _, txn := range txns {
			er, ok := done[txn]
			if !ok {
				missing++
			} else if er.Err != nil {
				t.Fatalf("%s's message %s failed for good: %v", l.UserID(), txn, er.Err)
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: %d of %d messages never resolved", l.UserID(), missing, len(txns))
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// storedBodies returns the bodies of the room's messages in the client's
// store, oldest first, after filling the store's holes from the server.
func storedBodies(t *testing.T, l *live, roomID id.RoomID) []string {
	t.Helper()
	ctx := ctxT(t)
	if _, err := l.Timeline(roomID, 5000); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		mark := len(l.rec.all())
		if err := l.LoadHistory(ctx, roomID, 100); err != nil {
			t.Fatal(err)
		}
		hl := l.rec.waitAfter(t, mark, waitTimeout, "history", func(u Update) bool {
			h, ok := u.(HistoryLoaded)
			return ok && h.RoomID == roomID
		}).(HistoryLoaded)
		if hl.ReachedStart {
			break
		}
	}
	evs, err := loadAllStored(ctx, l, roomID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		if ev.Type == event.EventMessage {
			out = append(out, body(ev))
		}
	}
	return out
}

// loadAllStored reads every stored event of the room, oldest first.
func loadAllStored(ctx context.Context, l *live, roomID id.RoomID) ([]*event.Event, error) {
	evs, _, err := loadTimeline(ctx, l.db, roomID, noSeq, 100000)
	return evs, err
}

// faultCount is what one receiver got from one sender.
type faultCount struct {
	received, lost, duplicated, outOfOrder int
	lostSeqs, dupSeqs                      []int
}

// streamedLate returns the bodies of the room's messages that the
// server's sync stream gives after a later message of the same sender:
// a fresh /sync (Dendrite orders its timeline by stream position) as u.
func streamedLate(t *testing.T, u teststack.User, roomID id.RoomID) map[string]bool {
	t.Helper()
	filter := url.QueryEscape(`{"room":{"rooms":["` + string(roomID) + `"],"timeline":{"limit":1000}}}`)
	var resp struct {
		Rooms struct {
			Join map[string]struct {
				Timeline struct {
					Events []struct {
						Type    string `json:"type"`
						Sender  string `json:"sender"`
						Content struct {
							Body string `json:"body"`
						} `json:"content"`
					} `json:"events"`
				} `json:"timeline"`
			} `json:"join"`
		} `json:"rooms"`
	}
	if err := u.Do(ctxT(t), http.MethodGet, "/_matrix/client/v3/sync?timeout=0&filter="+filter, nil, &resp); err != nil {
		t.Fatalf("reading the server's sync stream: %v", err)
	}
	late := map[string]bool{}
	newest := map[string]int{}
	seen := 0
	for _, ev := range resp.Rooms.Join[string(roomID)].Timeline.Events {
		_, num, ok := strings.Cut(strings.TrimPrefix(ev.Content.Body, "fault "), " ")
		n, err := strconv.Atoi(num)
		if ev.Type != "m.room.message" || !ok || err != nil {
			continue
		}
		seen++
		if last, seen := newest[ev.Sender]; seen && n < last {
			late[ev.Content.Body] = true
		}
		newest[ev.Sender] = max(newest[ev.Sender], n)
	}
	if seen == 0 {
		t.Fatal("the server's sync stream holds none of the messages")
	}
	t.Logf("the server's sync stream: %d messages, late: %v", seen, late)
	return late
}

// countFault counts sender's "fault <sender> <i>" messages in bodies; a
// message in late is not counted out of order.
func countFault(bodies []string, sender string, sent int, late map[string]bool) faultCount {
	var f faultCount
	seen := map[int]int{}
	last := -1
	prefix := "fault " + sender + " "
	for _, b := range bodies {
		rest, ok := strings.CutPrefix(b, prefix)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil {
			continue
		}
		seen[n]++
		if seen[n] > 1 {
			f.duplicated++
			f.dupSeqs = append(f.dupSeqs, n)
			continue
		}
		if n < last && !late[b] {
			f.outOfOrder++
		}
		last = max(last, n)
	}
	for i := 0; i < sent; i++ {
		if seen[i] > 0 {
			f.received++
		} else {
			f.lost++
			f.lostSeqs = append(f.lostSeqs, i)
		}
	}
	return f
}
