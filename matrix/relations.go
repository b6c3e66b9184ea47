package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Replies, edits and reactions go through the outbox like any message
// (ordered, retried under one transaction ID, encrypted in encrypted
// rooms: m.relates_to stays in the clear beside the ciphertext, as the
// spec wants, so servers can aggregate). Redactions do not: they have
// their own endpoint and are never encrypted.
//
// The shapes are the spec's (and Element's):
//   - reply: m.relates_to.m.in_reply_to.event_id, no fallback in the body
//     (the spec dropped reply fallbacks in v1.13), and the replied-to
//     sender in m.mentions;
//   - edit: "* new text" as the body for old clients, the new content in
//     m.new_content (without relations), and m.relates_to rel_type
//     m.replace; the top-level m.mentions names only the users the edit
//     newly mentions, so an edit does not notify twice;
//   - reaction: m.reaction with m.relates_to rel_type m.annotation and
//     the key.

// maxReactionKey bounds a reaction key we send, in bytes; the UI cuts
// what it shows of others' keys to a few columns.
const maxReactionKey = 256

// queueEvent puts a message event of any type in the room's outbox,
// publishes its local echo and returns its transaction ID (see SendText).
func (c *Client) queueEvent(roomID id.RoomID, t event.Type, content any) string {
	txnID := c.newTxnID()
	raw, err := json.Marshal(content)
	if err != nil {
		// Contents built here always encode; say so loudly if one does not.
		c.log.Error().Err(err).Str("type", t.Type).Msg("encoding a message to queue")
		return ""
	}
	m := &outMsg{txnID: txnID, roomID: roomID, evType: t, content: raw, ts: time.Now().UnixMilli()}
	if err := c.storeQueued(m); err != nil {
		// Still sent from memory; only a restart before then loses it.
		c.log.Warn().Err(err).Str("txn_id", txnID).Msg("keeping a queued message in the store")
	}
	c.out.add(m)
	c.hub.Publish(LocalEcho{RoomID: roomID, TxnID: txnID, Event: c.echoEvent(m)})
	c.kickQueue(roomID)
	return txnID
}

// SendReply queues a reply (Markdown, as SendText) to the event to, sent
// by toSender, and returns its transaction ID. The reply carries no
// fallback quote: readers render the quote from the replied-to event.
func (c *Client) SendReply(roomID id.RoomID, markdown string, to id.EventID, toSender id.UserID) string {
	content := renderText(markdown, false, c.sess.UserID)
	content.RelatesTo = (&event.RelatesTo{}).SetReplyTo(to)
	if toSender != "" && toSender != c.sess.UserID {
		if content.Mentions == nil {
			content.Mentions = &event.Mentions{}
		}
		if !slices.Contains(content.Mentions.UserIDs, toSender) {
			content.Mentions.UserIDs = append(content.Mentions.UserIDs, toSender)
		}
	}
	return c.queueEvent(roomID, event.EventMessage, content)
}

// Edit is what SendEdit needs of the message it replaces.
type Edit struct {
	// Target is the original message's event ID (never an edit's).
	Target id.EventID
	// Emote keeps the message an emote (m.emote).
	Emote bool
	// Mentioned are the users the message mentioned before the edit.
	Mentioned []id.UserID
}

// SendEdit queues an m.replace edit of one of the user's messages, with
// markdown as its new text, and returns its transaction ID.
func (c *Client) SendEdit(roomID id.RoomID, e Edit, markdown string) string {
	nc := renderText(markdown, e.Emote, c.sess.UserID)
	content := &event.MessageEventContent{
		MsgType:    nc.MsgType,
		Body:       "* " + nc.Body,
		NewContent: nc,
		RelatesTo:  (&event.RelatesTo{}).SetReplace(e.Target),
		Mentions:   &event.Mentions{},
	}
	if nc.Format != "" {
		content.Format, content.FormattedBody = nc.Format, "* "+nc.FormattedBody
	}
	if nc.Mentions != nil {
		for _, u := range nc.Mentions.UserIDs {
			if !slices.Contains(e.Mentioned, u) {
				content.Mentions.UserIDs = append(content.Mentions.UserIDs, u)
			}
		}
	}
	return c.queueEvent(roomID, event.EventMessage, content)
}

// ErrBadReactionKey is returned for an empty or oversized reaction key.
var ErrBadReactionKey = errors.New("a reaction key must be 1 to 256 bytes of text")

// React queues an m.reaction annotating target with key (an emoji or any
// text) and returns its transaction ID. Removing it is Redact of the
// reaction's event.
func (c *Client) React(roomID id.RoomID, target id.EventID, key string) (string, error) {
	if strings.TrimSpace(key) == "" || len(key) > maxReactionKey {
		return "", ErrBadReactionKey
	}
	content := &event.ReactionEventContent{RelatesTo: *(&event.RelatesTo{}).SetAnnotation(target, key)}
	return c.queueEvent(roomID, event.EventReaction, content), nil
}

// Redact redacts an event (a message, or one of the user's reactions to
// take it back) with an optional reason, and returns the redaction's
// event ID. Redactions are never encrypted, also in encrypted rooms: the
// server must read them to strip the event.
func (c *Client) Redact(ctx context.Context, roomID id.RoomID, eventID id.EventID, reason string) (id.EventID, error) {
	if c.closed.Load() {
		return "", ErrClosed
	}
	if eventID == "" || eventID[0] != '$' {
		return "", fmt.Errorf("redacting %q: not an event ID", eventID)
	}
	resp, err := c.cli.RedactEvent(ctx, roomID, eventID, mautrix.ReqRedact{Reason: reason, TxnID: c.newTxnID()})
	if err != nil {
		return "", fmt.Errorf("redacting %s in %s: %w", eventID, roomID, c.scrub(err))
	}
	return resp.EventID, nil
}
