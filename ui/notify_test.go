package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/termatrix/termatrix/config"
)

// TestDesktopNotificationIsNotMarkup (F30): a message can't put a link,
// an image or formatting into a desktop notification.
func TestDesktopNotificationIsNotMarkup(t *testing.T) {
	got := make(chan [2]string, 1)
	cfg := &config.Config{}
	cfg.Notifications.Desktop = true
	u := &UI{cfg: cfg, opts: Options{Notify: func(title, body string) error {
		got <- [2]string{title, body}
		return nil
	}}}
	u.desktopNotify("Room <b>&</b>\x1b[31m", `bob: <a href="https://evil.example">Your session expired</a> <img src="file:///etc/passwd"> a&b`+"\u202e")
	var n [2]string
	select {
	case n = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("no notification")
	}
	title, body := n[0], n[1]
	for _, s := range []string{title, body} {
		if strings.ContainsAny(s, "<>\x1b\u202e") {
			t.Errorf("markup or control characters left in %q", s)
		}
	}
	if want := `bob: &lt;a href="https://evil.example"&gt;Your session expired&lt;/a&gt; &lt;img src="file:///etc/passwd"&gt; a&amp;b`; body != want {
		t.Errorf("body %q, want %q", body, want)
	}
	if strings.Contains(title, "&") || !strings.Contains(title, "Room") {
		t.Errorf("title %q", title)
	}
}
