package matrix

import (
	"context"
	"fmt"
	"slices"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Threads (m.thread relations, spec v1.4): a thread reply names its root in
// m.relates_to (rel_type m.thread, event_id) and, for clients that do not
// show threads, an m.in_reply_to: the thread's latest event with
// is_falling_back true, or, for a reply to one message of the thread, that
// message with is_falling_back false (the shape Element sends). Thread
// replies go through the outbox like every message.

const (
	// threadPage is how many thread events one /relations request asks for.
	threadPage = 100
	// maxThreadEvents bounds what ThreadReplies reads of one thread.
	maxThreadEvents = 1000
)

// ThreadReplies reads a thread's events from the server
// (GET /_matrix/client/v1/rooms/{roomId}/relations/{root}/m.thread),
// oldest first, decrypting encrypted ones as Event does. It reads at most
// maxThreadEvents, the newest.
func (c *Client) ThreadReplies(ctx context.Context, roomID id.RoomID, root id.EventID) ([]*event.Event, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	var newestFirst []*event.Event
	from := ""
	for len(newestFirst) < maxThreadEvents {
		resp, err := c.cli.GetRelations(ctx, roomID, root, &mautrix.ReqGetRelations{
			RelationType: event.RelThread, Dir: mautrix.DirectionBackward, From: from, Limit: threadPage,
		})
		if err != nil {
			return nil, fmt.Errorf("reading the thread of %s: %w", root, c.scrub(err))
		}
		for _, ev := range resp.Chunk {
			if ev == nil || (ev.RoomID != "" && ev.RoomID != roomID) {
				continue
			}
			ev.RoomID = roomID
			prepareEvent(ev, roomID)
			newestFirst = append(newestFirst, c.decrypt(ctx, ev))
		}
		if resp.NextBatch == "" || resp.NextBatch == from || len(resp.Chunk) == 0 {
			break
		}
		from = resp.NextBatch
	}
	out := make([]*event.Event, len(newestFirst))
	for i, ev := range newestFirst {
		out[len(out)-1-i] = ev
	}
	return out, nil
}

// SendThreadReply queues a message (Markdown, as SendText) in the thread of
// root and returns its transaction ID. inReplyTo is the event it answers:
// with fallback true, the thread's latest event (the reply relation is only
// a fallback for clients without threads); with fallback false, the one
// message of the thread it replies to. inReplyTo "" falls back to the root.
func (c *Client) SendThreadReply(roomID id.RoomID, root id.EventID, markdown string, inReplyTo id.EventID, toSender id.UserID, fallback bool) string {
	content := renderText(markdown, false, c.sess.UserID)
	if inReplyTo == "" {
		inReplyTo, fallback = root, true
	}
	content.RelatesTo = &event.RelatesTo{
		Type:          event.RelThread,
		EventID:       root,
		InReplyTo:     &event.InReplyTo{EventID: inReplyTo},
		IsFallingBack: fallback,
	}
	if !fallback && toSender != "" && toSender != c.sess.UserID {
		if content.Mentions == nil {
			content.Mentions = &event.Mentions{}
		}
		if !slices.Contains(content.Mentions.UserIDs, toSender) {
			content.Mentions.UserIDs = append(content.Mentions.UserIDs, toSender)
		}
	}
	return c.queueEvent(roomID, event.EventMessage, content)
}
