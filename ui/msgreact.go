package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"maunium.net/go/mautrix/event"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/calls/browser"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// linkOpenTimeout bounds starting the browser for a link.
const linkOpenTimeout = 30 * time.Second

// quickReactions are the picker's emoji, picked by their number. The keys
// are what Element sends (with the emoji variation selector where the
// emoji has one), so that reactions from both count together.
var quickReactions = []string{"👍", "❤️", "😂", "🎉", "😮", "😢", "👀", "✅"}

// shortcodes is a small table of :shortcode: names for reaction keys.
var shortcodes = map[string]string{
	"thumbsup": "👍", "+1": "👍", "thumbsdown": "👎", "-1": "👎", "heart": "❤️", "joy": "😂",
	"tada": "🎉", "open_mouth": "😮", "cry": "😢", "sob": "😭", "eyes": "👀", "white_check_mark": "✅",
	"check": "✅", "x": "❌", "smile": "😄", "slightly_smiling_face": "🙂", "laughing": "😆", "wink": "😉",
	"fire": "🔥", "rocket": "🚀", "pray": "🙏", "clap": "👏", "thinking": "🤔", "ok_hand": "👌",
	"wave": "👋", "100": "💯", "star": "⭐", "heart_eyes": "😍", "sweat_smile": "😅", "party": "🥳",
	"shrug": "🤷", "muscle": "💪", "raised_hands": "🙌", "see_no_evil": "🙈", "rofl": "🤣",
}

// reactionKey is the key a typed reaction stands for: a picker number,
// a :shortcode: from the table, or the text itself.
func reactionKey(typed string) string {
	s := strings.TrimSpace(typed)
	if len(s) == 1 && s[0] >= '1' && int(s[0]-'1') < len(quickReactions) {
		return quickReactions[s[0]-'1']
	}
	if len(s) > 2 && s[0] == ':' && s[len(s)-1] == ':' {
		if e, ok := shortcodes[strings.ToLower(s[1:len(s)-1])]; ok {
			return e
		}
	}
	return s
}

// showReactPicker asks which reaction to put on ev (or take back).
func (u *UI) showReactPicker(ev *event.Event) {
	mine := map[string]bool{}
	if tv := u.focusTV(); tv != nil {
		for _, c := range tv.Reactions(ev.ID) {
			mine[c.Key] = c.Mine
		}
	}
	pick := Line{}
	for i, k := range quickReactions {
		style := styleText
		if mine[k] {
			style = styleReactionMine
		}
		pick = append(pick, Segment{fmt.Sprintf(" %d ", i+1), styleCode}, Segment{k, style}, Segment{" ", styleText})
	}
	lines := []Line{
		pick,
		Line{},
		plain("Type a number, a :shortcode: (:thumbsup:, :tada:, :eyes:…) or any text, then Enter.", styleDim),
		plain("Your reactions are highlighted; the same one again takes it back.", styleDim),
	}
	p := newPrompt("React", lines, "Reaction:", false, func(text string) {
		if key := reactionKey(text); key != "" {
			u.toggleReaction(ev, key)
		}
	})
	u.showDialog("react", p)
}

// toggleReaction reacts to ev with key, or takes the user's reaction with
// that key back (redacting it).
func (u *UI) toggleReaction(ev *event.Event, key string) {
	room := u.s.current
	if !u.canSend() {
		return
	}
	if tv := u.focusTV(); tv != nil {
		for _, c := range tv.Reactions(ev.ID) {
			if c.Key != key || !c.Mine {
				continue
			}
			if c.MyEvent == "" {
				u.say(false, "Your %s reaction is still being sent.", ShownReactionKey(key))
				return
			}
			u.redact(room, c.MyEvent, "", "Reaction "+ShownReactionKey(key)+" taken back.")
			return
		}
	}
	if _, err := u.s.client.React(room, ev.ID, key); err != nil {
		u.say(true, "Not sent: %s", sanitize.Line(err.Error()))
	}
}

// messageLink is the first http(s) link of a message's text, rebuilt from
// its parsed parts; "" if it has none.
func messageLink(ev *event.Event, st ItemState) string {
	for _, m := range urlPattern.FindAllString(messageBody(ev, st), -1) {
		if l := safeLink(m); l != "" {
			return l
		}
	}
	return ""
}

// isAttachment says whether a message carries a file.
func isAttachment(ev *event.Event, st ItemState) bool {
	if ev.Type.Type == event.EventSticker.Type {
		return true
	}
	content, ok := newestContent(ev, st)
	if !ok {
		return false
	}
	switch content.strOr("msgtype", "") {
	case "m.image", "m.file", "m.video", "m.audio":
		return true
	}
	return false
}

// openMessage opens a message's link (or attachment).
func (u *UI) openMessage(ev *event.Event, st ItemState) {
	if link := messageLink(ev, st); link != "" {
		u.openLink(link)
		return
	}
	if isAttachment(ev, st) {
		u.openAttachment(ev)
	}
}

// openAttachment opens a message's file: a kind viewers show and never
// run (images, PDF, audio, video, plain text: browser.ViewableExt) is
// saved under termatrix's cache with the extension of its media type and
// handed to the browser command or the system opener, under the rules of
// links (never over SSH, nor without a display); any other kind, or where
// nothing may be opened, is saved to the download folder as `s` does.
func (u *UI) openAttachment(ev *event.Event) {
	a, err := matrix.AttachmentOf(ev)
	if err != nil {
		u.say(true, "That message has no file to open.")
		return
	}
	opener := browser.New(browser.Options{Setting: u.cfg.Browser})
	ext := browser.ViewableExt(a.MimeType)
	why := opener.Reason()
	if ext == "" {
		why = "files of this kind are saved, not opened"
	}
	if why != "" {
		u.downloadEventThen(ev, "", func(saved string) {
			u.say(false, "Saved %s (not opened: %s)", sanitize.Line(saved), why)
		})
		return
	}
	dir, err := openCacheDir()
	if err != nil {
		u.say(true, "Opening the file failed: %s", sanitize.Line(err.Error()))
		return
	}
	name := strings.TrimSuffix(a.Name, filepath.Ext(a.Name)) + ext
	ctx := u.s.sessionCtx
	u.downloadEventThen(ev, filepath.Join(dir, name), func(saved string) {
		go func() {
			octx, cancel := context.WithTimeout(ctx, linkOpenTimeout)
			defer cancel()
			err := opener.OpenFile(octx, saved)
			u.queue(func() {
				if err != nil {
					u.say(true, "Saved %s but could not open it: %s", sanitize.Line(saved), sanitize.Line(err.Error()))
					return
				}
				u.say(false, "Opened %s", sanitize.Line(filepath.Base(saved)))
			})
		}()
	})
}

// openCacheDir is where files are saved to be opened: termatrix's cache,
// readable by the user alone.
func openCacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache directory: %w", err)
	}
	dir := filepath.Join(base, "termatrix", "open")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	return dir, nil
}

// openLink opens a link with the browser, as calls open Jitsi: never over
// SSH or without a display, and only https; otherwise (and for http) the
// link dialog shows it to copy (OSC 52) or scan.
func (u *UI) openLink(link string) {
	if err := browser.CheckHTTPS(link); err != nil {
		u.showLink(calls.ShowLink{Title: "Link", URL: link, Reason: "Only https links are opened from here: open it yourself if you trust it."})
		return
	}
	opener := browser.New(browser.Options{Setting: u.cfg.Browser})
	ctx := u.s.sessionCtx
	go func() {
		octx, cancel := context.WithTimeout(ctx, linkOpenTimeout)
		defer cancel()
		err := opener.Open(octx, link)
		u.queue(func() {
			var nl *browser.NotLaunchedError
			switch {
			case err == nil:
				u.say(false, "Opened the link in the browser.")
			case errors.As(err, &nl):
				u.showLink(calls.ShowLink{Title: "Link", URL: link, Reason: nl.Reason})
			default:
				u.say(true, "Could not open the link: %s", sanitize.Line(err.Error()))
			}
		})
	}()
}

// copyMessage copies a message's text to the terminal's clipboard.
func (u *UI) copyMessage(ev *event.Event, st ItemState) {
	if err := u.copyToClipboard(messageBody(ev, st)); err != nil {
		u.say(true, "Copying failed: %s", sanitize.Line(err.Error()))
		return
	}
	u.say(false, "Message copied to your terminal's clipboard (OSC 52).")
}
