package matrix

import (
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/internal/switchcases"
)

// The outbox loop's subscription asks for the update types its switch
// handles, no more, no fewer.
func TestOutboxFilterMatchesItsSwitch(t *testing.T) {
	switchcases.Match(t, "outbox_send.go", "followOutbox", "outboxWants")
}

// Of the timeline the outbox wants only batches holding an event of ours,
// and of the status only Synced.
func TestOutboxFilterValues(t *testing.T) {
	me, them := id.UserID("@me:x"), id.UserID("@them:x")
	c := &Client{}
	c.sess.UserID = me
	for _, tc := range []struct {
		u    Update
		want bool
	}{
		{TimelineAppended{Events: []*event.Event{{Sender: them}}}, false},
		{TimelineAppended{Events: []*event.Event{nil, {Sender: them}, {Sender: me}}}, true},
		{StatusChanged{State: StateSynced}, true},
		{StatusChanged{State: StateConnecting}, false},
		{RoomsChanged{}, false},
	} {
		if got := c.outboxWants(tc.u); got != tc.want {
			t.Errorf("%#v: wanted %v, want %v", tc.u, got, tc.want)
		}
	}
}
