package ui

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/gdamore/tcell/v2"
)

// Action names a user action a key can be bound to in config "keys".
type Action string

// The actions that keys can be bound to.
const (
	ActVoice         Action = "voice"
	ActVideo         Action = "video"
	ActAnswer        Action = "answer"
	ActReject        Action = "reject"
	ActIgnore        Action = "ignore"
	ActHangup        Action = "hangup"
	ActMute          Action = "mute"
	ActJoin          Action = "join"
	ActEndConference Action = "endConference"
	ActRoomSwitcher  Action = "roomSwitcher"
	ActToggleMembers Action = "toggleMembers"
	ActNextRoom      Action = "nextRoom"
	ActPrevRoom      Action = "prevRoom"
	ActScrollUp      Action = "scrollUp"
	ActScrollDown    Action = "scrollDown"
	ActRetry         Action = "retry"
	ActNewline       Action = "newline"
	ActQuit          Action = "quit"
	ActAcceptInvite  Action = "acceptInvite"
	ActDeclineInvite Action = "declineInvite"
	ActHelp          Action = "help"
	ActSelect        Action = "select"
)

// actionHelp describes each action, in the order the footer and /help list them.
var actionHelp = []struct {
	act  Action
	text string
}{
	{ActHelp, "help"},
	{ActRoomSwitcher, "rooms"},
	{ActVoice, "voice call"},
	{ActVideo, "video call"},
	{ActAnswer, "answer"},
	{ActReject, "reject"},
	{ActHangup, "hang up"},
	{ActMute, "mute"},
	{ActJoin, "join conference"},
	{ActEndConference, "end conference"},
	{ActToggleMembers, "members"},
	{ActSelect, "select"},
	{ActIgnore, "ignore call"},
	{ActNewline, "newline"},
	{ActScrollUp, "scroll up"},
	{ActScrollDown, "scroll down"},
	{ActNextRoom, "next room"},
	{ActPrevRoom, "previous room"},
	{ActAcceptInvite, "accept invite"},
	{ActDeclineInvite, "decline invite"},
	{ActRetry, "retry send"},
	{ActQuit, "quit"},
}

// Key is a parsed key binding.
type Key struct {
	Name string // as written in the config
	key  tcell.Key
	ch   rune
	mod  tcell.ModMask
}

const modMask = tcell.ModAlt | tcell.ModCtrl | tcell.ModShift

// Matches says whether a key event is this key.
func (k Key) Matches(ev *tcell.EventKey) bool {
	if ev == nil || k.Name == "" {
		return false
	}
	mods := ev.Modifiers() & modMask
	switch {
	case k.key == tcell.KeyRune:
		return ev.Key() == tcell.KeyRune && ev.Rune() == k.ch && mods&^tcell.ModShift == k.mod
	case k.key >= tcell.KeyCtrlA && k.key <= tcell.KeyCtrlZ, k.key == tcell.KeyCtrlSpace:
		return ev.Key() == k.key && mods&tcell.ModAlt == k.mod&tcell.ModAlt
	case k.key == tcell.KeyEnter && ev.Key() == tcell.KeyRune && ev.Rune() == 'm' && mods&tcell.ModCtrl != 0:
		// A terminal sends Enter as CR, which is Ctrl+M: with Alt it is
		// ESC CR, which tcell reports as Alt+Ctrl+m.
		return mods&^tcell.ModCtrl == k.mod
	default:
		return ev.Key() == k.key && mods == k.mod
	}
}

// isLineFeed says whether a key event is Ctrl+J, the line feed byte a
// terminal sends for Ctrl+J (and for Shift+Enter or Ctrl+Enter in some).
func isLineFeed(ev *tcell.EventKey) bool {
	return ev != nil && (ev.Key() == tcell.KeyCtrlJ || ev.Key() == tcell.KeyLF) && ev.Modifiers()&(tcell.ModAlt|tcell.ModShift) == 0
}

var namedKeys = map[string]tcell.Key{
	"enter": tcell.KeyEnter, "return": tcell.KeyEnter, "tab": tcell.KeyTab, "backtab": tcell.KeyBacktab,
	"esc": tcell.KeyEscape, "escape": tcell.KeyEscape, "backspace": tcell.KeyBackspace,
	"delete": tcell.KeyDelete, "del": tcell.KeyDelete, "insert": tcell.KeyInsert, "ins": tcell.KeyInsert,
	"home": tcell.KeyHome, "end": tcell.KeyEnd, "pgup": tcell.KeyPgUp, "pageup": tcell.KeyPgUp,
	"pgdn": tcell.KeyPgDn, "pgdown": tcell.KeyPgDn, "pagedown": tcell.KeyPgDn,
	"up": tcell.KeyUp, "down": tcell.KeyDown, "left": tcell.KeyLeft, "right": tcell.KeyRight,
}

// ParseKey parses a key name such as "F5", "Ctrl+K", "Alt+Enter", "PgUp",
// "Alt+1" or "Ctrl+Space".
func ParseKey(name string) (Key, error) {
	k := Key{Name: name}
	parts := strings.Split(name, "+")
	if strings.HasSuffix(name, "++") || name == "+" {
		parts = append(parts[:len(parts)-2], "+")
	}
	base := parts[len(parts)-1]
	for _, m := range parts[:len(parts)-1] {
		switch strings.ToLower(m) {
		case "ctrl", "control":
			k.mod |= tcell.ModCtrl
		case "alt", "meta":
			k.mod |= tcell.ModAlt
		case "shift":
			k.mod |= tcell.ModShift
		default:
			return Key{}, fmt.Errorf("key %q: unknown modifier %q", name, m)
		}
	}
	lower := strings.ToLower(base)
	switch {
	case base == "":
		return Key{}, fmt.Errorf("key %q: no key after the modifiers", name)
	case len(lower) >= 2 && lower[0] == 'f' && isDigits(lower[1:]):
		n := 0
		fmt.Sscanf(lower[1:], "%d", &n)
		if n < 1 || n > 24 {
			return Key{}, fmt.Errorf("key %q: no such function key", name)
		}
		k.key = tcell.KeyF1 + tcell.Key(n-1)
	case lower == "space":
		if k.mod&tcell.ModCtrl != 0 {
			k.key, k.mod = tcell.KeyCtrlSpace, k.mod&^tcell.ModCtrl
		} else {
			k.key, k.ch = tcell.KeyRune, ' '
		}
	case namedKeys[lower] != 0:
		k.key = namedKeys[lower]
	case utf8.RuneCountInString(base) == 1:
		r, _ := utf8.DecodeRuneInString(base)
		if r < ' ' || r == 0x7f {
			return Key{}, fmt.Errorf("key %q: control character", name)
		}
		if k.mod&tcell.ModCtrl != 0 {
			l := []rune(strings.ToLower(string(r)))[0]
			if l < 'a' || l > 'z' {
				return Key{}, fmt.Errorf("key %q: Ctrl only combines with letters here", name)
			}
			k.key = tcell.KeyCtrlA + tcell.Key(l-'a')
			k.mod = tcell.ModCtrl | k.mod&tcell.ModAlt
			break
		}
		if k.mod == 0 || k.mod == tcell.ModShift {
			return Key{}, fmt.Errorf("key %q: a plain character would stop typing it; add Ctrl or Alt", name)
		}
		// "Alt+Y" means the Y key: the letter as typed without Shift.
		if k.mod&tcell.ModShift != 0 {
			r = []rune(strings.ToUpper(string(r)))[0]
		} else {
			r = []rune(strings.ToLower(string(r)))[0]
		}
		k.key, k.ch = tcell.KeyRune, r
		k.mod &^= tcell.ModShift
	default:
		return Key{}, fmt.Errorf("key %q: unknown key name %q", name, base)
	}
	return k, nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// Keymap maps actions to keys.
type Keymap struct {
	keys map[Action]Key
}

// NewKeymap parses config "keys". An unknown action, a bad key name or a
// key bound twice is an error naming them.
func NewKeymap(cfg map[string]string) (*Keymap, error) {
	known := map[Action]bool{}
	for _, a := range actionHelp {
		known[a.act] = true
	}
	for _, a := range selectionHelp {
		known[a.act] = true
	}
	km := &Keymap{keys: map[Action]Key{}}
	used := map[string]Action{}
	names := make([]string, 0, len(cfg))
	for a := range cfg {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, a := range names {
		act := Action(a)
		if !known[act] {
			return nil, fmt.Errorf("config keys: unknown action %q", a)
		}
		if cfg[a] == "" {
			continue // unbound
		}
		k, err := parseActionKey(act, cfg[a])
		if err != nil {
			return nil, fmt.Errorf("config keys.%s: %w", a, err)
		}
		sig := fmt.Sprint(k.key, k.ch, k.mod)
		if other, ok := used[sig]; ok {
			return nil, fmt.Errorf("config keys: %q is bound to both %s and %s", cfg[a], other, a)
		}
		used[sig] = act
		km.keys[act] = k
	}
	return km, nil
}

// Key returns the key bound to an action.
func (m *Keymap) Key(a Action) (Key, bool) {
	k, ok := m.keys[a]
	return k, ok
}

// Name returns the key name bound to an action, or "" if unbound.
func (m *Keymap) Name(a Action) string { return m.keys[a].Name }

// Action returns the action a key event is bound to, or "". Ctrl+J is
// also the newline key when no action has it: it works in every terminal,
// also in those where Alt+Enter sends nothing distinct.
func (m *Keymap) Action(ev *tcell.EventKey) Action {
	for _, a := range actionHelp {
		if k, ok := m.keys[a.act]; ok && k.Matches(ev) {
			return a.act
		}
	}
	if _, ok := m.keys[ActNewline]; ok && isLineFeed(ev) {
		return ActNewline
	}
	return ""
}

// Is says whether a key event is the key of an action.
func (m *Keymap) Is(ev *tcell.EventKey, a Action) bool {
	return ev != nil && m.Action(ev) == a && a != ""
}

// Help lists "key action" pairs for the bound actions, in footer order.
func (m *Keymap) Help() [][2]string {
	var out [][2]string
	for _, a := range actionHelp {
		if k, ok := m.keys[a.act]; ok {
			out = append(out, [2]string{k.Name, a.text})
		}
	}
	for _, a := range selectionHelp {
		if k, ok := m.keys[a.act]; ok {
			out = append(out, [2]string{k.Name, "selected message: " + a.text})
		}
	}
	return out
}
