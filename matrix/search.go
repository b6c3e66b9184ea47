package matrix

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Searching a room's messages. A plain room is searched by its homeserver
// (POST /_matrix/client/v3/search, room_events on content.body of that
// room). The server cannot read encrypted messages, so an encrypted room
// is searched here instead, over the messages the store holds decrypted.

// maxSearchResults bounds one search's results.
const maxSearchResults = 50

// SearchResults is what a search of a room found, newest first. Events
// are remote data: sanitize what is shown of them.
type SearchResults struct {
	Events []*event.Event
	// Count is the server's estimate of all matches (len(Events) when
	// searched locally).
	Count int
	// Local says the store was searched (an encrypted room); Searched is
	// how many stored messages were.
	Local    bool
	Searched int
}

// Search looks for messages of a room whose body holds text.
func (c *Client) Search(ctx context.Context, roomID id.RoomID, text string) (SearchResults, error) {
	if c.closed.Load() {
		return SearchResults{}, ErrClosed
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return SearchResults{}, errors.New("searching: no text")
	}
	r, ok := c.Room(roomID)
	if !ok || r.Membership != event.MembershipJoin {
		return SearchResults{}, fmt.Errorf("searching %s: %w", roomID, errNotJoined)
	}
	if r.Encrypted {
		return c.searchStored(ctx, roomID, text)
	}
	resp, err := c.cli.Search(ctx, &mautrix.ReqSearch{
		SearchTerm: text,
		Keys:       []string{"content.body"},
		OrderBy:    "recent",
		Filter:     &mautrix.FilterPart{Rooms: []id.RoomID{roomID}, Limit: maxSearchResults},
	})
	if err != nil {
		return SearchResults{}, fmt.Errorf("searching %s: %w", roomID, c.scrub(err))
	}
	var out SearchResults
	if resp == nil {
		return out, nil
	}
	out.Count = resp.Count
	for _, res := range resp.Results {
		if res == nil || res.Event == nil || (res.Event.RoomID != "" && res.Event.RoomID != roomID) || len(out.Events) == maxSearchResults {
			continue // another room's event is not asked for
		}
		prepareEvent(res.Event, roomID)
		out.Events = append(out.Events, res.Event)
	}
	return out, nil
}

// searchStored searches the messages stored for a room (decrypted, in an
// encrypted room), newest first; edits are left out (their original is
// found, or not).
func (c *Client) searchStored(ctx context.Context, roomID id.RoomID, text string) (SearchResults, error) {
	const messages = `FROM tm_timeline WHERE room_id = ? AND json_extract(event, '$.type') = 'm.room.message'
		AND json_extract(event, '$.content."m.relates_to".rel_type') IS NOT 'm.replace'`
	out := SearchResults{Local: true}
	if err := c.db.QueryRowContext(ctx, `SELECT COUNT(*) `+messages, roomID).Scan(&out.Searched); err != nil {
		return out, fmt.Errorf("searching %s: %w", roomID, err)
	}
	pattern := "%" + likeEscaper.Replace(text) + "%"
	rows, err := c.db.QueryContext(ctx, `SELECT event `+messages+`
		AND json_extract(event, '$.content.body') LIKE ? ESCAPE '\' ORDER BY seq DESC LIMIT ?`,
		roomID, pattern, maxSearchResults)
	if err != nil {
		return out, fmt.Errorf("searching %s: %w", roomID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return out, fmt.Errorf("searching %s: %w", roomID, err)
		}
		if ev, err := decodeEvent(data, roomID); err == nil {
			out.Events = append(out.Events, ev)
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("searching %s: %w", roomID, err)
	}
	out.Count = len(out.Events)
	return out, nil
}

// likeEscaper escapes LIKE's wildcards (with ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
