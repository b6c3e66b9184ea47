package ui

import "testing"

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		name string
		args string
	}{
		{"hello", false, "", ""},
		{"//not a command", false, "", ""},
		{"/join #room:hs", true, "join", "#room:hs"},
		{"/ME waves  ", true, "me", "waves"},
		{"/widget open 2", true, "widget", "open 2"},
		{"/quit", true, "quit", ""},
	}
	for _, tt := range tests {
		c, ok := ParseCommand(tt.in)
		if ok != tt.ok || c.Name != tt.name || c.Args != tt.args {
			t.Errorf("ParseCommand(%q) = %+v %v", tt.in, c, ok)
		}
	}
	if messageText("//x") != "/x" {
		t.Error("// escape")
	}
	for _, name := range []string{"join", "leave", "invite", "me", "topic", "nick", "logout", "quit", "help",
		"voice", "video", "answer", "reject", "hangup", "mute", "jitsi", "widgets", "widget", "addwidget", "removewidget"} {
		if !knownCommand(name) {
			t.Errorf("/%s missing from /help", name)
		}
	}
}
