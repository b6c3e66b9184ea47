package matrix

import (
	"context"
	"fmt"
	"sort"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// membersFetchTimeout bounds a /members request.
const membersFetchTimeout = 60 * time.Second

// StateEvent returns one current state event from the store, or nil.
func (c *Client) StateEvent(roomID id.RoomID, t event.Type, stateKey string) *event.Event {
	if c.closed.Load() {
		return nil
	}
	ev, err := getState(context.Background(), c.reads, roomID, t.Type, stateKey)
	if err != nil {
		c.log.Debug().Err(err).Msg("reading state")
		return nil
	}
	return ev
}

// StateEvents returns every current state event of a type, by state key.
func (c *Client) StateEvents(roomID id.RoomID, t event.Type) map[string]*event.Event {
	if c.closed.Load() {
		return map[string]*event.Event{}
	}
	evs, err := getStates(context.Background(), c.reads, roomID, t.Type)
	if err != nil {
		c.log.Debug().Err(err).Msg("reading state")
		return map[string]*event.Event{}
	}
	return evs
}

// powerLevels returns the room's power levels, or nil without the event.
func (c *Client) powerLevels(roomID id.RoomID) *event.PowerLevelsEventContent {
	ev := c.StateEvent(roomID, event.StatePowerLevels, "")
	if ev == nil {
		return nil
	}
	if pl, ok := ev.Content.Parsed.(*event.PowerLevelsEventContent); ok {
		return pl
	}
	return &event.PowerLevelsEventContent{}
}

// roomCreator returns the sender of the room's m.room.create, or "".
func (c *Client) roomCreator(roomID id.RoomID) id.UserID {
	if ev := c.StateEvent(roomID, event.StateCreate, ""); ev != nil {
		return ev.Sender
	}
	return ""
}

// userLevel is a user's power level; without a power levels event the
// creator has 100 and everyone else 0.
func userLevel(pl *event.PowerLevelsEventContent, creator, userID id.UserID) int {
	if pl == nil {
		if userID == creator {
			return 100
		}
		return 0
	}
	return pl.GetUserLevel(userID)
}

// CanSendState says whether the user's power level allows sending the
// state event type (events[type], else state_default, which is 50 when
// the power levels event leaves it out; without power levels, anyone may).
func (c *Client) CanSendState(roomID id.RoomID, t event.Type) bool {
	pl := c.powerLevels(roomID)
	if pl == nil {
		return true
	}
	t.Class = event.StateEventType
	return pl.GetUserLevel(c.sess.UserID) >= pl.GetEventLevel(t)
}

// MayRedactOthers says whether a user's power level allows redacting other
// members' events in the room (the power levels' redact level, 50 when
// left out; without power levels, only the room's creator).
func (c *Client) MayRedactOthers(roomID id.RoomID, userID id.UserID) bool {
	pl := c.powerLevels(roomID)
	level := 50
	if pl != nil {
		level = pl.Redact()
	}
	return userLevel(pl, c.roomCreator(roomID), userID) >= level
}

// Members returns the room's joined (and invited) members, sorted by
// display name. With lazy-loaded members the store may know only some;
// the first call for such a room fetches the full list in the background,
// and a StateChanged for each newly learnt member follows.
func (c *Client) Members(roomID id.RoomID) []Member {
	if c.closed.Load() {
		return nil
	}
	infos, err := loadMemberInfo(context.Background(), c.db, roomID)
	if err != nil {
		c.log.Debug().Err(err).Msg("reading members")
		return nil
	}
	c.ensureMembers(roomID)
	pl := c.powerLevels(roomID)
	var creator id.UserID
	if pl == nil {
		creator = c.roomCreator(roomID)
	}
	out := make([]Member, 0, len(infos))
	for _, m := range infos {
		if m.Membership != event.MembershipJoin && m.Membership != event.MembershipInvite {
			continue
		}
		out = append(out, Member{
			UserID:      m.UserID,
			DisplayName: memberName(m, m.UserID),
			Membership:  m.Membership,
			PowerLevel:  userLevel(pl, creator, m.UserID),
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].DisplayName != out[j].DisplayName {
			return out[i].DisplayName < out[j].DisplayName
		}
		return out[i].UserID < out[j].UserID
	})
	return out
}

// ensureMembers starts fetching a joined room's full member list when
// the store may know only some members (lazy loading).
func (c *Client) ensureMembers(roomID id.RoomID) {
	c.mu.RLock()
	row := c.rooms[roomID]
	needFetch := row != nil && row.Membership == event.MembershipJoin && !row.MembersLoaded
	c.mu.RUnlock()
	if needFetch {
		c.fetchMembers(roomID)
	}
}

// fetchMembers loads a room's full member list with /members once, in the
// background, storing only members the store does not know yet (what sync
// stored is never older).
func (c *Client) fetchMembers(roomID id.RoomID) {
	key := "members:" + string(roomID)
	c.fetchMu.Lock()
	if c.fetching[key] {
		c.fetchMu.Unlock()
		return
	}
	c.fetching[key] = true
	c.fetchMu.Unlock()
	started := c.goBackground(func(ctx context.Context) {
		defer func() {
			c.fetchMu.Lock()
			delete(c.fetching, key)
			c.fetchMu.Unlock()
		}()
		if err := c.loadAllMembers(ctx, roomID); err != nil {
			c.log.Debug().Err(err).Stringer("room_id", roomID).Msg("fetching members")
		}
	})
	if !started {
		c.fetchMu.Lock()
		delete(c.fetching, key)
		c.fetchMu.Unlock()
	}
}

func (c *Client) loadAllMembers(ctx context.Context, roomID id.RoomID) error {
	ctx, cancel := context.WithTimeout(ctx, membersFetchTimeout)
	defer cancel()
	resp, err := c.cli.Members(ctx, roomID, mautrix.ReqMembers{})
	if err != nil {
		return fmt.Errorf("fetching members of %s: %w", roomID, c.scrub(err))
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.closed.Load() {
		return ErrClosed
	}
	c.mu.RLock()
	old := c.rooms[roomID]
	c.mu.RUnlock()
	if old == nil || old.Membership != event.MembershipJoin {
		return nil
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storing members of %s: %w", roomID, err)
	}
	defer func() { _ = tx.Rollback() }()
	var added []*event.Event
	for _, ev := range resp.Chunk {
		if ev == nil || ev.StateKey == nil || ev.Type.Type != event.StateMember.Type {
			continue
		}
		ev.RoomID = roomID
		prepareEvent(ev, roomID)
		ok, err := putStateIfAbsent(ctx, tx, ev)
		if err != nil {
			return err
		}
		if ok {
			added = append(added, ev)
		}
	}
	row := old.clone()
	row.MembersLoaded = true
	if err := refreshSummary(ctx, tx, row, c.sess.UserID); err != nil {
		return err
	}
	if err := saveRoom(ctx, tx, row); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storing members of %s: %w", roomID, err)
	}
	c.ckpt.wrote()
	c.mu.Lock()
	c.setRoomsLocked(map[id.RoomID]*roomRow{roomID: row})
	c.mu.Unlock()
	ups := make([]Update, 0, len(added)+1)
	for _, ev := range added {
		ups = append(ups, StateChanged{RoomID: roomID, Event: ev})
	}
	if len(added) > 0 {
		ups = append(ups, RoomsChanged{Rooms: c.RoomList()})
	}
	c.hub.Publish(ups...)
	return nil
}

// Event fetches one event of a room from the homeserver (a reply's
// quoted event that is not loaded), decrypted when it can be. It is not
// stored. Its strings are remote data.
func (c *Client) Event(ctx context.Context, roomID id.RoomID, eventID id.EventID) (*event.Event, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	ev, err := c.cli.GetEvent(ctx, roomID, eventID)
	if err != nil {
		return nil, fmt.Errorf("fetching event %s: %w", eventID, c.scrub(err))
	}
	if ev.RoomID != "" && ev.RoomID != roomID {
		return nil, fmt.Errorf("fetching event %s: the homeserver sent an event of another room", eventID)
	}
	ev.RoomID = roomID
	prepareEvent(ev, roomID)
	return c.decrypt(ctx, ev), nil
}
