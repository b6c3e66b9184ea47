package rtc

import (
	"context"
	"errors"
	"sort"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
)

// deviceKey names a member device in maps.
func deviceKey(user id.UserID, dev id.DeviceID) string { return string(user) + "\x00" + string(dev) }

// readMembers reads the room's valid memberships from the stored state,
// ours excepted, oldest first; it notes whether ours is visible.
func (s *session) readMembers(now time.Time) []Membership {
	var all []Membership
	s.ownVisible = false
	for _, ev := range s.m.StateEvents(s.roomID, MemberStateType) {
		m, err := ParseMember(s.roomID, ev)
		if err != nil {
			if !errors.Is(err, ErrLeft) {
				s.m2log().Debug().Err(err).Msg("ignoring a call membership")
			}
			continue
		}
		if m.Sender == s.me && m.DeviceID == s.dev {
			s.ownVisible = s.ownVisible || (s.ownEvent != "" && m.Valid(now))
			continue
		}
		all = append(all, m)
	}
	return Sorted(all, now)
}

// refreshMembers re-reads the memberships and acts on who joined and
// left: keys (rotation, sending), queued keys, LiveKit connections.
func (s *session) refreshMembers(ctx context.Context) {
	now := time.Now()
	wasVisible := s.ownVisible
	cur := s.readMembers(now)
	old := make(map[string]Membership, len(s.members))
	for _, m := range s.members {
		old[deviceKey(m.Sender, m.DeviceID)] = m
	}
	var joined []Membership
	s.nextExpiry = time.Time{}
	for _, m := range cur {
		k := deviceKey(m.Sender, m.DeviceID)
		if _, ok := old[k]; !ok {
			joined = append(joined, m)
		}
		delete(old, k)
		if s.nextExpiry.IsZero() || m.Expires.Before(s.nextExpiry) {
			s.nextExpiry = m.Expires
		}
	}
	s.members = cur
	for _, m := range old { // left
		s.remote.forget(m.Identity)
	}
	if s.keys != nil {
		switch {
		case len(old) > 0:
			if err := s.keys.left(now); err != nil {
				s.m2log().Warn().Err(err).Msg("rotating our media key")
			}
		case len(joined) > 0 && wasVisible:
			if _, err := s.keys.joined(now); err != nil {
				s.m2log().Warn().Err(err).Msg("rotating our media key")
			}
		}
		if s.ownVisible {
			s.sendKeys(ctx, cur)
		}
	}
	for _, m := range joined {
		for _, mk := range s.remote.takeFor(m, now) {
			s.applyKey(m, mk)
		}
	}
	s.syncConns(ctx)
}

// sendKeys sends our newest key, Olm-encrypted, to the member devices
// that lack it; a failure is retried a few seconds later.
func (s *session) sendKeys(ctx context.Context, members []Membership) {
	s.keyRetryAt = time.Time{}
	to := map[id.UserID][]id.DeviceID{}
	var sent []string
	for _, m := range members {
		k := deviceKey(m.Sender, m.DeviceID)
		if s.keys.needs(k) {
			to[m.Sender] = append(to[m.Sender], m.DeviceID)
			sent = append(sent, k)
		}
	}
	if len(sent) == 0 {
		return
	}
	nctx, cancel := context.WithTimeout(ctx, netTimeout)
	defer cancel()
	content := KeysContent(s.roomID, s.me, s.dev, s.keys.index, s.keys.key, time.Now())
	if err := s.m.SendToDeviceEncrypted(nctx, KeysType, to, content); err != nil {
		s.m2log().Warn().Err(err).Msg("sending our media key")
		s.keyRetryAt = time.Now().Add(5 * time.Second)
		return
	}
	for _, k := range sent {
		s.keys.markSent(k)
	}
}

// onKey takes a media key that came Olm-encrypted: it counts only for
// the member whose membership names the very device the Olm session is
// with; a key arriving before its membership waits for it.
func (s *session) onKey(u matrix.ToDeviceReceived) {
	if !u.Encrypted {
		return
	}
	mk, err := ParseKeys(u.Content)
	if err != nil {
		s.m2log().Debug().Err(err).Msg("ignoring a media key")
		return
	}
	if mk.RoomID != s.roomID {
		return
	}
	mk.Sender, mk.Device = u.Sender, u.SenderDevice
	if mk.ClaimedDevice != "" && mk.ClaimedDevice != mk.Device {
		s.m2log().Debug().Msg("ignoring a media key whose claimed device is not its sender's")
		return
	}
	for _, m := range s.members {
		if m.Sender == mk.Sender && m.DeviceID == mk.Device {
			s.applyKey(m, mk)
			s.publish()
			return
		}
	}
	s.remote.queue(mk, time.Now())
}

// applyKey gives every connection the member's key.
func (s *session) applyKey(m Membership, mk MediaKey) {
	s.remote.set(m.Identity, mk.Index, mk.Key)
	for _, c := range s.conns {
		c.media.SetRemoteKey(m.Identity, mk.Index, mk.Key)
	}
}

// syncConns opens a subscribe-only connection to each other SFU the
// members publish on and closes those no member uses any more.
func (s *session) syncConns(ctx context.Context) {
	want := map[string]bool{}
	for _, m := range s.members {
		if m.Transport.Type == "livekit" && m.Transport.ServiceURL != "" && m.Transport.ServiceURL != s.transport.ServiceURL {
			want[m.Transport.ServiceURL] = true
		}
	}
	for svc, c := range s.conns {
		if !c.publish && !want[svc] {
			_ = c.media.Close()
			delete(s.conns, svc)
		}
	}
	for svc := range want {
		if _, ok := s.conns[svc]; ok {
			continue
		}
		if err := s.connect(ctx, svc, false); err != nil {
			s.m2log().Warn().Err(err).Msg("connecting to a member's SFU")
			s.problem = "cannot reach a member's SFU: " + err.Error()
		}
	}
}

// publish hands the Manager a snapshot of the call.
func (s *session) publish() {
	info := CallInfo{
		RoomID: s.roomID, State: CallJoining, Video: s.video, Muted: s.muted,
		Encrypted: s.encrypted, Problem: s.problem,
	}
	if !s.joinedAt.IsZero() {
		info.State, info.JoinedAt = CallConnected, s.joinedAt
	}
	if s.ended {
		info.State, info.EndReason = CallEnded, s.endReason
	}
	parts := map[string]Participant{}
	if c := s.ours(); c != nil {
		info.Hosts = append(info.Hosts, c.media.Host())
	}
	var others []string
	for _, c := range s.conns {
		if !c.publish {
			others = append(others, c.media.Host())
		}
		for _, p := range c.media.Participants() {
			parts[p.Identity] = p
		}
	}
	sort.Strings(others)
	info.Hosts = append(info.Hosts, others...)
	if s.source != nil {
		info.Audio = s.source.Name()
	}
	// The media may know better: no Opus in this build, a failed device.
	if c := s.ours(); c != nil {
		if p := c.media.AudioProblem(); p != "" {
			info.Audio = p
		}
	}
	for _, m := range s.members {
		cm := CallMember{UserID: m.Sender, DeviceID: m.DeviceID, HasKey: len(s.remote.byIdentity[m.Identity]) > 0}
		if p, ok := parts[m.Identity]; ok {
			cm.InMedia, cm.Speaking, cm.Muted, cm.Video = true, p.Speaking, p.Muted, p.Video
		}
		info.Members = append(info.Members, cm)
	}
	s.mg.update(s, info)
}
