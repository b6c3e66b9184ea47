package matrix

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// storeCacheKiB is the page cache of each connection to the store, in KiB
// (SQLite's default is 2,000): what it keeps is C memory for as long as
// the connection lives. The pages it misses come from the system's file
// cache; bench scale measured the same CPU for the cold start of 1,000
// rooms with 512 KiB as with the default, and 2 MB less resident memory
// after it.
const storeCacheKiB = 512

// openStore opens (creating if needed) the SQLite store at path in WAL
// mode and brings its schema up to date.
func openStore(ctx context.Context, path string) (*sql.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating store directory: %w", err)
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_synchronous", "NORMAL")
	q.Set("_foreign_keys", "1")
	q.Set("_txlock", "immediate")
	q.Set("_cache_size", strconv.Itoa(-storeCacheKiB))
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db := sql.OpenDB(newStoreConnector(dsn))
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}
	if err := migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}
	// The WAL files hold the same private data as the database.
	for _, extra := range []string{path + "-wal", path + "-shm"} {
		if err := os.Chmod(extra, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			_ = db.Close()
			return nil, fmt.Errorf("opening store %s: %w", path, err)
		}
	}
	return db, nil
}

// roomRow is the stored summary of one room: what the room list shows and
// what the next sync needs to compute it.
type roomRow struct {
	ID            id.RoomID
	Membership    event.Membership
	Inviter       id.UserID
	InviteDirect  bool
	Name          string
	Topic         string
	Heroes        []id.UserID
	JoinedCount   int // -1: unknown, count member state
	InvitedCount  int
	JoinedShown   int // summary count, else counted from member state
	Unread        int // the server's notification count
	OwnUnread     int // ours: see unread.go
	Highlights    int
	LastActivity  int64 // unix ms
	Encrypted     bool
	PrevBatch     string // /messages token before the oldest stored event
	HistoryDone   bool   // the oldest stored event is the room's first
	MembersLoaded bool   // the full member list was fetched
}

func (r *roomRow) clone() *roomRow {
	c := *r
	c.Heroes = append([]id.UserID(nil), r.Heroes...)
	return &c
}

const roomColumns = `room_id, membership, inviter, invite_direct, name, topic, heroes, joined_count,
	invited_count, joined_shown, unread, highlights, last_activity, encrypted, prev_batch, history_done, members_loaded,
	own_unread`

func loadRooms(ctx context.Context, q queryer) (map[id.RoomID]*roomRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+roomColumns+` FROM tm_room`)
	if err != nil {
		return nil, fmt.Errorf("loading rooms: %w", err)
	}
	defer rows.Close()
	out := make(map[id.RoomID]*roomRow)
	for rows.Next() {
		var r roomRow
		var heroes string
		if err := rows.Scan(&r.ID, &r.Membership, &r.Inviter, &r.InviteDirect, &r.Name, &r.Topic, &heroes,
			&r.JoinedCount, &r.InvitedCount, &r.JoinedShown, &r.Unread, &r.Highlights, &r.LastActivity, &r.Encrypted,
			&r.PrevBatch, &r.HistoryDone, &r.MembersLoaded, &r.OwnUnread); err != nil {
			return nil, fmt.Errorf("loading rooms: %w", err)
		}
		_ = json.Unmarshal([]byte(heroes), &r.Heroes)
		out[r.ID] = &r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("loading rooms: %w", err)
	}
	return out, nil
}

func saveRoom(ctx context.Context, q queryer, r *roomRow) error {
	heroes, _ := json.Marshal(r.Heroes)
	if r.Heroes == nil {
		heroes = []byte("[]")
	}
	_, err := q.ExecContext(ctx, `INSERT OR REPLACE INTO tm_room (`+roomColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Membership, r.Inviter, r.InviteDirect, r.Name, r.Topic, string(heroes), r.JoinedCount,
		r.InvitedCount, r.JoinedShown, r.Unread, r.Highlights, r.LastActivity, r.Encrypted, r.PrevBatch, r.HistoryDone,
		r.MembersLoaded, r.OwnUnread)
	if err != nil {
		return fmt.Errorf("saving room %s: %w", r.ID, err)
	}
	return nil
}

// deleteRoom forgets a room with its state and timeline.
func deleteRoom(ctx context.Context, q queryer, roomID id.RoomID) error {
	for _, stmt := range []string{
		`DELETE FROM tm_room WHERE room_id = ?`,
		`DELETE FROM tm_state WHERE room_id = ?`,
		`DELETE FROM tm_timeline WHERE room_id = ?`,
		`DELETE FROM tm_receipt WHERE room_id = ?`,
	} {
		if _, err := q.ExecContext(ctx, stmt, roomID); err != nil {
			return fmt.Errorf("forgetting room %s: %w", roomID, err)
		}
	}
	return nil
}

// decodeEvent reads a stored event and prepares it like a synced one.
func decodeEvent(data []byte, roomID id.RoomID) (*event.Event, error) {
	var ev event.Event
	if err := decodeWireEvent(data, &ev); err != nil {
		return nil, fmt.Errorf("decoding stored event: %w", err)
	}
	prepareEvent(&ev, roomID)
	return &ev, nil
}

// prepareEvent sets the room ID and type class of a room event and parses
// its content where mautrix knows the type (Content.Parsed, so the AsX
// helpers work). Content.VeryRaw keeps the JSON as sent.
func prepareEvent(ev *event.Event, roomID id.RoomID) {
	if ev.RoomID == "" {
		ev.RoomID = roomID
	}
	if ev.StateKey != nil {
		ev.Type.Class = event.StateEventType
	} else {
		ev.Type.Class = event.MessageEventType
	}
	if ev.Content.Parsed == nil && len(ev.Content.VeryRaw) > 0 {
		if ev.Type.Class == event.MessageEventType && ev.Type.Type == event.EventMessage.Type {
			if m, ok := parseMessageContent(ev.Content.VeryRaw); ok {
				ev.Content.Parsed = m
				return
			}
		}
		if err := ev.Content.ParseRaw(ev.Type); err != nil && !errors.Is(err, event.ErrUnsupportedContentType) {
			// Malformed content: keep the raw JSON only, so the UI shows
			// it as unsupported instead of half-parsed.
			ev.Content.Parsed = nil
		}
	}
}

// putState stores a current state event.
func putState(ctx context.Context, q queryer, ev *event.Event) error {
	return putStateEncoded(ctx, q, ev, nil)
}

// putStateEncoded is putState given the event's encodeEvent, if it was
// encoded already (nil: encoded here).
func putStateEncoded(ctx context.Context, q queryer, ev *event.Event, data []byte) error {
	if data == nil {
		var err error
		if data, err = encodeEvent(ev); err != nil {
			return err
		}
	}
	_, err := q.ExecContext(ctx, `INSERT OR REPLACE INTO tm_state (room_id, type, state_key, event) VALUES (?, ?, ?, ?)`,
		ev.RoomID, ev.Type.Type, ev.GetStateKey(), data)
	if err != nil {
		return fmt.Errorf("storing state %s in %s: %w", ev.Type.Type, ev.RoomID, err)
	}
	return nil
}

// putStateIfAbsent stores a state event unless one is stored already for
// its type and state key (for member lists fetched while syncing).
func putStateIfAbsent(ctx context.Context, q queryer, ev *event.Event) (bool, error) {
	data, err := encodeEvent(ev)
	if err != nil {
		return false, err
	}
	res, err := q.ExecContext(ctx, `INSERT OR IGNORE INTO tm_state (room_id, type, state_key, event) VALUES (?, ?, ?, ?)`,
		ev.RoomID, ev.Type.Type, ev.GetStateKey(), data)
	if err != nil {
		return false, fmt.Errorf("storing state %s in %s: %w", ev.Type.Type, ev.RoomID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func clearState(ctx context.Context, q queryer, roomID id.RoomID) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM tm_state WHERE room_id = ?`, roomID); err != nil {
		return fmt.Errorf("clearing state of %s: %w", roomID, err)
	}
	return nil
}

// getState returns one stored state event, or nil.
func getState(ctx context.Context, q queryer, roomID id.RoomID, t string, stateKey string) (*event.Event, error) {
	var data []byte
	err := q.QueryRowContext(ctx, `SELECT event FROM tm_state WHERE room_id = ? AND type = ? AND state_key = ?`,
		roomID, t, stateKey).Scan(&data)
	if err == sql.ErrNoRows {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("reading state %s of %s: %w", t, roomID, err)
	}
	return decodeEvent(data, roomID)
}

// hasState says whether a state event is stored, without reading it.
func hasState(ctx context.Context, q queryer, roomID id.RoomID, t string, stateKey string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM tm_state WHERE room_id = ? AND type = ? AND state_key = ?`,
		roomID, t, stateKey).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("looking up state %s of %s: %w", t, roomID, err)
	}
	return true, nil
}

// getStates returns every stored state event of a type, by state key.
func getStates(ctx context.Context, q queryer, roomID id.RoomID, t string) (map[string]*event.Event, error) {
	rows, err := q.QueryContext(ctx, `SELECT state_key, event FROM tm_state WHERE room_id = ? AND type = ?`, roomID, t)
	if err != nil {
		return nil, fmt.Errorf("reading state %s of %s: %w", t, roomID, err)
	}
	defer rows.Close()
	out := make(map[string]*event.Event)
	for rows.Next() {
		var key string
		var data []byte
		if err := rows.Scan(&key, &data); err != nil {
			return nil, fmt.Errorf("reading state %s of %s: %w", t, roomID, err)
		}
		ev, err := decodeEvent(data, roomID)
		if err != nil {
			continue
		}
		out[key] = ev
	}
	return out, rows.Err()
}

func getSyncValue(ctx context.Context, q queryer, key string) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM tm_sync WHERE key = ?`, key).Scan(&v)
	if err == sql.ErrNoRows {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("reading %s: %w", key, err)
	}
	return v, nil
}

func setSyncValue(ctx context.Context, q queryer, key, value string) error {
	if _, err := q.ExecContext(ctx, `INSERT OR REPLACE INTO tm_sync (key, value) VALUES (?, ?)`, key, value); err != nil {
		return fmt.Errorf("saving %s: %w", key, err)
	}
	return nil
}

func putAccountData(ctx context.Context, q queryer, t string, content []byte) error {
	if _, err := q.ExecContext(ctx, `INSERT OR REPLACE INTO tm_account_data (type, content) VALUES (?, ?)`, t, content); err != nil {
		return fmt.Errorf("saving account data %s: %w", t, err)
	}
	return nil
}

func getAccountData(ctx context.Context, q queryer, t string) ([]byte, error) {
	var data []byte
	err := q.QueryRowContext(ctx, `SELECT content FROM tm_account_data WHERE type = ?`, t).Scan(&data)
	if err == sql.ErrNoRows {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("reading account data %s: %w", t, err)
	}
	return data, nil
}
