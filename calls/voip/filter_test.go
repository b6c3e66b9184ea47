package voip

import (
	"testing"

	"maunium.net/go/mautrix/event"

	"github.com/termatrix/termatrix/internal/switchcases"
	"github.com/termatrix/termatrix/matrix"
)

// Run's subscription asks for the update types update's switch handles,
// no more, no fewer; of the state only memberships, so a message does not
// wake the loop for its timeline.
func TestManagerFilterMatchesItsSwitch(t *testing.T) {
	switchcases.Match(t, "manager.go", "update", "wantsUpdate")
	key := "@a:x"
	for _, tc := range []struct {
		u    matrix.Update
		want bool
	}{
		{matrix.TimelineAppended{}, false},
		{matrix.CallSignal{}, true},
		{matrix.StateChanged{Event: &event.Event{Type: event.StateMember, StateKey: &key}}, true},
		{matrix.StateChanged{Event: &event.Event{Type: event.StateTopic, StateKey: &key}}, false},
	} {
		if got := wantsUpdate(tc.u); got != tc.want {
			t.Errorf("%T: wanted %v, want %v", tc.u, got, tc.want)
		}
	}
}
