package matrix

import (
	"context"
	"fmt"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

func TestComputeRoomName(t *testing.T) {
	cases := []struct {
		name, alias     string
		heroes          []string
		joined, invited int
		want            string
	}{
		{"Project", "#p:x", []string{"Alice"}, 2, 0, "Project"},
		{"  ", "#p:x", []string{"Alice"}, 2, 0, "#p:x"},
		{"", "", []string{"Alice"}, 2, 0, "Alice"},
		{"", "", []string{"Alice", "Bob"}, 3, 0, "Alice and Bob"},
		{"", "", []string{"Alice", "Bob", "Carol"}, 3, 1, "Alice, Bob and Carol"},
		{"", "", []string{"Alice", "Bob"}, 10, 0, "Alice, Bob and 7 others"},
		{"", "", []string{"Alice"}, 2, 1, "Alice and 1 other"},
		{"", "", nil, 1, 0, "Empty room"},
		{"", "", nil, 0, 0, "Empty room"},
		{"", "", []string{"Alice"}, 1, 0, "Empty room (was Alice)"},
		{"", "", []string{"Alice", "Bob"}, 1, 0, "Empty room (was Alice and Bob)"},
	}
	for _, tc := range cases {
		if got := computeRoomName(tc.name, tc.alias, tc.heroes, tc.joined, tc.invited); got != tc.want {
			t.Errorf("computeRoomName(%q, %q, %v, %d, %d) = %q, want %q", tc.name, tc.alias, tc.heroes, tc.joined, tc.invited, got, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	want := []int{1, 2, 4, 8, 16, 30, 30, 30}
	for i, w := range want {
		if got := backoff(i + 1); got.Seconds() != float64(w) {
			t.Errorf("backoff(%d) = %v, want %ds", i+1, got, w)
		}
	}
}

// TestSummaryStateReadsAsStateString: the one query behind a room's
// summary reads each field as the single-field lookup does, odd values
// included (a number, an object, null, a boolean, absent).
func TestSummaryStateReadsAsStateString(t *testing.T) {
	c, _ := openTemp(t, offlineSession(), Options{})
	ctx := context.Background()
	for i, v := range []any{"Plain", 123, 1.5, map[string]any{"x": 1}, nil, true, "", "\u202eRTL"} {
		roomID := id.RoomID(fmt.Sprintf("!r%d:localhost", i))
		state := []*event.Event{
			mkEvent(t, "m.room.name", sk(""), "@b:localhost", fmt.Sprintf("$n%d", i), 1, map[string]any{"name": v}),
			mkEvent(t, "m.room.topic", sk(""), "@b:localhost", fmt.Sprintf("$t%d", i), 1, map[string]any{"topic": v}),
			mkEvent(t, "m.room.canonical_alias", sk(""), "@b:localhost", fmt.Sprintf("$a%d", i), 1, map[string]any{"other": v}),
		}
		if i%2 == 0 {
			state = append(state, mkEvent(t, "m.room.encryption", sk(""), "@b:localhost", fmt.Sprintf("$e%d", i), 1, map[string]any{"algorithm": v}))
		}
		apply(t, c, joinedSync(fmt.Sprintf("s%d", i), roomID, state, nil, "p", false))
		name, alias, topic, enc, err := summaryState(ctx, c.db, roomID)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct {
			typ, field, got string
		}{{"m.room.name", "name", name}, {"m.room.canonical_alias", "alias", alias}, {"m.room.topic", "topic", topic}} {
			want, _, err := stateString(ctx, c.db, roomID, f.typ, "", f.field)
			if err != nil {
				t.Fatal(err)
			}
			if f.got != want {
				t.Errorf("%v: %s read as %q, one lookup reads %q", v, f.typ, f.got, want)
			}
		}
		if _, want, _ := stateString(ctx, c.db, roomID, "m.room.encryption", "", "algorithm"); enc != want {
			t.Errorf("%v: encrypted %v, want %v", v, enc, want)
		}
	}
}
