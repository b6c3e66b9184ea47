package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/calls/rtc"
	"github.com/termatrix/termatrix/sanitize"
)

// Element Calls (MatrixRTC) in the UI: the open room's session is a banner
// line beside the Jitsi one ("Call in progress — N participants (names) —
// F3 join"); a ring is told in the call panel in any room, as a ringing
// 1:1 call is, with the same answer, reject and ignore keys; our own call
// fills the call panel with its participants. The calls controller decides
// what the call keys do (calls.Controller.KeyPlan).

// rtcUIState is what the UI knows of Element Calls.
type rtcUIState struct {
	// sessions are the rooms' sessions as last published (a room absent
	// is asked of the controller the first time).
	sessions    map[id.RoomID][]calls.RTCMember
	ring        *calls.RTCRing
	ignoredRing id.EventID
	call        *rtc.CallInfo
}

// rtcSession returns a room's Element Call session.
func (u *UI) rtcSession(roomID id.RoomID) []calls.RTCMember {
	if u.s.rtc.sessions == nil {
		u.s.rtc.sessions = map[id.RoomID][]calls.RTCMember{}
	}
	m, known := u.s.rtc.sessions[roomID]
	if !known && u.s.calls != nil && roomID != "" {
		m = u.s.calls.Session(roomID)
		u.s.rtc.sessions[roomID] = m
	}
	return m
}

// handleRTCEvent applies an Element Call event of the controller.
func (u *UI) handleRTCEvent(ev calls.Event) {
	switch ev := ev.(type) {
	case calls.RTCSessionChanged:
		u.rtcSession(ev.RoomID) // make the map
		u.s.rtc.sessions[ev.RoomID] = ev.Members
		if ev.RoomID == u.s.current {
			u.refreshBanner()
		}
	case calls.RTCRingChanged:
		if ev.Ring != nil {
			r := *ev.Ring
			u.s.rtc.ring = &r
			if r.EventID != u.s.rtc.ignoredRing {
				u.bell()
				u.desktopNotify("Incoming "+kindWord(r.Video)+" call", u.callName(r.RoomID, r.Sender, r.SenderName)+" is calling")
			}
		} else if r := u.s.rtc.ring; r != nil && r.RoomID == ev.RoomID {
			u.s.rtc.ring, u.s.rtc.ignoredRing = nil, ""
			if ev.Reason != "" {
				u.say(false, "The call from %s stopped ringing: %s.", u.callName(r.RoomID, r.Sender, r.SenderName), sanitize.Line(ev.Reason))
			}
		}
		u.refreshCallPanel()
	case calls.ElementCallChanged:
		info := ev.Call
		if info.State == rtc.CallEnded {
			if u.s.rtc.call != nil {
				reason := sanitize.Line(info.EndReason)
				if reason == "" {
					reason = "call ended"
				}
				u.say(false, "Left the call: %s", reason)
			}
			u.s.rtc.call = nil
		} else {
			u.s.rtc.call = &info
		}
		u.callTicking.Store(u.callConnected())
		u.refreshCallPanel()
		u.refreshBanner()
	}
}

// callConnected says whether a call's timer runs in the panel.
func (u *UI) callConnected() bool {
	return u.s.call != nil && u.s.call.State == calls.CallConnected ||
		u.s.rtc.call != nil && u.s.rtc.call.State == rtc.CallConnected
}

func kindWord(video bool) string {
	if video {
		return "video"
	}
	return "voice"
}

// rtcCallAction handles a call key where an Element Call is concerned and
// says whether it did: the 1:1 call keeps its keys while it rings or runs.
func (u *UI) rtcCallAction(act Action) bool {
	ctl := u.s.calls
	one := u.s.call
	room := u.s.current
	switch act {
	case ActAnswer, ActReject:
		r := u.s.rtc.ring
		if r == nil || one != nil && one.State == calls.CallRinging {
			return false
		}
		if act == ActAnswer {
			ctl.AnswerRing(r.RoomID)
		} else {
			ctl.DeclineRing(r.RoomID)
		}
		return true
	case ActMute, ActHangup:
		if one != nil || u.s.rtc.call == nil {
			return false
		}
		if act == ActMute {
			ctl.ToggleElementCallMute()
		} else {
			ctl.LeaveElementCall()
		}
		return true
	case ActJoin:
		if len(u.rtcSession(room)) == 0 {
			return false
		}
		if c := u.s.rtc.call; c != nil && c.RoomID == room {
			u.say(false, "You are already in this room's call.")
			return true
		}
		ctl.StartElementCall(room, false)
		return true
	}
	return false
}

// ignoreRing silences the ringing Element Call; nothing is sent.
func (u *UI) ignoreRing() bool {
	r := u.s.rtc.ring
	if r == nil || r.EventID == u.s.rtc.ignoredRing {
		return false
	}
	u.s.rtc.ignoredRing = r.EventID
	msg := "Ignored the call from " + u.callName(r.RoomID, r.Sender, r.SenderName) + "; it rings on for them"
	if k := u.keys.Name(ActAnswer); k != "" {
		msg += ", and " + k + " or /answer still answers it"
	}
	u.say(false, "%s.", msg)
	u.refreshCallPanel()
	return true
}

// rtcBannerLine is the open room's Element Call session, if any.
func (u *UI) rtcBannerLine(roomID id.RoomID) (Line, bool) {
	members := u.rtcSession(roomID)
	if len(members) == 0 {
		return nil, false
	}
	bg := u.w.banner.bg
	var names []string
	seen := map[id.UserID]bool{}
	for _, m := range members {
		if seen[m.UserID] {
			continue
		}
		seen[m.UserID] = true
		if len(names) < 5 {
			names = append(names, u.callName(roomID, m.UserID, m.Name))
		}
	}
	n := calls.Participants(members)
	who := strings.Join(names, ", ")
	if n > len(names) {
		who += fmt.Sprintf(" and %d more", n-len(names))
	}
	word := "participants"
	if n == 1 {
		word = "participant"
	}
	line := Line{{fmt.Sprintf("☎ Call in progress — %d %s (%s)", n, word, who), bg.Bold(true)}}
	if c := u.s.rtc.call; c != nil && c.RoomID == roomID {
		line = append(line, Segment{" — you are in it", bg})
	} else if k := u.keys.Name(ActJoin); k != "" {
		line = append(line, Segment{" — " + k + " join", bg})
	} else {
		line = append(line, Segment{" — /call joins", bg})
	}
	return line, true
}

// rtcPanelLines tell the Element Call ringing us and the one we are in.
func (u *UI) rtcPanelLines() []Line {
	bg := u.w.callPanel.bg
	k := u.keys.Name
	var lines []Line
	if r := u.s.rtc.ring; r != nil && r.EventID != u.s.rtc.ignoredRing {
		where := ""
		if r.RoomID != u.s.current {
			if room, ok := u.w.roomList.Room(r.RoomID); ok {
				where = " in " + roomLabel(room)
			}
		}
		hint := " — " + k(ActAnswer) + " answer, " + k(ActReject) + " decline"
		if k(ActIgnore) != "" {
			hint += ", " + k(ActIgnore) + " ignore"
		}
		lines = append(lines, Line{{"☎ Incoming " + kindWord(r.Video) + " call (Element Call) from " +
			u.callName(r.RoomID, r.Sender, r.SenderName) + where, bg.Bold(true)}, {hint, bg}})
	}
	if c := u.s.rtc.call; c != nil {
		lines = append(lines, u.elementCallLines(*c)...)
	}
	return lines
}

// maxPanelMembers bounds the participants listed in the call panel.
const maxPanelMembers = 8

// elementCallLines tell our Element Call: its state, ours, the SFUs,
// encryption, then one line per participant.
func (u *UI) elementCallLines(c rtc.CallInfo) []Line {
	bg := u.w.callPanel.bg
	k := u.keys.Name
	where := ""
	if room, ok := u.w.roomList.Room(c.RoomID); ok && c.RoomID != u.s.current {
		where = " in " + roomLabel(room)
	}
	var head string
	switch c.State {
	case rtc.CallJoining:
		head = "☎ Joining the " + kindWord(c.Video) + " call (Element Call)" + where + "…"
	default:
		d := time.Duration(0)
		if !c.JoinedAt.IsZero() {
			d = time.Since(c.JoinedAt).Truncate(time.Second)
		}
		head = fmt.Sprintf("☎ In %s call (Element Call)%s  %02d:%02d", kindWord(c.Video), where, int(d.Minutes()), int(d.Seconds())%60)
	}
	l := Line{{head, bg.Bold(true)}}
	if c.Encrypted {
		l = append(l, Segment{" · encrypted", bg})
	} else {
		l = append(l, Segment{" · not encrypted", bg.Foreground(tcell.ColorYellow)})
	}
	if len(c.Hosts) > 0 {
		hosts := make([]string, 0, len(c.Hosts))
		for _, h := range c.Hosts {
			hosts = append(hosts, sanitize.Cut(sanitize.Line(h), 60))
		}
		l = append(l, Segment{" · SFU " + strings.Join(hosts, ", "), bg})
	}
	if c.Muted {
		l = append(l, Segment{" · MUTED", bg.Foreground(tcell.ColorYellow).Bold(true)})
	}
	if p := sanitize.Line(c.Problem); p != "" {
		l = append(l, Segment{" · " + p, bg.Foreground(tcell.ColorRed).Bold(true)})
	}
	l = append(l, Segment{" — " + k(ActMute) + " mute, " + k(ActHangup) + " leave", bg})
	lines := []Line{l}
	if a := sanitize.Line(c.Audio); a != "" {
		lines = append(lines, Line{{"  audio: " + a, bg}})
	}
	if len(c.Members) == 0 && c.State == rtc.CallConnected {
		lines = append(lines, Line{{"  nobody else is in the call", bg}})
	}
	for i, m := range c.Members {
		if i == maxPanelMembers {
			lines = append(lines, Line{{fmt.Sprintf("  and %d more", len(c.Members)-i), bg}})
			break
		}
		lines = append(lines, u.memberLine(c, m))
	}
	return lines
}

// memberLine tells one participant: speaking, muted, video tracks, key.
func (u *UI) memberLine(c rtc.CallInfo, m rtc.CallMember) Line {
	bg := u.w.callPanel.bg
	speak := Segment{"  ○ ", bg}
	if m.Speaking {
		speak = Segment{"  ● ", bg.Foreground(tcell.ColorLime).Bold(true)}
	}
	name := u.callName(c.RoomID, m.UserID, "") + " (" + sanitize.Cut(sanitize.Line(string(m.DeviceID)), 20) + ")"
	l := Line{speak, {name, bg.Bold(true)}}
	switch {
	case !m.InMedia:
		l = append(l, Segment{" · not connected yet", bg})
	default:
		if m.Speaking {
			l = append(l, Segment{" · speaking", bg.Foreground(tcell.ColorLime)})
		}
		if m.Muted {
			l = append(l, Segment{" · muted", bg.Foreground(tcell.ColorYellow)})
		}
		for _, v := range m.Video {
			l = append(l, Segment{" · video " + sanitize.Cut(sanitize.Line(v), 30), bg})
		}
	}
	if c.Encrypted {
		if m.HasKey {
			l = append(l, Segment{" · key ✓", bg})
		} else {
			l = append(l, Segment{" · no key yet", bg.Foreground(tcell.ColorYellow)})
		}
	}
	return l
}

// keyPlanText says what the call keys do in the open room, for /help and
// /jitsi; it may ask the network whether Element Call is available.
func keyPlanText(ctx context.Context, ctl *calls.Controller, room id.RoomID, keys *Keymap) string {
	if ctl == nil || room == "" {
		return ""
	}
	p := ctl.KeyPlan(ctx, room)
	ks := strings.Trim(keys.Name(ActVoice)+"/"+keys.Name(ActVideo), "/")
	if ks == "" {
		ks = "/voice and /video"
	}
	text := "In this room " + ks + " will " + p.Describe()
	if p.Kind != calls.PlanRefuse && p.Why != "" {
		text += " (" + p.Why + ")"
	}
	return sanitize.Line(text) + "."
}

// callCommand is /call [video]: start or join an Element Call here,
// whatever calls.group and calls.dm say.
func (u *UI) callCommand(arg string) bool {
	ctl, room := u.s.calls, u.s.current
	if ctl == nil {
		u.say(true, "Calls are not available in this session.")
		return false
	}
	if room == "" {
		u.say(true, "Open a room first.")
		return false
	}
	if r, ok := u.w.roomList.Room(room); ok && r.Membership != "join" {
		u.say(true, "Join the room before calling.")
		return false
	}
	video := false
	switch strings.TrimSpace(arg) {
	case "":
	case "video":
		video = true
	default:
		u.say(true, "Usage: /call or /call video")
		return false
	}
	ctl.StartElementCall(room, video)
	return true
}
