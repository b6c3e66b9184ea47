package matrix

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/sanitize"
)

// Display names are disambiguated as Element does (matrix-js-sdk's
// RoomMember name): a member's name is shown as "name (@user:server)"
// when it holds something that looks like a user ID, when it holds
// direction marks or overrides (they make look-alikes hard to compare),
// or when another member has the same name once invisible characters,
// accents, case and look-alike letters are set aside. An empty name, or
// one that is only invisible characters, is shown as the user ID.
//
// Element counts every member whose member event names them, whatever
// their membership (a member who left keeps the name they had), and so do
// we: a name that a former member still holds on older lines is not free
// for someone else to take unmarked.

// Caps on what a name may cost where it is drawn or kept.
const (
	// MaxNameColumns is how many columns a display name takes at most
	// where it is drawn; a longer one is cut with an ellipsis.
	MaxNameColumns = 64
	// MaxUserIDColumns caps a user ID where it is drawn: the spec allows
	// 255 bytes, so only a broken server's IDs are ever cut.
	MaxUserIDColumns = 255
	// MaxRoomNameColumns is how many columns a room name takes at most.
	MaxRoomNameColumns = 64
	// maxKeptName caps, in bytes, a raw name a NameIndex keeps.
	maxKeptName = 1024
	// maxKeyRunes caps the compared form of a name: two names alike in
	// their first maxKeyRunes letters count as the same (and are both
	// disambiguated, which is safe).
	maxKeyRunes = 256
	// maxKeyInput caps, in bytes, how much of a name NameKey reads.
	maxKeyInput = 16 * maxKeyRunes
)

// lookAlikes maps letters and signs that look like others (after NFKD,
// lower-casing and removing marks) to one of them, so that "аlice" in
// Cyrillic or "a1ice" compare equal to "alice". It covers the common
// Latin look-alikes from Cyrillic and Greek, the digits that pass for
// letters, and the colons and at signs that forge a user ID.
var lookAlikes = map[rune]rune{
	// Cyrillic
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'к': 'k', 'м': 'm', 'н': 'h',
	'о': 'o', 'р': 'p', 'с': 'c', 'т': 't', 'у': 'y', 'х': 'x', 'ѕ': 's',
	'і': 'l', 'ї': 'l', 'ј': 'j', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'һ': 'h',
	'ӏ': 'l', 'ь': 'b', 'г': 'r',
	// Greek
	'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'l', 'κ': 'k', 'ν': 'v',
	'ο': 'o', 'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x', 'γ': 'y', 'ω': 'w',
	// Latin and digits
	'i': 'l', '1': 'l', '|': 'l', 'ı': 'l', 'ɩ': 'l', '0': 'o', 'ɡ': 'g',
	'ß': 's', 'ø': 'o', 'đ': 'd', 'ł': 'l', 'ħ': 'h',
	// colons and at signs
	'꞉': ':', '∶': ':', 'ː': ':', '׃': ':', '܃': ':', '܄': ':', '᛬': ':',
	'︓': ':', '﹕': ':', '：': ':', '﹫': '@', '＠': '@',
}

// hiddenInName reports whether r is set aside when names are compared:
// what sanitize drops, the joiners, spaces of every width and marks.
func hiddenInName(r rune) bool {
	return sanitize.Dropped(r) || r == '\u200c' || r == '\u200d' ||
		unicode.IsSpace(r) || unicode.In(r, unicode.Mn, unicode.Me, unicode.Zs) ||
		(r >= 0x2000 && r <= 0x200f) || (r >= 0x202a && r <= 0x202f) ||
		(r >= 0xfe00 && r <= 0xfe0f) || r == 0x3164 || r == 0x115f || r == 0x1160 || r == 0xffa0
}

// NameKey is the form in which display names are compared: compatibility
// decomposition (fullwidth and mathematical letters become plain ones),
// without invisible characters, spaces and accents, lower-cased, with
// look-alike letters folded together. "" means the name shows nothing.
// It reads at most a few KB of name, whatever its length.
func NameKey(name string) string {
	if len(name) > maxKeyInput {
		name = name[:maxKeyInput]
	}
	out := make([]rune, 0, min(len(name), maxKeyRunes))
	for _, r := range norm.NFKD.String(name) {
		if r == utf8.RuneError || hiddenInName(r) {
			continue
		}
		r = unicode.ToLower(r)
		if l, ok := lookAlikes[r]; ok {
			r = l
		}
		// "rn" reads as "m", "vv" as "w".
		if n := len(out); n > 0 && (out[n-1] == 'r' && r == 'n' || out[n-1] == 'v' && r == 'v') {
			if r == 'n' {
				out[n-1] = 'm'
			} else {
				out[n-1] = 'w'
			}
			continue
		}
		if out = append(out, r); len(out) >= maxKeyRunes {
			break
		}
	}
	return string(out)
}

// LooksLikeUserID reports whether a name holds something that reads as a
// user ID ("@", something, ":", something), look-alike signs included,
// as Element's test for names that impersonate.
func LooksLikeUserID(name string) bool {
	k := NameKey(name)
	at := strings.IndexByte(k, '@')
	if at < 0 || at+2 > len(k) {
		return false
	}
	colon := strings.IndexByte(k[at+2:], ':')
	return colon >= 0 && at+2+colon < len(k)-1
}

// hasDirectionMarks reports whether a raw name holds direction marks,
// embeddings, overrides or isolates (sanitize removes them from what is
// drawn, so the name may read differently than it was written).
func hasDirectionMarks(name string) bool {
	return strings.ContainsFunc(name, func(r rune) bool {
		return r == 0x200e || r == 0x200f || r == 0x061c ||
			(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
	})
}

// NameIndex knows which users go by which names in a room, to tell
// whether a name is shared. Set keeps one current name per user; Add
// records a name a user had (on older lines) without forgetting others.
// The zero value is not usable: make one with NewNameIndex. Not safe for
// concurrent use.
type NameIndex struct {
	current map[id.UserID]string
	holders map[string]map[id.UserID]int // name key -> user -> how many of their names have it
	keys    map[id.UserID][]string       // user -> keys of every name recorded
	curKey  map[id.UserID]string
}

// NewNameIndex makes an empty index.
func NewNameIndex() *NameIndex {
	return &NameIndex{
		current: map[id.UserID]string{},
		holders: map[string]map[id.UserID]int{},
		keys:    map[id.UserID][]string{},
		curKey:  map[id.UserID]string{},
	}
}

// keepName bounds a raw name kept in memory, at a rune boundary.
func keepName(name string) string {
	if len(name) <= maxKeptName {
		return name
	}
	cut := maxKeptName
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut]
}

func (x *NameIndex) hold(user id.UserID, key string) {
	if key == "" {
		return
	}
	h := x.holders[key]
	if h == nil {
		h = map[id.UserID]int{}
		x.holders[key] = h
	}
	h[user]++
}

func (x *NameIndex) release(user id.UserID, key string) {
	if h := x.holders[key]; h != nil {
		if h[user]--; h[user] <= 0 {
			delete(h, user)
		}
		if len(h) == 0 {
			delete(x.holders, key)
		}
	}
}

// Set makes name the user's current name ("" for none), replacing the
// one Set gave before; names given with Add stay.
func (x *NameIndex) Set(user id.UserID, name string) {
	name = keepName(name)
	if old, ok := x.curKey[user]; ok {
		x.release(user, old)
		delete(x.curKey, user)
	}
	x.current[user] = name
	key := NameKey(name)
	x.curKey[user] = key
	x.hold(user, key)
}

// Add records that the user went by name (on older lines), keeping every
// other name recorded for them.
func (x *NameIndex) Add(user id.UserID, name string) {
	key := NameKey(keepName(name))
	if key == "" {
		return
	}
	for _, k := range x.keys[user] {
		if k == key {
			return
		}
	}
	x.keys[user] = append(x.keys[user], key)
	x.hold(user, key)
}

// Name is the user's current raw name (remote data), "" when unknown or
// none.
func (x *NameIndex) Name(user id.UserID) string {
	if x == nil {
		return ""
	}
	return x.current[user]
}

// Known reports whether Set gave the user a name (perhaps "").
func (x *NameIndex) Known(user id.UserID) bool {
	if x == nil {
		return false
	}
	_, ok := x.current[user]
	return ok
}

// sharedKey reports whether someone other than user holds a name with
// this key.
func (x *NameIndex) sharedKey(user id.UserID, key string) bool {
	if x == nil || key == "" {
		return false
	}
	for u := range x.holders[key] {
		if u != user {
			return true
		}
	}
	return false
}

// Shared reports whether someone other than user goes (or went) by a
// name that compares equal to name.
func (x *NameIndex) Shared(user id.UserID, name string) bool {
	return x.sharedKey(user, NameKey(name))
}

// NeedsDisambiguation reports whether user's name must be shown with the
// user ID: it looks like a user ID, holds direction marks, or another
// user in any of the indexes goes by the same name. An empty name (or one
// equal to the user ID) needs none: the user ID is shown alone.
func NeedsDisambiguation(user id.UserID, name string, in ...*NameIndex) bool {
	if name == "" || name == string(user) {
		return false
	}
	key := NameKey(name)
	if key == "" {
		return false
	}
	if LooksLikeUserID(name) || hasDirectionMarks(name) {
		return true
	}
	for _, x := range in {
		if x.sharedKey(user, key) {
			return true
		}
	}
	return false
}

// MemberName is how a member is shown: the name, sanitized and cut to
// MaxNameColumns, with " (@user:server)" after it when disambiguate is
// set; the user ID alone when the name shows nothing. The result is safe
// for a terminal (tview tags aside).
func MemberName(user id.UserID, name string, disambiguate bool) string {
	uid := sanitize.Cut(sanitize.Line(string(user)), MaxUserIDColumns)
	if name == "" || name == string(user) || NameKey(name) == "" {
		return uid
	}
	shown := sanitize.Cut(sanitize.Line(keepName(name)), MaxNameColumns)
	if strings.TrimSpace(shown) == "" {
		return uid
	}
	if disambiguate {
		return shown + " (" + uid + ")"
	}
	return shown
}

// MemberNameFit is MemberName for a narrow column of cols columns (the
// member list): the name is cut first, so that the user ID telling two
// alike names apart stays in view; only a very long ID loses its end.
func MemberNameFit(user id.UserID, name string, disambiguate bool, cols int) string {
	full := MemberName(user, name, disambiguate)
	if sanitize.Width(full) <= cols || !disambiguate || full == MemberName(user, "", false) {
		return sanitize.Cut(full, cols)
	}
	uid := sanitize.Cut(sanitize.Line(string(user)), MaxUserIDColumns)
	short := sanitize.Cut(sanitize.Line(keepName(name)), max(cols-sanitize.Width(uid)-3, 6))
	return sanitize.Cut(short+" ("+uid+")", cols)
}

// ShownName is MemberName with the disambiguation decided against the
// indexes: the one call the UI makes for every name it draws.
func ShownName(user id.UserID, name string, in ...*NameIndex) string {
	return MemberName(user, name, NeedsDisambiguation(user, name, in...))
}

// MemberEventName reads the name a member event gives its user: the
// display name in its content, or for a leave or ban without one, the
// name before it (as Element keeps a former member's name). ok is false
// for other events or a member event without a state key.
func MemberEventName(ev *event.Event) (user id.UserID, name string, ok bool) {
	if ev == nil || ev.Type.Type != event.StateMember.Type || ev.StateKey == nil {
		return "", "", false
	}
	user = id.UserID(*ev.StateKey)
	name, membership := memberContent(&ev.Content)
	if name == "" && (membership == "leave" || membership == "ban") && ev.Unsigned.PrevContent != nil {
		name, _ = memberContent(ev.Unsigned.PrevContent)
	}
	return user, name, true
}

// memberContent reads a member event's display name and membership,
// from the JSON as received (a display name of another type counts as
// none, and does not hide the membership) or, for an event built in
// code, its parsed content.
func memberContent(c *event.Content) (name, membership string) {
	if len(c.VeryRaw) > 0 {
		var m struct {
			Name       any `json:"displayname"`
			Membership any `json:"membership"`
		}
		if json.Unmarshal(c.VeryRaw, &m) == nil {
			name, _ = m.Name.(string)
			membership, _ = m.Membership.(string)
		}
		return name, membership
	}
	if c.Raw != nil {
		name, _ = c.Raw["displayname"].(string)
		membership, _ = c.Raw["membership"].(string)
		return name, membership
	}
	if m, ok := c.Parsed.(*event.MemberEventContent); ok && m != nil {
		return m.Displayname, string(m.Membership)
	}
	return "", ""
}
