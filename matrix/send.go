package matrix

import (
	"context"
	"encoding/json"
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

// sendTimeout bounds one attempt at sending a message.
const sendTimeout = 60 * time.Second

// pendingSend is a message being sent or failed, kept for Retry.
type pendingSend struct {
	roomID  id.RoomID
	evType  event.Type
	content *event.MessageEventContent
	sending bool
}

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

// SendText sends a message (Markdown becomes formatted_body; emote for /me)
// in the background and returns its transaction ID. A LocalEcho is published
// at once and an EchoResolved when the server answers. In an end-to-end
// encrypted room the message is encrypted; if it cannot be, nothing is sent
// and the EchoResolved carries an error matching ErrEncryptedRoom. The echo is never
// stored: the real event arrives through sync (with
// unsigned.transaction_id set to the returned ID) and is stored once.
func (c *Client) SendText(roomID id.RoomID, markdown string, emote bool) string {
	txnID := c.newTxnID()
	content := renderText(markdown, emote, c.sess.UserID)
	raw, _ := json.Marshal(content)
	var rawMap map[string]any
	_ = json.Unmarshal(raw, &rawMap)
	echo := &event.Event{
		Type:      event.EventMessage,
		Sender:    c.sess.UserID,
		RoomID:    roomID,
		Timestamp: time.Now().UnixMilli(),
		Content:   event.Content{VeryRaw: raw, Raw: rawMap, Parsed: content},
		Unsigned:  event.Unsigned{TransactionID: txnID},
	}
	p := &pendingSend{roomID: roomID, evType: event.EventMessage, content: content, sending: true}
	c.sendMu.Lock()
	c.pending[txnID] = p
	c.sendMu.Unlock()
	c.hub.Publish(LocalEcho{RoomID: roomID, TxnID: txnID, Event: echo})
	if !c.goBackground(func(ctx context.Context) { c.sendPending(ctx, txnID, p) }) {
		c.finishSend(txnID, p, "", ErrClosed)
	}
	return txnID
}

// sendPending makes one attempt at sending a pending message.
func (c *Client) sendPending(ctx context.Context, txnID string, p *pendingSend) {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	eventID, err := c.sendMessage(ctx, p.roomID, p.evType, p.content, txnID)
	if err != nil {
		c.finishSend(txnID, p, "", fmt.Errorf("sending message: %w", err))
		return
	}
	c.finishSend(txnID, p, eventID, nil)
}

// finishSend records a send's outcome and publishes EchoResolved.
func (c *Client) finishSend(txnID string, p *pendingSend, eventID id.EventID, err error) {
	c.sendMu.Lock()
	if err == nil {
		delete(c.pending, txnID)
	} else {
		p.sending = false
	}
	c.sendMu.Unlock()
	if err != nil {
		c.log.Warn().Err(err).Str("txn_id", txnID).Stringer("room_id", p.roomID).Msg("message not sent")
	}
	c.hub.Publish(EchoResolved{RoomID: p.roomID, TxnID: txnID, EventID: eventID, Err: err})
}

// Retry resends a failed pending message with the same transaction ID (so
// the server never stores it twice); its outcome comes as EchoResolved.
func (c *Client) Retry(roomID id.RoomID, txnID string) error {
	c.sendMu.Lock()
	p, ok := c.pending[txnID]
	if !ok || p.roomID != roomID {
		c.sendMu.Unlock()
		return fmt.Errorf("retrying %s: no such pending message", txnID)
	}
	if p.sending {
		c.sendMu.Unlock()
		return fmt.Errorf("retrying %s: it is still being sent", txnID)
	}
	p.sending = true
	c.sendMu.Unlock()
	if !c.goBackground(func(ctx context.Context) { c.sendPending(ctx, txnID, p) }) {
		c.finishSend(txnID, p, "", ErrClosed)
		return ErrClosed
	}
	return nil
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
