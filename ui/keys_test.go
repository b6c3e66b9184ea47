package ui

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
)

func TestParseKeyMatches(t *testing.T) {
	tests := []struct {
		name string
		ev   *tcell.EventKey
		want bool
	}{
		{"F5", tcell.NewEventKey(tcell.KeyF5, 0, tcell.ModNone), true},
		{"F5", tcell.NewEventKey(tcell.KeyF6, 0, tcell.ModNone), false},
		{"Ctrl+K", tcell.NewEventKey(tcell.KeyCtrlK, 'k', tcell.ModCtrl), true},
		{"Ctrl+K", tcell.NewEventKey(tcell.KeyRune, 'k', tcell.ModNone), false},
		{"Alt+Enter", tcell.NewEventKey(tcell.KeyEnter, 0, tcell.ModAlt), true},
		{"Alt+Enter", tcell.NewEventKey(tcell.KeyEnter, 0, tcell.ModNone), false},
		{"PgUp", tcell.NewEventKey(tcell.KeyPgUp, 0, tcell.ModNone), true},
		{"Alt+Down", tcell.NewEventKey(tcell.KeyDown, 0, tcell.ModAlt), true},
		{"Alt+Down", tcell.NewEventKey(tcell.KeyDown, 0, tcell.ModNone), false},
		{"Alt+y", tcell.NewEventKey(tcell.KeyRune, 'y', tcell.ModAlt), true},
		{"Alt+Y", tcell.NewEventKey(tcell.KeyRune, 'y', tcell.ModAlt), true},
		{"Alt+Shift+Y", tcell.NewEventKey(tcell.KeyRune, 'Y', tcell.ModAlt), true},
		{"Alt+Shift+Y", tcell.NewEventKey(tcell.KeyRune, 'y', tcell.ModAlt), false},
		{"Alt+1", tcell.NewEventKey(tcell.KeyRune, '1', tcell.ModAlt), true},
		{"Ctrl+Space", tcell.NewEventKey(tcell.KeyCtrlSpace, 0, tcell.ModCtrl), true},
	}
	for _, tt := range tests {
		k, err := ParseKey(tt.name)
		if err != nil {
			t.Fatalf("ParseKey(%q): %v", tt.name, err)
		}
		if got := k.Matches(tt.ev); got != tt.want {
			t.Errorf("%s matches %v = %v, want %v", tt.name, tt.ev.Name(), got, tt.want)
		}
	}
	for _, bad := range []string{"", "Hyper+K", "F99", "Ctrl+1", "k", "Ctrl+", "Foo"} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted a bad name", bad)
		}
	}
}

func TestKeymapErrors(t *testing.T) {
	if _, err := NewKeymap(map[string]string{"voice": "F5", "explode": "F6"}); err == nil || !strings.Contains(err.Error(), "explode") {
		t.Errorf("unknown action: %v", err)
	}
	if _, err := NewKeymap(map[string]string{"voice": "Fx"}); err == nil || !strings.Contains(err.Error(), "keys.voice") {
		t.Errorf("bad key: %v", err)
	}
	if _, err := NewKeymap(map[string]string{"voice": "F5", "video": "F5"}); err == nil || !strings.Contains(err.Error(), "both") {
		t.Errorf("duplicate key: %v", err)
	}
	km, err := NewKeymap(map[string]string{"voice": "F5", "quit": "Ctrl+Q"})
	if err != nil {
		t.Fatal(err)
	}
	if a := km.Action(tcell.NewEventKey(tcell.KeyCtrlQ, 'q', tcell.ModCtrl)); a != ActQuit {
		t.Errorf("Ctrl+Q is %q", a)
	}
	if h := km.Help(); len(h) != 2 || h[0][0] != "F5" {
		t.Errorf("help %v", h)
	}
}
