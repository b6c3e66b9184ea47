package matrix

import (
	"context"
	"errors"
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// StoredEvent reads one event of the stored timeline again, as Timeline
// gives it (a long one whole), and says when the store does not hold it.
func TestStoredEvent(t *testing.T) {
	c, _ := openTemp(t, offlineSession(), Options{})
	room := id.RoomID("!long:localhost")
	long := strings.Repeat("a long line of text\n", 3000)
	apply(t, c, joinedSync("s1", room, nil, []*event.Event{
		msgEvent(t, "@bob:localhost", "$short", 1, "hi"),
		msgEvent(t, "@bob:localhost", "$long", 2, long),
	}, "p1", false))

	ev, err := c.StoredEvent(context.Background(), room, "$long")
	if err != nil {
		t.Fatal(err)
	}
	evs, err := c.Timeline(room, 10)
	if err != nil || len(evs) != 2 {
		t.Fatalf("timeline: %d events, %v", len(evs), err)
	}
	if ev.ID != "$long" || ev.RoomID != room || string(ev.Content.VeryRaw) != string(evs[1].Content.VeryRaw) {
		t.Fatalf("read again: %s in %s, %d bytes of content", ev.ID, ev.RoomID, len(ev.Content.VeryRaw))
	}
	for _, e := range []struct {
		room id.RoomID
		ev   id.EventID
	}{{room, "$nowhere"}, {"!other:localhost", "$long"}} {
		if _, err := c.StoredEvent(context.Background(), e.room, e.ev); !errors.Is(err, ErrNotStored) {
			t.Errorf("%s in %s: %v, want ErrNotStored", e.ev, e.room, err)
		}
	}
}
