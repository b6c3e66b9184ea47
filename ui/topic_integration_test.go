package ui_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/termatrix/termatrix/ui/uitest"
)

// TestTopicAloneShowsTopic (F19): "/topic" with no argument shows the
// topic and leaves it alone; only "/topic --clear" removes it.
func TestTopicAloneShowsTopic(t *testing.T) {
	st := shared.Get(t)
	alice, screen := loggedIn(t, st, "talice")
	roomID, err := alice.CreateRoom(ctx(t), map[string]any{"name": "Topic Room", "topic": "keep this topic"})
	if err != nil {
		t.Fatal(err)
	}
	uitest.WaitFor(t, screen, "Topic Room — keep this topic", waitLong)
	topic := func() string {
		t.Helper()
		var c struct {
			Topic string `json:"topic"`
		}
		path := "/_matrix/client/v3/rooms/" + url.PathEscape(roomID) + "/state/m.room.topic/"
		if err := alice.Do(ctx(t), http.MethodGet, path, nil, &c); err != nil {
			t.Fatal(err)
		}
		return c.Topic
	}

	uitest.Type(screen, "/topic")
	enter(screen)
	uitest.WaitFor(t, screen, "Topic: keep this topic", waitLong)
	if got := topic(); got != "keep this topic" {
		t.Fatalf("/topic alone changed the topic to %q", got)
	}

	uitest.Type(screen, "/topic --clear")
	enter(screen)
	uitest.WaitFor(t, screen, "Topic cleared.", waitLong)
	if got := topic(); got != "" {
		t.Fatalf("topic %q after /topic --clear", got)
	}
}
