package ui

import (
	"context"
	"strings"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// Command is a parsed "/name args" line from the composer.
type Command struct {
	Name string // lower case, without the slash
	Args string // the rest, trimmed
}

// commandHelp lists every command, in the order /help shows them.
var commandHelp = []struct{ name, usage, text string }{
	{"join", "/join #alias:server | !id:server", "join a room"},
	{"leave", "/leave [room]", "leave the open room, or the one named (!id, #alias or its name), or decline its invite"},
	{"invite", "/invite @user:server", "invite a user to the open room"},
	{"me", "/me text", "send an emote"},
	{"reply", "/reply TEXT", "reply to the selected message"},
	{"edit", "/edit [TEXT]", "edit the selected message of yours (or your newest): alone, fills the composer with it"},
	{"react", "/react KEY", "react to the selected (or newest) message with an emoji, :shortcode: or text; again takes it back"},
	{"delete", "/delete [REASON]", "delete the selected message (yours, or anyone's with the power); /redact too"},
	{"thread", "/thread", "open the selected message's thread (or start one on it), else the room's newest thread; Esc closes it"},
	{"upload", "/upload PATH", "send a file (pasting a file's path asks too); progress in the status line"},
	{"download", "/download [PATH]", "save the newest file in the room to your download folder, or PATH"},
	{"cancel", "/cancel", "stop the running upload or download (Esc in the composer too)"},
	{"create", "/create NAME [--public]", "create a room (private and encrypted; --public: anyone may join) and open it"},
	{"dm", "/dm @user:server", "open your direct chat with someone, or start one (encrypted)"},
	{"search", "/search TEXT", "search the open room's messages (the stored ones in an encrypted room); Enter jumps to one"},
	{"discard", "/discard", "drop the oldest message that failed to send (the ones after it then go)"},
	{"topic", "/topic [text | --clear]", "show the topic, set it, or clear it"},
	{"nick", "/nick name", "set your display name"},
	{"voice", "/voice", "voice call: joins the room's running call, else as calls.dm / calls.group say (1:1, Jitsi or Element Call)"},
	{"video", "/video", "video call, as /voice"},
	{"call", "/call [video]", "start or join an Element Call here (in a room of two it rings the other side)"},
	{"answer", "/answer", "answer the ringing call (1:1 or Element Call)"},
	{"reject", "/reject", "reject (decline) the ringing call"},
	{"ignore", "/ignore", "silence the ringing call; the caller is told nothing"},
	{"hangup", "/hangup", "hang up the 1:1 call, leave the Element Call, or end the conference for all"},
	{"mute", "/mute", "mute or unmute the microphone"},
	{"jitsi", "/jitsi [refresh]", "Jitsi server for new conferences and what the call keys start here; refresh re-reads it"},
	{"widgets", "/widgets", "list the room's widgets"},
	{"widget", "/widget open N", "open widget number N from /widgets in the browser"},
	{"addwidget", "/addwidget https://...", "add a custom widget"},
	{"removewidget", "/removewidget ID", "remove a widget"},
	{"recovery", "/recovery", "verify this session with the recovery key or passphrase (asked masked)"},
	{"crosssigning", "/crosssigning setup | reset", "set up cross-signing and key backup; reset makes new keys"},
	{"keys", "/keys export FILE | import FILE", "export or import room keys, passphrase-protected (Element's format)"},
	{"devices", "/devices [rename ID NAME | logout ID]", "list your sessions and whether they are verified; rename or log one out"},
	{"verify", "/verify [@user]", "emoji verification: this session with another of yours, or another user"},
	{"expand", "/expand", "show the long messages folded in the open room"},
	{"logout", "/logout", "log out and forget the session (asks first)"},
	{"quit", "/quit", "quit termatrix"},
	{"help", "/help", "list commands and keys"},
}

// ParseCommand parses composer input. ok is false for a plain message;
// "//text" is a message that starts with "/".
func ParseCommand(input string) (cmd Command, ok bool) {
	if !strings.HasPrefix(input, "/") || strings.HasPrefix(input, "//") {
		return Command{}, false
	}
	rest := input[1:]
	name, args, _ := strings.Cut(rest, " ")
	if i := strings.IndexByte(name, '\n'); i >= 0 {
		name, args = name[:i], name[i+1:]+" "+args
	}
	return Command{Name: strings.ToLower(name), Args: strings.TrimSpace(args)}, true
}

// knownCommand says whether /name exists.
func knownCommand(name string) bool {
	for _, c := range commandHelp {
		if c.name == name {
			return true
		}
	}
	return false
}

// messageText returns what a non-command input sends ("//x" sends "/x").
func messageText(input string) string {
	if strings.HasPrefix(input, "//") {
		return input[1:]
	}
	return input
}

// topicClear is the /topic argument that removes the topic.
const topicClear = "--clear"

// topicCommand runs /topic: alone it shows the open room's topic (it never
// clears it by accident); "/topic --clear" removes it; "/topic text" sets it.
// It returns whether the composer should be cleared.
func (u *UI) topicCommand(arg string) bool {
	room := u.s.current
	if room == "" {
		u.say(true, "No room open.")
		return false
	}
	switch arg {
	case "":
		r, _ := u.w.roomList.Room(room)
		if t := sanitize.Line(r.Topic); t != "" {
			u.say(false, "Topic: %s", t)
		} else {
			u.say(false, "This room has no topic. Set one with /topic text.")
		}
		return true
	case topicClear:
		u.bg("Clearing the topic", func(ctx context.Context, c *matrix.Client) error { return c.SetTopic(ctx, room, "") },
			func() { u.say(false, "Topic cleared.") })
	default:
		u.bg("Setting the topic", func(ctx context.Context, c *matrix.Client) error { return c.SetTopic(ctx, room, arg) },
			func() { u.say(false, "Topic set.") })
	}
	return true
}
