package rtc

import (
	"context"

	"github.com/termatrix/termatrix/calls/audio"
)

// MediaConfig is what one LiveKit connection needs. A session opens one
// connection per distinct SFU among its members (Element Call's
// multi-SFU): it publishes our microphone only on our own SFU's.
type MediaConfig struct {
	// URL is the SFU's WebSocket URL (ws:// or wss://), as the JWT service
	// returned it.
	URL string
	// Token is the LiveKit JWT for that SFU; the LiveKit room is in its
	// video grant.
	Token string
	// Publish says to publish our audio (from Source) on this connection.
	Publish bool
	// Source is our microphone (used only when Publish). The media owns
	// the pacing: it reads one 20 ms frame at a time.
	Source audio.Source
	// Encrypted turns on per-participant end-to-end encryption of media
	// frames (LiveKit's GCM frame format): our frames are encrypted with
	// the key set by SetLocalKey, remote frames decrypted with the key
	// SetRemoteKey gave for their sender's identity. Frames that cannot be
	// decrypted are dropped and counted, never played.
	Encrypted bool
	// OnChange is called (on any goroutine, never while a lock of the
	// media is held) when Participants would return something different:
	// someone joined or left, muted, started or stopped speaking.
	OnChange func()
}

// Participant is one remote LiveKit participant as the call panel shows
// it.
type Participant struct {
	// Identity is the LiveKit identity: "@user:server:DEVICE" for members
	// that send state-event memberships.
	Identity string
	// Speaking says the participant's audio level is above the speaking
	// threshold now; Level is that level (0..1).
	Speaking bool
	Level    float64
	// Muted says their microphone track is muted (LiveKit track mute) or
	// they publish no audio.
	Muted bool
	// Audio says we receive (and play) an audio track from them.
	Audio bool
	// Video lists their video tracks, e.g. "1280x720", not drawn.
	Video []string
	// Encrypted says their audio arrives end-to-end encrypted and we hold
	// their key; Undecryptable counts frames we had to drop.
	Encrypted     bool
	Undecryptable int
}

// Media is one live LiveKit connection.
type Media interface {
	// SetLocalKey sets our raw 16-byte media key (as sent in
	// io.element.call.encryption_keys) at index and makes it the key our
	// frames are encrypted with from now on.
	SetLocalKey(index uint8, key []byte)
	// SetRemoteKey sets the raw 16-byte key at index for the participant
	// with this LiveKit identity; frames name the index they use.
	SetRemoteKey(identity string, index uint8, key []byte)
	// SetMuted mutes or unmutes our published audio (LiveKit track mute).
	SetMuted(muted bool)
	// Participants lists the remote participants, sorted by identity.
	Participants() []Participant
	// Host is the SFU's host name for the call panel.
	Host() string
	// AudioProblem says why this connection sends or plays no audio
	// although it is connected (e.g. "no audio: this build has no Opus;
	// build with -tags opus"), for the call panel; "" when audio works.
	AudioProblem() string
	// Close leaves the LiveKit room and stops the media.
	Close() error
}

// MediaDialer opens LiveKit connections. Every connection of one dialer
// plays into the same output (the dialer mixes them).
type MediaDialer interface {
	Dial(ctx context.Context, cfg MediaConfig) (Media, error)
	// Close stops the output once every connection is closed.
	Close() error
}
