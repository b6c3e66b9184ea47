package voip

import "time"

// TextConnectionLost is the end reason of a call whose media was lost and
// did not come back within the reconnect timeout, on either side.
const TextConnectionLost = "connection lost: the media did not come back"

// MediaLost marks a connected call's media as lost (ICE disconnected or
// failed) since since, the last moment media was seen as near as the
// driver can tell. The call stays connected and Reconnecting until
// MediaConnected says the media is back, or it ends ReconnectTimeout after
// since with TextConnectionLost (hangup ice_failed). A call not yet
// connected keeps its connect timeout instead.
func (m *Machine) MediaLost(now time.Time, callID string, since time.Time) []Action {
	c := m.live(callID)
	if c == nil || c.Phase != PhaseConnected || c.Reconnecting {
		return nil
	}
	if since.IsZero() || since.After(now) {
		since = now
	}
	c.Reconnecting = true
	c.LostAt = since
	c.reconnectBy = since.Add(m.cfg.ReconnectTimeout)
	return []Action{Changed{c.ID}}
}

// mediaBack ends a connected call's reconnecting.
func (m *Machine) mediaBack(c *Call) []Action {
	if !c.Reconnecting {
		return nil
	}
	c.Reconnecting, c.LostAt, c.reconnectBy = false, time.Time{}, time.Time{}
	return []Action{Changed{c.ID}}
}

// reconnectTick ends a call whose media stayed lost for ReconnectTimeout.
func (m *Machine) reconnectTick(now time.Time, c *Call) []Action {
	if c.Phase != PhaseConnected || !c.Reconnecting || now.Before(c.reconnectBy) {
		return nil
	}
	return m.end(now, c, TextConnectionLost, ReasonICEFailed, true)
}

// setPeerMeta takes the peer's microphone state from its
// sdp_stream_metadata (either key), and reports whether it changed. Only
// user media counts (not a screen share); metadata without any leaves the
// state as it was.
func (m *Machine) setPeerMeta(c *Call, stable, unstable map[string]StreamMetadata) bool {
	meta := stable
	if meta == nil {
		meta = unstable
	}
	known, muted := false, false
	for _, sm := range meta {
		if sm.Purpose == "m.usermedia" || sm.Purpose == "" {
			known = true
			muted = muted || sm.AudioMuted
		}
	}
	if !known || muted == c.PeerMuted {
		return false
	}
	c.PeerMuted = muted
	return true
}

// onMetadataChanged follows the chosen peer's m.call.sdp_stream_metadata_changed.
func (m *Machine) onMetadataChanged(now time.Time, s Signal, v *StreamMetadataChanged) []Action {
	c := m.live(v.CallID)
	if c == nil || s.Sender != c.Peer || !c.PeerChosen || !m.partyMatches(c, v.Common) {
		return nil
	}
	if m.setPeerMeta(c, v.SDPStreamMetadata, v.SDPStreamMetadataUnstable) {
		return []Action{Changed{c.ID}}
	}
	return nil
}
