package voip

import (
	"time"

	"github.com/pion/webrtc/v4"
)

// ProblemReconnecting is calls.CallInfo.Problem while a connected call's
// media is lost and ICE tries to get it back.
const ProblemReconnecting = "connection lost, reconnecting…"

// iceRestartDelay is how long a connected call's ICE stays disconnected
// before the caller restarts it, as matrix-js-sdk waits (2 s); a short
// stall recovers by itself meanwhile.
const iceRestartDelay = 2 * time.Second

// iceDisconnectedTimeout is ICE's disconnected timeout for a failed
// timeout: 3 s, or half of a shorter failed timeout (tests).
func iceDisconnectedTimeout(failed time.Duration) time.Duration {
	if failed <= 0 {
		failed = 15 * time.Second
	}
	return min(3*time.Second, failed/2)
}

// iceState follows a call's ICE connection state on the loop.
func (m *Manager) iceState(callID string, s webrtc.ICEConnectionState) {
	m.post(func() {
		med := m.media[callID]
		if med == nil {
			return
		}
		m.log.Debug().Str("call", callID).Str("ice", s.String()).Msg("voip: ICE state")
		now := time.Now()
		c, _ := m.machine.Call(callID)
		switch s {
		case webrtc.ICEConnectionStateConnected, webrtc.ICEConnectionStateCompleted:
			if t := m.timings[callID]; t != nil && t.Connected.IsZero() {
				t.Connected = now
			}
			if c.Reconnecting {
				m.log.Info().Str("call", callID).Dur("lost", now.Sub(c.LostAt)).Msg("voip: media back")
				med.mu.Lock()
				med.restarted = false // a later loss may restart again
				med.mu.Unlock()
			}
			med.connected()
			m.apply(m.machine.MediaConnected(now, callID))
			m.publish(callID)
		case webrtc.ICEConnectionStateDisconnected:
			if c.Phase != PhaseConnected {
				return
			}
			m.mediaLost(callID, med, now)
		case webrtc.ICEConnectionStateFailed:
			if c.Phase == PhaseConnected {
				// Lost after it was up: the reconnect timeout decides.
				m.mediaLost(callID, med, now)
				if med.outgoing {
					m.restartICE(callID, med, false)
				}
				return
			}
			m.iceFailed(callID, med)
		}
	})
}

// mediaLost marks a connected call as reconnecting, the loss counted from
// the last packet ICE heard (its disconnected timeout ago), and has the
// caller restart ICE if it stays down for iceRestartDelay.
func (m *Manager) mediaLost(callID string, med *callMedia, now time.Time) {
	acts := m.machine.MediaLost(now, callID, now.Add(-m.mc.iceDisconnected))
	if len(acts) == 0 {
		return // already reconnecting
	}
	m.log.Info().Str("call", callID).Msg("voip: media lost; reconnecting")
	m.apply(acts)
	if !med.outgoing {
		return // only the caller offers a restart; the callee answers it
	}
	time.AfterFunc(iceRestartDelay, func() {
		m.post(func() {
			if c, ok := m.machine.Call(callID); ok && c.Reconnecting && m.media[callID] == med {
				m.restartICE(callID, med, false)
			}
		})
	})
}

// iceFailed handles ICE failing before the call was ever connected: it
// restarts ICE once (the caller makes the offer; the callee waits for
// one), then gives up with ice_failed.
func (m *Manager) iceFailed(callID string, med *callMedia) {
	med.mu.Lock()
	restarted := med.restarted
	med.mu.Unlock()
	if restarted {
		m.apply(m.machine.Hangup(time.Now(), callID, ReasonICEFailed))
		return
	}
	if !med.outgoing {
		med.mu.Lock()
		med.restarted = true
		med.mu.Unlock()
		// Give the caller's restart its full chance before giving up.
		time.AfterFunc(2*m.o.ICEFailedTimeout+5*time.Second, func() {
			m.post(func() {
				if m.media[callID] == med && med.pc.ICEConnectionState() != webrtc.ICEConnectionStateConnected &&
					med.pc.ICEConnectionState() != webrtc.ICEConnectionStateCompleted {
					m.apply(m.machine.Hangup(time.Now(), callID, ReasonICEFailed))
				}
			})
		})
		return
	}
	m.restartICE(callID, med, true)
}

// restartICE makes the caller's ICE-restart offer (once per loss) with
// fresh TURN credentials and sends it as m.call.negotiate. If the offer
// cannot be made, a call that never connected is hung up (hangupOnError);
// a connected one is left to its reconnect timeout.
func (m *Manager) restartICE(callID string, med *callMedia, hangupOnError bool) {
	med.mu.Lock()
	restarted := med.restarted
	med.mu.Unlock()
	if restarted {
		return
	}
	m.log.Info().Str("call", callID).Msg("voip: restarting ICE")
	go func() {
		m.turnMu.Lock()
		m.turnExpires = time.Time{} // fresh credentials for the new allocations
		m.turnMu.Unlock()
		servers := m.iceServers(m.ctx)
		d, err := med.iceRestart(m.ctx, servers, m.mc.forceRelay)
		m.post(func() {
			if err != nil {
				m.log.Warn().Err(err).Msg("voip: ICE restart")
				if hangupOnError {
					m.apply(m.machine.Hangup(time.Now(), callID, ReasonICEFailed))
				}
				return
			}
			if d != nil {
				m.apply(m.machine.LocalNegotiate(time.Now(), callID, *d))
			}
		})
	}()
}
