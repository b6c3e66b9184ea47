package calls

import (
	"testing"

	"maunium.net/go/mautrix/event"

	"github.com/termatrix/termatrix/calls/rtc"
	"github.com/termatrix/termatrix/internal/switchcases"
	"github.com/termatrix/termatrix/matrix"
)

// The Controller's subscription asks for the update types handleUpdate's
// switch handles, no more, no fewer.
func TestControllerFilterMatchesItsSwitch(t *testing.T) {
	switchcases.Match(t, "controller.go", "handleUpdate", "wantsUpdate")
}

// A plain message does not wake the Controller; ring notifications,
// declines, sticky memberships, widget and membership state do.
func TestControllerFilterValues(t *testing.T) {
	key := ""
	msg := &event.Event{Type: event.EventMessage}
	for _, tc := range []struct {
		name string
		u    matrix.Update
		want bool
	}{
		{"message", matrix.TimelineAppended{Events: []*event.Event{msg}}, false},
		{"decrypted message", matrix.EventsDecrypted{Events: []*event.Event{msg}}, false},
		{"ring", matrix.TimelineAppended{Events: []*event.Event{msg, {Type: rtc.NotificationType}}}, true},
		{"call notify", matrix.TimelineAppended{Events: []*event.Event{{Type: rtc.CallNotifyType}}}, true},
		{"decline", matrix.EventsDecrypted{Events: []*event.Event{{Type: rtc.DeclineType}}}, true},
		{"sticky member", matrix.TimelineAppended{Events: []*event.Event{{Type: rtc.StickyMemberType}}}, true},
		{"sticky type as state", matrix.TimelineAppended{Events: []*event.Event{{Type: rtc.StickyMemberType, StateKey: &key}}}, false},
		{"widget", matrix.StateChanged{Event: &event.Event{Type: WidgetEventType, StateKey: &key}}, true},
		{"rtc member", matrix.StateChanged{Event: &event.Event{Type: rtc.MemberStateType, StateKey: &key}}, true},
		{"topic", matrix.StateChanged{Event: &event.Event{Type: event.StateTopic, StateKey: &key}}, false},
		{"rooms", matrix.RoomsChanged{}, true},
		{"status", matrix.StatusChanged{}, true},
		{"typing", matrix.TypingChanged{}, false},
	} {
		if got := wantsUpdate(tc.u); got != tc.want {
			t.Errorf("%s: wanted %v, want %v", tc.name, got, tc.want)
		}
	}
}
