package matrix

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/termatrix/termatrix/internal/teststack"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// faultDiag logs, when the fault suite finds a sender's messages out of
// order, that sender's messages as recv's store holds them and as the
// server's /messages returns them (sequence number, event ID, server
// timestamp, transaction ID), next to what the sender's outbox published
// for each (the retried attempts and the event ID it resolved to), so a
// reordering can be traced to the server or to the client.
func faultDiag(t *testing.T, st *teststack.Stack, recv, sender *live, roomID id.RoomID, txns []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	prefix := "fault " + string(sender.UserID()) + " "
	seqOf := func(ev *event.Event) (int, bool) {
		if ev.Type != event.EventMessage {
			return 0, false
		}
		rest, ok := strings.CutPrefix(body(ev), prefix)
		if !ok {
			return 0, false
		}
		n, err := strconv.Atoi(rest)
		return n, err == nil
	}
	outcome := map[string]string{}
	for _, u := range sender.rec.all() {
		switch u := u.(type) {
		case EchoRetrying:
			outcome[u.TxnID] += fmt.Sprintf(" retry#%d(in %v: %v)", u.Attempts, u.RetryIn, u.Err)
		case EchoResolved:
			outcome[u.TxnID] += fmt.Sprintf(" resolved=%s", u.EventID)
		}
	}
	// Wanted: the transactions of a message out of place or doubled and
	// of its neighbours, to pick their lines from the homeserver's log.
	wanted := map[string]int{}
	dump := func(where string, evs []*event.Event) {
		var b strings.Builder
		last := -1
		for _, ev := range evs {
			n, ok := seqOf(ev)
			if !ok {
				continue
			}
			mark := ""
			if n < last {
				mark = "  <-- out of order"
			}
			if n <= last && n < len(txns) {
				if mark == "" {
					mark = "  <-- doubled"
				}
				for k := max(0, n-2); k <= min(len(txns)-1, n+2); k++ {
					wanted[txns[k]] = k
				}
			}
			last = max(last, n)
			txn := ""
			if n < len(txns) {
				txn = txns[n]
			}
			fmt.Fprintf(&b, "  %3d %s ts=%d unsigned.txn=%q txn=%s%s%s\n", n, ev.ID, ev.Timestamp, ev.Unsigned.TransactionID, txn, outcome[txn], mark)
		}
		t.Logf("fault diag: %s, %s's messages:\n%s", where, sender.UserID(), b.String())
	}
	stored, err := loadAllStored(ctx, recv, roomID)
	if err != nil {
		t.Logf("fault diag: reading %s's store: %v", recv.UserID(), err)
	} else {
		dump(string(recv.UserID())+"'s store", stored)
	}
	var server []*event.Event
	from := ""
	for i := 0; i < 20; i++ {
		resp, err := recv.cli.Messages(ctx, roomID, from, "", mautrix.DirectionBackward, nil, 500)
		if err != nil {
			t.Logf("fault diag: /messages: %v", err)
			return
		}
		for _, ev := range resp.Chunk {
			_ = ev.Content.ParseRaw(ev.Type)
		}
		server = append(server, resp.Chunk...)
		if resp.End == "" || len(resp.Chunk) == 0 {
			break
		}
		from = resp.End
	}
	// Backward pages come newest first: put them oldest first.
	for i, j := 0, len(server)-1; i < j; i, j = i+1, j-1 {
		server[i], server[j] = server[j], server[i]
	}
	dump("the server's /messages (as "+string(recv.UserID())+")", server)
	logLines(t, st, wanted)
}

// logLines logs the homeserver's log lines that name one of the
// transactions (mapped to their sequence numbers).
func logLines(t *testing.T, st *teststack.Stack, wanted map[string]int) {
	t.Helper()
	if len(wanted) == 0 {
		return
	}
	raw, err := os.ReadFile(st.DendriteLogPath())
	if err != nil {
		t.Logf("fault diag: reading the homeserver's log: %v", err)
		return
	}
	var b strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		for txn, n := range wanted {
			if strings.Contains(line, txn) {
				fmt.Fprintf(&b, "  [seq %d] %s\n", n, line)
			}
		}
	}
	t.Logf("fault diag: homeserver log lines of those transactions:\n%s", b.String())
}

// waitStoredSent waits until recv's store holds the event every sender's
// outbox resolved its messages to: a message resolves when the server
// answers the PUT, and the event reaches a store only with a later sync,
// which a loaded machine can bring seconds after. Past the deadline the
// test goes on and the count finds what is missing.
func waitStoredSent(t *testing.T, recv *live, roomID id.RoomID, senders []*live) {
	t.Helper()
	want := map[id.EventID]bool{}
	for _, s := range senders {
		for _, u := range s.rec.all() {
			if er, ok := u.(EchoResolved); ok && er.RoomID == roomID && er.EventID != "" {
				want[er.EventID] = true
			}
		}
	}
	began := time.Now()
	deadline := began.Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		evs, err := loadAllStored(ctx, recv, roomID)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		missing := len(want)
		for _, ev := range evs {
			if want[ev.ID] {
				missing--
			}
		}
		if missing == 0 {
			t.Logf("fault suite: %s's store held every sent event %v after they were all sent", recv.UserID(), time.Since(began).Round(time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			t.Logf("fault suite: %s's store still lacks %d sent events", recv.UserID(), missing)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
