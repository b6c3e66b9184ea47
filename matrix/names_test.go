package matrix

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/sanitize"
)

func TestNameKeyFoldsLookAlikes(t *testing.T) {
	same := []string{
		"alice",
		"Alice",
		"ALICE",
		" al ice ",
		"al\u200bice",       // zero width space
		"a\u0301lice",       // combining accent
		"álice",             // precomposed accent
		"\u0430lice",        // Cyrillic a
		"ａｌｉｃｅ",             // fullwidth
		"\U0001d41alice",    // mathematical bold a
		"a1ice",             // digit one for l
		"aIice",             // capital I for l
		"al\u2066ice\u2069", // isolates
	}
	want := NameKey("alice")
	for _, s := range same {
		if got := NameKey(s); got != want {
			t.Errorf("NameKey(%q) = %q, want %q", s, got, want)
		}
	}
	if NameKey("bob") == want {
		t.Error("bob and alice compare equal")
	}
	if NameKey("rnallory") != NameKey("mallory") {
		t.Error(`"rn" does not read as "m"`)
	}
	for _, empty := range []string{"", "   ", "\u200b\u200b", "\u202e", "\u0301"} {
		if k := NameKey(empty); k != "" {
			t.Errorf("NameKey(%q) = %q, want empty", empty, k)
		}
	}
}

func TestLooksLikeUserID(t *testing.T) {
	yes := []string{"@alice:example.org", "it is @alice:hs really", "＠alice：hs", "@ alice : hs", "@a:b"}
	no := []string{"alice", "alice@home", "@alice", "@:hs", "@alice:", "a:b@c"}
	for _, s := range yes {
		if !LooksLikeUserID(s) {
			t.Errorf("LooksLikeUserID(%q) = false", s)
		}
	}
	for _, s := range no {
		if LooksLikeUserID(s) {
			t.Errorf("LooksLikeUserID(%q) = true", s)
		}
	}
}

// TestShownNameDisambiguates: Element's rule, case by case.
func TestShownNameDisambiguates(t *testing.T) {
	x := NewNameIndex()
	x.Set("@alice:hs", "alice")
	x.Set("@mallory:hs", "Аlice") // Cyrillic A
	x.Set("@bob:hs", "bob")
	x.Set("@carol:hs", "")
	x.Set("@dave:hs", "@alice:hs")
	x.Set("@erin:hs", "Erin\u202e")
	x.Set("@gone:hs", "frank") // a former member keeps their name
	x.Set("@frank:hs", "frank")
	cases := []struct {
		user id.UserID
		want string
	}{
		{"@alice:hs", "alice (@alice:hs)"},
		{"@mallory:hs", "Аlice (@mallory:hs)"},
		{"@bob:hs", "bob"},
		{"@carol:hs", "@carol:hs"},
		{"@dave:hs", "@alice:hs (@dave:hs)"},
		{"@erin:hs", "Erin (@erin:hs)"},
		{"@frank:hs", "frank (@frank:hs)"},
		{"@nobody:hs", "@nobody:hs"},
	}
	for _, c := range cases {
		if got := ShownName(c.user, x.Name(c.user), x); got != c.want {
			t.Errorf("ShownName(%s) = %q, want %q", c.user, got, c.want)
		}
	}
	// A rename frees the old name.
	x.Set("@mallory:hs", "mallory")
	if got := ShownName("@alice:hs", "alice", x); got != "alice" {
		t.Errorf("after mallory's rename alice shows as %q", got)
	}
	// A name someone had on older lines (Add) still counts.
	hist := NewNameIndex()
	hist.Add("@mallory:hs", "alice")
	if got := ShownName("@alice:hs", "alice", x, hist); got != "alice (@alice:hs)" {
		t.Errorf("with mallory's old name alice shows as %q", got)
	}
	// The user's own names never collide with themselves.
	hist.Add("@alice:hs", "alice")
	x.Set("@alice:hs", "alice")
	if got := ShownName("@bob:hs", "bob", x, hist); got != "bob" {
		t.Errorf("bob shows as %q", got)
	}
}

// TestMemberNameCaps: a huge name is cut to MaxNameColumns with an
// ellipsis, and the user ID stays whole after it.
func TestMemberNameCaps(t *testing.T) {
	huge := strings.Repeat("長い名前", 2500) // 10 000 wide characters
	got := MemberName("@mallory:hs", huge, true)
	if !strings.HasSuffix(got, "… (@mallory:hs)") {
		t.Fatalf("cut name %q does not end with the ellipsis and the ID", got)
	}
	name := strings.TrimSuffix(got, " (@mallory:hs)")
	if w := sanitize.Width(name); w > MaxNameColumns {
		t.Errorf("name takes %d columns, want at most %d", w, MaxNameColumns)
	}
	x := NewNameIndex()
	x.Set("@mallory:hs", huge)
	if n := len(x.Name("@mallory:hs")); n > maxKeptName {
		t.Errorf("the index keeps %d bytes of a name", n)
	}
}

func TestMemberEventName(t *testing.T) {
	ev := rawEvent(t, `{"type":"m.room.member","state_key":"@m:hs","sender":"@m:hs","content":{"membership":"leave"},"unsigned":{"prev_content":{"membership":"join","displayname":"alice"}}}`)
	if u, n, ok := MemberEventName(ev); !ok || u != "@m:hs" || n != "alice" {
		t.Errorf("leave: got %q %q %v, want the name before it", u, n, ok)
	}
	ev = rawEvent(t, `{"type":"m.room.member","state_key":"@m:hs","sender":"@m:hs","content":{"membership":"join","displayname":7}}`)
	if _, n, ok := MemberEventName(ev); !ok || n != "" {
		t.Errorf("numeric name: got %q %v, want none", n, ok)
	}
	// As the store and a sync decode it (content raw, parsed where it
	// parses): a name of the wrong type does not hide that this is a
	// leave, so the name before it is kept.
	stored, err := decodeEvent([]byte(`{"type":"m.room.member","state_key":"@m:hs","sender":"@m:hs","content":{"membership":"leave","displayname":7},"unsigned":{"prev_content":{"membership":"join","displayname":"alice"}}}`), "!r:hs")
	if err != nil {
		t.Fatal(err)
	}
	if _, n, ok := MemberEventName(stored); !ok || n != "alice" {
		t.Errorf("stored leave with a numeric name: got %q %v, want the name before it", n, ok)
	}
}

func rawEvent(t *testing.T, s string) *event.Event {
	t.Helper()
	var ev event.Event
	if err := json.Unmarshal([]byte(s), &ev); err != nil {
		t.Fatal(err)
	}
	return &ev
}

// FuzzShownName: whatever the name and user ID, the shown name is
// valid, sanitized UTF-8 within its caps, and the same for names that
// differ only in what NameKey sets aside.
func FuzzShownName(f *testing.F) {
	for _, s := range []string{"alice", "@alice:hs", "Аlice", "a\u202eb", "", "\u200b", "rn", strings.Repeat("x", 5000), "\xff\xfe", "@:", "ｒｎ"} {
		f.Add(s, "@mallory:hs", "alice")
	}
	f.Fuzz(func(t *testing.T, name, user, other string) {
		x := NewNameIndex()
		x.Set("@alice:hs", other)
		x.Set(id.UserID(user), name)
		got := ShownName(id.UserID(user), name, x)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 %q", got)
		}
		if sanitize.Line(got) != got {
			t.Fatalf("not sanitized: %q", got)
		}
		if w := sanitize.Width(got); w > MaxNameColumns+MaxUserIDColumns+3 {
			t.Fatalf("%d columns", w)
		}
		if user != "@alice:hs" && NameKey(name) != "" && NameKey(name) == NameKey(other) &&
			name != user && !strings.HasSuffix(got, ")") {
			t.Fatalf("%q shares alice's name %q but shows as %q", name, other, got)
		}
		if LooksLikeUserID(name) && name != user && NameKey(name) != "" && got == sanitize.Line(name) {
			t.Fatalf("user-ID-like name %q shown bare", name)
		}
	})
}

// TestMemberNameFitKeepsTheID: in a narrow column the name is cut, not
// the user ID that tells two alike names apart.
func TestMemberNameFitKeepsTheID(t *testing.T) {
	got := MemberNameFit("@mallory:hs", "Alice Example", true, 25)
	if got != "Alice Exam… (@mallory:hs)" {
		t.Errorf("got %q", got)
	}
	if got := MemberNameFit("@bob:hs", "bob", false, 25); got != "bob" {
		t.Errorf("got %q", got)
	}
	if w := sanitize.Width(MemberNameFit(id.UserID("@"+strings.Repeat("m", 80)+":hs"), "alice", true, 25)); w > 25 {
		t.Errorf("%d columns", w)
	}
}
