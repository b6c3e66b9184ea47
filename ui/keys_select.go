package ui

import (
	"unicode"
	"unicode/utf8"

	"github.com/gdamore/tcell/v2"
)

// The actions on a selected message. Their keys act only while a message
// is selected (the composer does not take typing then), so, unlike the
// global keys, they may be plain characters: "r", "+".
const (
	ActReply  Action = "reply"
	ActEdit   Action = "edit"
	ActReact  Action = "react"
	ActDelete Action = "delete"
	ActOpen   Action = "open"
	ActCopy   Action = "copy"
	ActSave   Action = "save"
	// ActThread opens the selected message's thread (thread_pane.go).
	ActThread Action = "thread"
)

// selectionHelp describes the actions on a selected message, in the order
// the footer lists them while a message is selected.
var selectionHelp = []struct {
	act  Action
	text string
}{
	{ActReply, "reply"},
	{ActEdit, "edit"},
	{ActReact, "react"},
	{ActDelete, "delete"},
	{ActOpen, "open"},
	{ActCopy, "copy"},
	{ActSave, "save file"},
	{ActThread, "thread"},
}

// isSelectionAction says whether an action acts on the selected message.
func isSelectionAction(a Action) bool {
	for _, s := range selectionHelp {
		if s.act == a {
			return true
		}
	}
	return false
}

// parseActionKey parses the key of an action: a selection action also
// takes a plain printable character.
func parseActionKey(a Action, name string) (Key, error) {
	if isSelectionAction(a) && utf8.RuneCountInString(name) == 1 {
		r, _ := utf8.DecodeRuneInString(name)
		if unicode.IsPrint(r) && r != ' ' {
			return Key{Name: name, key: tcell.KeyRune, ch: r}, nil
		}
	}
	return ParseKey(name)
}

// SelectionAction returns the selection action a key event is bound to,
// or "".
func (m *Keymap) SelectionAction(ev *tcell.EventKey) Action {
	for _, a := range selectionHelp {
		if k, ok := m.keys[a.act]; ok && k.Matches(ev) {
			return a.act
		}
	}
	return ""
}
