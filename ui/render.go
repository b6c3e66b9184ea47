package ui

import (
	"encoding/json"
	"hash/fnv"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls/jitsi"
	"github.com/termatrix/termatrix/calls/rtc"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// Segment is a run of text drawn in one style. Its text is already
// sanitized: it holds no control characters.
type Segment struct {
	Text  string
	Style tcell.Style
}

// Line is one logical line of rendered output; the view wraps it to width.
type Line []Segment

// String returns the line's text without styles.
func (l Line) String() string {
	var b strings.Builder
	for _, s := range l {
		b.WriteString(s.Text)
	}
	return b.String()
}

// RenderContext is what rendering needs to know besides the event.
type RenderContext struct {
	// Own is the logged-in user.
	Own id.UserID
	// Name returns a user's display name in the room (remote data; render
	// sanitizes it). Nil means user IDs are shown.
	Name func(id.UserID) string
	// Members indexes the room members' names: a name another member
	// shares is shown with the user ID (matrix.NeedsDisambiguation). Nil
	// means only names that look like user IDs are.
	Members *matrix.NameIndex
	// History indexes the names users had on the loaded lines; the
	// timeline sets it, so that a line's name is told apart from names
	// others had then as well as now.
	History *matrix.NameIndex
	// Lookup finds an event of the room by ID, for the quoted line of a
	// reply (failed: it could not be loaded). Nil or a nil result shows a
	// plain "in reply to": the quote never comes from the reply's body.
	Lookup func(id.EventID) (ev *event.Event, failed bool)
	// OSC8 makes links OSC 8 hyperlinks.
	OSC8 bool
	// Location is the time zone for timestamps (nil means local time).
	Location *time.Location
	// OwnDevice is this session's device: its own encrypted messages get
	// no trust marker.
	OwnDevice id.DeviceID
	// MayRedact says whether a user may redact others' events in the
	// room; nil means only senders may redact their own.
	MayRedact func(id.UserID) bool
}

// ItemState is what the timeline knows about an event beyond the event
// itself: its latest edit, a redaction, and for local echoes the sending state.
type ItemState struct {
	Edit     *event.Event // the latest m.replace event for it, or nil
	Redacted bool
	// For an m.call.invite: the call's answer and its hangup or reject,
	// when loaded; the line then tells the whole call, as Element's tiles.
	CallAnswer *event.Event
	CallEnd    *event.Event
	// Hidden is set on call events told by their invite's line.
	Hidden bool
	// SenderName is the sender's display name when the event was sent,
	// if the timeline knows it; "" means the current name (RenderContext).
	SenderName string
	Pending    bool
	// Retrying: an attempt at sending it failed for a passing reason;
	// the core tries again by itself.
	Retrying bool
	// Held: pending behind a failed message of the room.
	Held       bool
	Failed     bool
	FailReason string // why it failed for good, if known
	// RetryKey is shown with the failed message the retry key acts on
	// (the room's oldest), "" on the others.
	RetryKey string
	// NotSent is why a failed message can never be sent as it is; it
	// replaces the retry hint.
	NotSent string
}

// Styles used by the renderer. They are never modified.
var (
	styleText     = tcell.StyleDefault
	styleDim      = tcell.StyleDefault.Foreground(tcell.ColorGray)
	styleNotice   = tcell.StyleDefault.Foreground(tcell.ColorSilver)
	styleState    = tcell.StyleDefault.Foreground(tcell.ColorGray).Italic(true)
	styleCall     = tcell.StyleDefault.Foreground(tcell.ColorTeal)
	styleQuote    = tcell.StyleDefault.Foreground(tcell.ColorGray)
	styleCode     = tcell.StyleDefault.Foreground(tcell.ColorOlive)
	styleLink     = tcell.StyleDefault.Foreground(tcell.ColorBlue).Underline(true)
	styleError    = tcell.StyleDefault.Foreground(tcell.ColorRed)
	styleDeleted  = tcell.StyleDefault.Foreground(tcell.ColorGray).Italic(true)
	styleMention  = tcell.StyleDefault.Foreground(tcell.ColorWhite).Background(tcell.ColorMaroon).Bold(true)
	senderColours = []tcell.Color{
		tcell.ColorGreen, tcell.ColorAqua, tcell.ColorFuchsia, tcell.ColorYellow,
		tcell.ColorLime, tcell.ColorOrange, tcell.ColorViolet, tcell.ColorSkyblue,
	}
)

// Types of events the renderer knows beyond mautrix's constants.
var (
	typeWidget       = event.Type{Type: "im.vector.modular.widgets", Class: event.StateEventType}
	typeWidgetLayout = "io.element.widgets.layout"
)

// senderStyle gives each user a stable colour.
func senderStyle(u id.UserID) tcell.Style {
	h := fnv.New32a()
	_, _ = h.Write([]byte(u))
	return tcell.StyleDefault.Foreground(senderColours[h.Sum32()%uint32(len(senderColours))]).Bold(true)
}

// Render turns one event into styled lines, the first starting with the
// time and sender. It returns nil for events the timeline does not show
// (reactions, edits, redactions, call candidates). Remote text is sanitized
// here; the lines hold no control characters. It never panics: anything it
// cannot read becomes an "unsupported event" line.
func Render(ev *event.Event, rc RenderContext, st ItemState) (lines []Line) {
	if ev == nil {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			lines = []Line{prefix(ev, rc, styleDim, "unsupported event ("+sanitize.Line(ev.Type.Type)+")")}
		}
	}()
	r := renderer{ev: ev, rc: rc, st: st}
	return r.render()
}

type renderer struct {
	ev *event.Event
	rc RenderContext
	st ItemState
}

// name is how a user is shown now: their current name, disambiguated.
func (r *renderer) name(u id.UserID) string {
	n := ""
	if r.rc.Name != nil {
		n = r.rc.Name(u)
	}
	return r.shown(u, n)
}

// shown is how a user is shown with a given name (remote data; "" for
// none): sanitized, cut, and with the user ID when the name could be
// taken for someone else's (matrix.ShownName).
func (r *renderer) shown(u id.UserID, name string) string {
	return matrix.ShownName(u, name, r.rc.Members, r.rc.History)
}

// sender is how the event's sender is shown: with the name they had
// when it was sent.
func (r *renderer) sender() string {
	if r.st.SenderName != "" {
		return r.shown(r.ev.Sender, r.st.SenderName)
	}
	return r.name(r.ev.Sender)
}

func (r *renderer) unsupported() []Line {
	return []Line{prefix(r.ev, r.rc, styleDim, "unsupported event ("+sanitize.Line(r.ev.Type.Type)+")")}
}

// timestamp returns the "15:04 " segment.
func timestamp(ev *event.Event, rc RenderContext) Segment {
	if ev.Timestamp <= 0 {
		return Segment{"--:-- ", styleDim}
	}
	t := time.UnixMilli(ev.Timestamp)
	if rc.Location != nil {
		t = t.In(rc.Location)
	}
	return Segment{t.Format("15:04") + " ", styleDim}
}

// prefix makes a one-line "time -- text" state line.
func prefix(ev *event.Event, rc RenderContext, style tcell.Style, text string) Line {
	return Line{timestamp(ev, rc), {"-- ", styleDim}, {text, style}}
}

func (r *renderer) stateLine(text string) []Line {
	return []Line{prefix(r.ev, r.rc, styleState, text)}
}

func (r *renderer) render() []Line {
	ev := r.ev
	if r.isEdit() || ev.Type.Type == event.EventReaction.Type {
		return nil // shown on the message it edits or annotates
	}
	if ev.Unsigned.RedactedBecause != nil || r.st.Redacted {
		if ev.StateKey == nil {
			return []Line{{timestamp(ev, r.rc), {r.sender(), senderStyle(ev.Sender)}, {": ", styleText}, {"message deleted", styleDeleted}}}
		}
	}
	if r.st.Hidden {
		return nil
	}
	if ev.Type.Type == event.EventEncrypted.Type {
		return r.undecryptable()
	}
	content, ok := contentOf(&ev.Content)
	if !ok {
		return r.unsupported()
	}
	switch ev.Type.Type {
	case event.EventMessage.Type, event.EventSticker.Type:
		return r.message(content)
	case event.EventReaction.Type, event.EventRedaction.Type,
		event.CallCandidates.Type, event.CallSelectAnswer.Type, event.CallNegotiate.Type,
		event.StateRoomAvatar.Type, typeWidgetLayout, event.EphemeralEventReceipt.Type:
		return nil
	case "m.call.sdp_stream_metadata_changed", "org.matrix.call.sdp_stream_metadata_changed",
		"m.call.asserted_identity", "org.matrix.call.asserted_identity", "m.call.replaces":
		return nil // call signalling, not told in the timeline (as in Element)
	case event.CallInvite.Type:
		return []Line{prefix(ev, r.rc, styleCall, r.callTile(content))}
	case event.CallAnswer.Type:
		return []Line{prefix(ev, r.rc, styleCall, r.sender()+" answered the call")}
	case event.CallHangup.Type:
		return []Line{prefix(ev, r.rc, styleCall, "call ended")}
	case event.CallReject.Type:
		return []Line{prefix(ev, r.rc, styleCall, r.sender()+" declined the call")}
	case typeWidget.Type:
		return r.widget(content)
	case rtc.MemberStateType.Type:
		if ev.StateKey == nil {
			return nil
		}
		return r.rtcMember()
	case rtc.DeclineType.Type:
		return r.rtcDecline()
	case rtc.NotificationType.Type, rtc.CallNotifyType.Type, rtc.StickyMemberType.Type:
		return nil // told by the membership beside it
	}
	if ev.StateKey != nil {
		return r.state(content)
	}
	return r.unsupported()
}

// isEdit says whether the event is an m.replace edit of another message.
func (r *renderer) isEdit() bool {
	if r.ev.Type != event.EventMessage {
		return false
	}
	content, ok := contentOf(&r.ev.Content)
	if !ok {
		return false
	}
	rel, target := content.relation()
	return rel == "m.replace" && target != ""
}

// message renders m.room.message and m.sticker.
func (r *renderer) message(content obj) []Line {
	ev := r.ev
	edited := false
	if r.st.Edit != nil {
		if ec, ok := contentOf(&r.st.Edit.Content); ok {
			if nc, ok := ec.sub("m.new_content"); ok {
				if _, ok := nc.str("body"); ok {
					reply := content["m.relates_to"]
					content = nc
					if reply != nil && content["m.relates_to"] == nil {
						content = copyObj(content)
						content["m.relates_to"] = reply
					}
					edited = true
				}
			}
		}
	}
	body, ok := content.str("body")
	if !ok {
		if len(content) == 0 {
			return []Line{{timestamp(ev, r.rc), {r.sender(), senderStyle(ev.Sender)}, {": ", styleText}, {"message deleted", styleDeleted}}}
		}
		return r.unsupported()
	}
	msgtype := content.strOr("msgtype", "m.text")
	if ev.Type == event.EventSticker {
		msgtype = "m.sticker"
	}
	var out []Line
	if reply := content.replyTo(); reply != "" {
		out = append(out, r.quote(id.EventID(reply)))
		body = stripReplyFallback(body)
	}

	var bodyLines []Line
	if content.strOr("format", "") == "org.matrix.custom.html" {
		if fb, ok := content.str("formatted_body"); ok {
			bodyLines = renderHTML(fb, r.rc.OSC8)
		}
	}
	if bodyLines == nil {
		base := styleText
		if msgtype == "m.notice" {
			base = styleNotice
		}
		bodyLines = plainLines(body, base, r.rc.OSC8)
	}
	bodyLines = capLines(bodyLines, expandedRows)
	switch msgtype {
	case "m.text", "m.notice", "m.emote":
	case "m.image", "m.file", "m.video", "m.audio", "m.sticker", "m.location":
		what := map[string]string{"m.image": "an image", "m.file": "a file", "m.video": "a video",
			"m.audio": "an audio clip", "m.sticker": "a sticker", "m.location": "a location"}[msgtype]
		bodyLines = []Line{{{"sent " + what + ": ", styleDim}, {sanitize.Line(body), styleText}}}
	default:
		// Unknown msgtypes fall back to their body, as the spec says.
	}

	head := Line{timestamp(ev, r.rc)}
	if r.mentionsMe(body) {
		head[0].Style = styleMention
	}
	indentWidth := 6
	if msgtype == "m.emote" {
		head = append(head, Segment{"* ", styleText}, Segment{r.sender(), senderStyle(ev.Sender)}, Segment{" ", styleText})
	} else {
		head = append(head, Segment{r.sender(), senderStyle(ev.Sender)}, Segment{": ", styleText})
	}
	if len(bodyLines) == 0 {
		bodyLines = []Line{{}}
	}
	warn, trustNote := r.trustMark()
	if warn {
		head = append(head, Segment{"⚠ ", styleUntrusted})
	}
	first := append(head, bodyLines[0]...)
	out = append(out, first)
	indent := Segment{strings.Repeat(" ", indentWidth), styleText}
	for _, l := range bodyLines[1:] {
		out = append(out, append(Line{indent}, l...))
	}
	last := len(out) - 1
	if edited {
		out[last] = append(out[last], Segment{" (edited)", styleDim})
	}
	if trustNote != "" {
		out[last] = append(out[last], Segment{" (" + trustNote + ")", styleDim})
	}
	switch {
	case r.st.Failed && r.st.NotSent != "":
		out[last] = append(out[last], Segment{" (not sent: " + r.st.NotSent + ")", styleError})
	case r.st.Failed:
		hint := " (failed to send"
		if r.st.FailReason != "" {
			hint += ": " + r.st.FailReason
		}
		if r.st.RetryKey != "" {
			hint += " — press " + r.st.RetryKey + " to retry, /discard to drop it"
		}
		out[last] = append(out[last], Segment{hint + ")", styleError})
	case r.st.Held:
		out[last] = append(out[last], Segment{" (waiting: a message above was not sent)", styleDim})
	case r.st.Pending && r.st.Retrying:
		out[last] = append(out[last], Segment{" (sending… retrying)", styleDim})
	case r.st.Pending:
		out[last] = append(out[last], Segment{" (sending…)", styleDim})
	}
	return out
}

// mentionsMe says whether someone else's message names the user (by user
// ID, localpart or display name).
func (r *renderer) mentionsMe(body string) bool {
	own := r.rc.Own
	if own == "" || r.ev.Sender == own {
		return false
	}
	lower := strings.ToLower(body)
	local, _, _ := strings.Cut(strings.TrimPrefix(string(own), "@"), ":")
	names := []string{string(own), local}
	if r.rc.Name != nil {
		names = append(names, r.rc.Name(own))
	}
	for _, n := range names {
		if len(n) >= 2 && strings.Contains(lower, strings.ToLower(n)) {
			return true
		}
	}
	return false
}

func copyObj(o obj) obj {
	c := make(obj, len(o)+1)
	for k, v := range o {
		c[k] = v
	}
	return c
}

// quote renders the line a reply quotes, from the original event only:
// the fallback in the reply's body is the replier's text, and could put
// words in anyone's mouth.
func (r *renderer) quote(target id.EventID) Line {
	line := Line{{"      ┃ ", styleQuote}}
	var orig *event.Event
	failed := false
	if r.rc.Lookup != nil {
		orig, failed = r.rc.Lookup(target)
	}
	if orig == nil {
		if failed {
			return append(line, Segment{"in reply to a message that could not be loaded", styleQuote})
		}
		return append(line, Segment{"in reply to an earlier message", styleQuote})
	}
	text := "…"
	if orig.Type.Type == event.EventEncrypted.Type {
		text = "(unable to decrypt)"
	} else if c, ok := contentOf(&orig.Content); ok {
		if b, ok := c.str("body"); ok {
			text = stripReplyFallback(b)
		}
	}
	text = clip(sanitize.Line(text), 80)
	return append(line, Segment{r.name(orig.Sender) + ": ", styleQuote.Bold(true)}, Segment{text, styleQuote})
}

// clip shortens text to n runes, marking the cut.
func clip(text string, n int) string {
	if r := []rune(text); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return text
}

// urlPattern finds http(s) URLs in plain text.
var urlPattern = regexp.MustCompile(`https?://[^\s<>"]+[^\s<>".,;:!?)\]'"]`)

// plainLines splits a plain body into sanitized lines; with osc8, the
// http(s) URLs in it become OSC 8 links.
func plainLines(body string, style tcell.Style, osc8 bool) []Line {
	parts := strings.Split(sanitize.Text(body), "\n")
	out := make([]Line, 0, len(parts))
	for _, p := range parts {
		if !osc8 || !strings.Contains(p, "http") {
			out = append(out, Line{{p, style}})
			continue
		}
		var l Line
		last := 0
		for _, m := range urlPattern.FindAllStringIndex(p, -1) {
			link := safeLink(p[m[0]:m[1]])
			if link == "" || link != p[m[0]:m[1]] {
				continue // a link goes exactly where its text says
			}
			if m[0] > last {
				l = append(l, Segment{p[last:m[0]], style})
			}
			l = append(l, Segment{p[m[0]:m[1]], styleLink.Url(link)})
			last = m[1]
		}
		if last < len(p) || len(l) == 0 {
			l = append(l, Segment{p[last:], style})
		}
		out = append(out, l)
	}
	return out
}

// state renders a state event.
func (r *renderer) state(content obj) []Line {
	ev := r.ev
	sender := r.sender()
	var prev obj
	if ev.Unsigned.PrevContent != nil {
		prev, _ = contentOf(ev.Unsigned.PrevContent)
	}
	switch ev.Type.Type {
	case event.StateMember.Type:
		return r.member(content, prev)
	case event.StateRoomName.Type:
		if n := sanitize.Line(content.strOr("name", "")); n != "" {
			return r.stateLine(sender + " changed the room name to " + n)
		}
		return r.stateLine(sender + " removed the room name")
	case event.StateTopic.Type:
		if t := sanitize.Line(content.strOr("topic", "")); t != "" {
			return r.stateLine(sender + " changed the topic to " + t)
		}
		return r.stateLine(sender + " removed the topic")
	case event.StateCreate.Type:
		return r.stateLine(sender + " created the room")
	case event.StateCanonicalAlias.Type:
		if a := sanitize.Line(content.strOr("alias", "")); a != "" {
			return r.stateLine(sender + " set the room address to " + a)
		}
		return r.stateLine(sender + " changed the room addresses")
	case event.StateJoinRules.Type:
		return r.stateLine(sender + " set the join rule to " + sanitize.Line(content.strOr("join_rule", "?")))
	case event.StateHistoryVisibility.Type:
		return r.stateLine(sender + " set history visibility to " + sanitize.Line(content.strOr("history_visibility", "?")))
	case event.StateGuestAccess.Type:
		return r.stateLine(sender + " set guest access to " + sanitize.Line(content.strOr("guest_access", "?")))
	case event.StateEncryption.Type:
		return r.stateLine(sender + " turned on end-to-end encryption")
	case event.StatePowerLevels.Type:
		return r.stateLine(sender + " changed the power levels")
	case event.StatePinnedEvents.Type:
		return r.stateLine(sender + " changed the pinned messages")
	}
	return r.unsupported()
}

// member renders m.room.member changes.
func (r *renderer) member(content, prev obj) []Line {
	ev := r.ev
	sender := r.sender()
	target := id.UserID(*ev.StateKey)
	name := r.name(target)
	if n := content.strOr("displayname", ""); n != "" {
		name = r.shown(target, n)
	}
	prevRaw, prevMembership := "", ""
	if prev != nil {
		prevRaw = prev.strOr("displayname", "")
		prevMembership = prev.strOr("membership", "")
	}
	prevName := r.shown(target, prevRaw)
	reason := ""
	if rs := sanitize.Line(content.strOr("reason", "")); rs != "" {
		reason = ": " + rs
	}
	membership, ok := content.str("membership")
	if !ok {
		return r.unsupported()
	}
	self := ev.Sender == target
	switch membership {
	case "join":
		if prevMembership == "join" {
			if name != prevName {
				return r.stateLine(prevName + " changed their name to " + name)
			}
			return r.stateLine(name + " changed their avatar")
		}
		return r.stateLine(name + " joined the room")
	case "invite":
		return r.stateLine(sender + " invited " + name + reason)
	case "leave":
		switch {
		case prevMembership == "invite" && self:
			return r.stateLine(prevName + " declined the invitation" + reason)
		case prevMembership == "invite":
			return r.stateLine(sender + " withdrew the invitation for " + prevName + reason)
		case prevMembership == "ban":
			return r.stateLine(sender + " unbanned " + prevName + reason)
		case self:
			return r.stateLine(prevName + " left the room" + reason)
		default:
			return r.stateLine(sender + " removed " + prevName + reason)
		}
	case "ban":
		return r.stateLine(sender + " banned " + prevName + reason)
	case "knock":
		return r.stateLine(name + " asked to join" + reason)
	}
	return r.unsupported()
}

// widget renders im.vector.modular.widgets changes, as Element does.
func (r *renderer) widget(content obj) []Line {
	sender := r.sender()
	var prev obj
	if r.ev.Unsigned.PrevContent != nil {
		prev, _ = contentOf(r.ev.Unsigned.PrevContent)
	}
	active := func(o obj) bool {
		if o == nil {
			return false
		}
		t, _ := o.str("type")
		u, _ := o.str("url")
		return t != "" && u != ""
	}
	isJitsi := func(o obj) bool {
		t, _ := o.str("type")
		return t == "jitsi" || t == "m.jitsi"
	}
	widgetName := func(o obj) string {
		n := sanitize.Line(o.strOr("name", ""))
		if n == "" {
			n = sanitize.Line(o.strOr("type", "widget"))
		}
		if n == "" {
			n = "widget"
		}
		return n
	}
	// The kind is worded as the banner words it: a voice conference is
	// one started audio-only.
	kind := func(o obj) string {
		if data, ok := o.sub("data"); ok {
			if data.boolean("isAudioOnly") {
				return "Voice conference"
			}
		}
		return "Video conference"
	}
	switch {
	case active(content) && isJitsi(content) && r.suspiciousWidget(content) != "":
		return []Line{prefix(r.ev, r.rc, styleError, "⚠ "+sender+" set up a suspicious conference widget: "+r.suspiciousWidget(content))}
	case active(content) && isJitsi(content):
		if active(prev) {
			return []Line{prefix(r.ev, r.rc, styleCall, kind(content)+" updated by "+sender)}
		}
		return []Line{prefix(r.ev, r.rc, styleCall, kind(content)+" started by "+sender)}
	case active(content):
		if active(prev) {
			return r.stateLine(sender + " modified widget " + widgetName(content))
		}
		return r.stateLine(sender + " added widget " + widgetName(content))
	case active(prev) && isJitsi(prev):
		return []Line{prefix(r.ev, r.rc, styleCall, kind(prev)+" ended by "+sender)}
	case active(prev):
		return r.stateLine(sender + " removed widget " + widgetName(prev))
	default:
		return r.stateLine(sender + " removed a widget")
	}
}

// suspiciousWidget is why a Jitsi widget fails the calls code's
// validation (the banner says the same), or "" for a sound one.
func (r *renderer) suspiciousWidget(content obj) string {
	raw := r.ev.Content.VeryRaw
	if len(raw) == 0 {
		raw, _ = json.Marshal(map[string]any(content))
	}
	stateKey := ""
	if r.ev.StateKey != nil {
		stateKey = *r.ev.StateKey
	}
	if w := jitsi.Parse(stateKey, string(r.ev.Sender), raw); w.Suspicious {
		if reason := sanitize.Line(w.Reason); reason != "" {
			return reason
		}
		return "it failed validation"
	}
	return ""
}

// safeLink returns the URL rebuilt for display and OSC 8 if it is an
// http(s) URL with a host, or "" otherwise.
func safeLink(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	s := u.String()
	if sanitize.Line(s) != s {
		return ""
	}
	return s
}
