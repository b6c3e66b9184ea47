package matrix

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/format"
	"maunium.net/go/mautrix/id"
)

// newTxnID returns a transaction ID unique to this device and process.
func (c *Client) newTxnID() string {
	return "tm" + strconv.FormatInt(time.Now().UnixNano(), 36) + "." + strconv.FormatUint(c.txnSeq.Add(1), 36)
}

// renderText turns the composer's Markdown into message content:
// formatted_body only when the Markdown produced formatting. m.mentions
// lists the full user IDs written in the text (the sender aside) and is
// left out when there are none: an m.mentions property, even an empty
// one, turns off the legacy push rules that highlight a message naming
// someone's display name, so an empty one would silence every mention.
func renderText(markdown string, emote bool, sender id.UserID) *event.MessageEventContent {
	content := format.RenderMarkdown(markdown, true, false)
	if emote {
		content.MsgType = event.MsgEmote
	}
	content.Mentions = nil
	if users := mentionedUsers(markdown, sender); len(users) > 0 {
		content.Mentions = &event.Mentions{UserIDs: users}
	}
	return &content
}

// userIDPattern finds user IDs (@localpart:server[:port]) in text.
var userIDPattern = regexp.MustCompile(`@[A-Za-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(?::[0-9]{1,5})?`)

// mentionedUsers returns the valid user IDs in text, once each, in order,
// without the sender.
func mentionedUsers(text string, sender id.UserID) []id.UserID {
	var out []id.UserID
	for _, m := range userIDPattern.FindAllString(text, -1) {
		uid := id.UserID(strings.TrimRight(m, ".-"))
		if uid == sender || slices.Contains(out, uid) {
			continue
		}
		if _, _, err := uid.ParseAndValidateRelaxed(); err != nil {
			continue
		}
		out = append(out, uid)
	}
	return out
}

// SendEvent sends a message event of any type (m.call.*, ...), encrypted
// in an end-to-end encrypted room (redactions and m.room.encrypted
// ciphertext excepted). If it cannot be encrypted there, nothing is sent
// and the error matches ErrEncryptedRoom.
func (c *Client) SendEvent(ctx context.Context, roomID id.RoomID, t event.Type, content any) (id.EventID, error) {
	if c.closed.Load() {
		return "", ErrClosed
	}
	eventID, err := c.sendMessage(ctx, roomID, t, content, c.newTxnID())
	if err != nil {
		return "", fmt.Errorf("sending %s to %s: %w", t.Type, roomID, err)
	}
	return eventID, nil
}

// SendState sends a state event (widgets, topic...). State events are
// never encrypted in Matrix, so this works in encrypted rooms too.
func (c *Client) SendState(ctx context.Context, roomID id.RoomID, t event.Type, stateKey string, content any) (id.EventID, error) {
	if c.closed.Load() {
		return "", ErrClosed
	}
	t.Class = event.StateEventType
	resp, err := c.cli.SendStateEvent(ctx, roomID, t, stateKey, content)
	if err != nil {
		return "", fmt.Errorf("sending %s state to %s: %w", t.Type, roomID, c.scrub(err))
	}
	return resp.EventID, nil
}
