package matrix

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// maxHeroes is how many members name a room without a name or alias.
const maxHeroes = 5

// computeRoomName follows the Matrix spec's room display name algorithm:
// the room's name, else its canonical alias, else its heroes' names
// ("Alice", "Alice and Bob", "Alice, Bob and 3 others"), else "Empty room"
// (with "was ..." when the heroes have left). heroes are display names,
// others the joined plus invited members not counting the user.
func computeRoomName(name, alias string, heroes []string, joined, invited int) string {
	if n := strings.TrimSpace(name); n != "" {
		return n
	}
	if a := strings.TrimSpace(alias); a != "" {
		return a
	}
	others := joined + invited - 1
	if len(heroes) == 0 {
		if others > 0 {
			return fmt.Sprintf("%d %s", others, plural(others, "member", "members"))
		}
		return "Empty room"
	}
	if others <= 0 {
		return "Empty room (was " + listNames(heroes, 0) + ")"
	}
	rest := others - len(heroes)
	if rest < 0 {
		rest = 0
	}
	return listNames(heroes, rest)
}

// listNames joins names as "A", "A and B", "A, B and C", or with rest > 0
// "A, B and 3 others".
func listNames(names []string, rest int) string {
	if rest > 0 {
		return strings.Join(names, ", ") + " and " + strconv.Itoa(rest) + " " + plural(rest, "other", "others")
	}
	switch len(names) {
	case 1:
		return names[0]
	default:
		return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// memberInfo is one m.room.member state entry, read without decoding the
// whole event.
type memberInfo struct {
	UserID      id.UserID
	Membership  event.Membership
	DisplayName string
}

// loadMemberInfo reads every stored member of a room.
func loadMemberInfo(ctx context.Context, q queryer, roomID id.RoomID) ([]memberInfo, error) {
	// A display name that is not a string counts as none; a member who
	// left or was banned keeps the name they had (as Element does).
	rows, err := q.QueryContext(ctx, `SELECT state_key, membership,
			CASE WHEN json_type(event, '$.content.displayname') = 'text'
				THEN json_extract(event, '$.content.displayname')
			WHEN membership IN ('leave', 'ban') AND json_type(event, '$.unsigned.prev_content.displayname') = 'text'
				THEN json_extract(event, '$.unsigned.prev_content.displayname')
			ELSE '' END
		FROM (SELECT state_key, event, CASE WHEN json_type(event, '$.content.membership') = 'text'
				THEN json_extract(event, '$.content.membership') ELSE '' END AS membership
			FROM tm_state WHERE room_id = ? AND type = 'm.room.member')`, roomID)
	if err != nil {
		return nil, fmt.Errorf("reading members of %s: %w", roomID, err)
	}
	defer rows.Close()
	var out []memberInfo
	for rows.Next() {
		var m memberInfo
		var ms, dn sql.NullString
		if err := rows.Scan(&m.UserID, &ms, &dn); err != nil {
			return nil, fmt.Errorf("reading members of %s: %w", roomID, err)
		}
		m.Membership = event.Membership(ms.String)
		m.DisplayName = dn.String
		out = append(out, m)
	}
	return out, rows.Err()
}

// stateString reads one string field of a stored state event's content.
func stateString(ctx context.Context, q queryer, roomID id.RoomID, t, stateKey, field string) (string, bool, error) {
	var v sql.NullString
	err := q.QueryRowContext(ctx, `SELECT json_extract(event, '$.content.`+field+`') FROM tm_state
		WHERE room_id = ? AND type = ? AND state_key = ?`, roomID, t, stateKey).Scan(&v)
	if err == sql.ErrNoRows {
		return "", false, nil
	} else if err != nil {
		return "", false, fmt.Errorf("reading %s of %s: %w", t, roomID, err)
	}
	return v.String, true, nil
}

// summaryState reads, in one query, the room state a summary is made of:
// the name, canonical alias and topic (each field as json_extract reads
// it, "" when absent) and whether m.room.encryption is set.
func summaryState(ctx context.Context, q queryer, roomID id.RoomID) (name, alias, topic string, encrypted bool, err error) {
	rows, err := q.QueryContext(ctx, `SELECT type, json_extract(event, CASE type
			WHEN 'm.room.name' THEN '$.content.name'
			WHEN 'm.room.canonical_alias' THEN '$.content.alias'
			WHEN 'm.room.topic' THEN '$.content.topic'
			ELSE '$.content.algorithm' END)
		FROM tm_state WHERE room_id = ? AND state_key = ''
			AND type IN ('m.room.name', 'm.room.canonical_alias', 'm.room.topic', 'm.room.encryption')`, roomID)
	if err != nil {
		return "", "", "", false, fmt.Errorf("reading the summary state of %s: %w", roomID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		var v sql.NullString
		if err := rows.Scan(&t, &v); err != nil {
			return "", "", "", false, fmt.Errorf("reading the summary state of %s: %w", roomID, err)
		}
		switch t {
		case event.StateRoomName.Type:
			name = v.String
		case event.StateCanonicalAlias.Type:
			alias = v.String
		case event.StateTopic.Type:
			topic = v.String
		case event.StateEncryption.Type:
			encrypted = true
		}
	}
	if err := rows.Err(); err != nil {
		return "", "", "", false, fmt.Errorf("reading the summary state of %s: %w", roomID, err)
	}
	return name, alias, topic, encrypted, nil
}

// refreshSummary recomputes a room's name, topic, encryption flag and
// joined count from its stored state and sync summary.
func refreshSummary(ctx context.Context, q queryer, r *roomRow, me id.UserID) error {
	return refreshSummaryFrom(ctx, q, r, me, nil)
}

// refreshSummaryFrom is refreshSummary from in when set (summaryOfBatch),
// else from the store.
func refreshSummaryFrom(ctx context.Context, q queryer, r *roomRow, me id.UserID, in *summaryInput) error {
	if in == nil {
		var err error
		in = &summaryInput{}
		if in.name, in.alias, in.topic, in.encrypted, err = summaryState(ctx, q, r.ID); err != nil {
			return err
		}
		if in.members, err = loadMemberInfo(ctx, q, r.ID); err != nil {
			return err
		}
	}
	name, alias, topic, encrypted, members := in.name, in.alias, in.topic, in.encrypted, in.members
	byID := make(map[id.UserID]memberInfo, len(members))
	joined, invited := 0, 0
	for _, m := range members {
		byID[m.UserID] = m
		switch m.Membership {
		case event.MembershipJoin:
			joined++
		case event.MembershipInvite:
			invited++
		}
	}
	if r.JoinedCount >= 0 {
		joined = r.JoinedCount
	}
	if r.InvitedCount >= 0 {
		invited = r.InvitedCount
	}
	heroIDs := r.Heroes
	if len(heroIDs) == 0 {
		heroIDs = defaultHeroes(members, me)
	}
	heroes := make([]string, 0, len(heroIDs))
	var index *NameIndex
	if strings.TrimSpace(name) == "" && strings.TrimSpace(alias) == "" && len(heroIDs) > 0 {
		// Heroes name the room: each is shown as everywhere else,
		// disambiguated against the room's members.
		index = indexMembers(members)
	}
	for _, uid := range heroIDs {
		if uid == me {
			continue
		}
		heroes = append(heroes, ShownName(uid, byID[uid].DisplayName, index))
	}
	r.Name = computeRoomName(name, alias, heroes, joined, invited)
	r.Topic = topic
	r.Encrypted = encrypted
	r.JoinedShown = joined
	return nil
}

// defaultHeroes picks heroes from member state when the server sent none:
// joined and invited members other than the user, then those who left,
// sorted by user ID.
func defaultHeroes(members []memberInfo, me id.UserID) []id.UserID {
	var present, gone []id.UserID
	for _, m := range members {
		if m.UserID == me {
			continue
		}
		switch m.Membership {
		case event.MembershipJoin, event.MembershipInvite:
			present = append(present, m.UserID)
		case event.MembershipLeave, event.MembershipBan:
			gone = append(gone, m.UserID)
		}
	}
	pick := present
	if len(pick) == 0 {
		pick = gone
	}
	sort.Slice(pick, func(i, j int) bool { return pick[i] < pick[j] })
	if len(pick) > maxHeroes {
		pick = pick[:maxHeroes]
	}
	return pick
}

// memberName is a member's display name, else their user ID.
func memberName(m memberInfo, uid id.UserID) string {
	if n := strings.TrimSpace(m.DisplayName); n != "" {
		return n
	}
	return string(uid)
}
