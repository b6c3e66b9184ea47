package lkmedia

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livekit/protocol/livekit"
	protoLogger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/termatrix/termatrix/calls/audio"
	"github.com/termatrix/termatrix/calls/rtc"
)

const (
	// changeInterval is the most often OnChange is called, and how often
	// levels of participants who went quiet are let fall.
	changeInterval = 100 * time.Millisecond
	// speakingLevel is the audio level (RMS, 0..1 of full scale) above
	// which a participant is speaking: about −34 dBFS.
	speakingLevel = 0.02
	// levelDecay is how a level falls per 20 ms frame when the audio gets
	// quieter, so the meter does not flicker between syllables.
	levelDecay = 0.85
	// staleAfter is when a participant who sends no audio any more (DTX,
	// muted, gone) counts as silent.
	staleAfter = 200 * time.Millisecond
)

// noOpusProblem is what AudioProblem says in a build without libopus.
func noOpusProblem() string { return "no audio: " + audio.ErrNoOpus.Error() }

// peer is what we measure of one remote participant.
type peer struct {
	level         float64
	speaking      bool
	receiving     int // audio tracks we read
	decrypted     bool
	undecryptable int
	lastFrame     time.Time
}

// conn is one LiveKit connection: an rtc.Media.
type conn struct {
	d       *Dialer
	cfg     rtc.MediaConfig
	host    string
	problem string
	room    *lksdk.Room
	enc     frameEncryptor
	muted   atomic.Bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
	pub    *lksdk.LocalTrackPublication
	rings  map[string]*keyRing
	peers  map[string]*peer
	dirty  bool
	joined time.Time
	// firstAudio is when the first remote frame was decoded (join-time
	// figure).
	firstAudio time.Time
}

func dial(ctx context.Context, d *Dialer, cfg rtc.MediaConfig) (*conn, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("livekit: SFU URL: %w", err)
	}
	mctx, cancel := context.WithCancel(context.Background())
	m := &conn{
		d: d, cfg: cfg, host: u.Hostname(),
		ctx: mctx, cancel: cancel,
		rings: map[string]*keyRing{}, peers: map[string]*peer{},
		joined: time.Now(),
	}
	if !audio.OpusAvailable {
		m.problem = noOpusProblem()
	}
	cb := lksdk.NewRoomCallback()
	cb.OnParticipantConnected = func(*lksdk.RemoteParticipant) { m.changed() }
	cb.OnParticipantDisconnected = func(rp *lksdk.RemoteParticipant) {
		m.mu.Lock()
		delete(m.peers, rp.Identity())
		m.dirty = true
		m.mu.Unlock()
	}
	cb.OnTrackPublished = func(pub *lksdk.RemoteTrackPublication, _ *lksdk.RemoteParticipant) {
		if pub.Kind() == lksdk.TrackKindAudio {
			_ = pub.SetSubscribed(true) // video stays unsubscribed: listed, not received
		}
		m.changed()
	}
	cb.OnTrackUnpublished = func(*lksdk.RemoteTrackPublication, *lksdk.RemoteParticipant) { m.changed() }
	cb.OnTrackMuted = func(lksdk.TrackPublication, lksdk.Participant) { m.changed() }
	cb.OnTrackUnmuted = func(lksdk.TrackPublication, lksdk.Participant) { m.changed() }
	cb.OnTrackSubscribed = m.onTrack
	m.room = lksdk.NewRoom(cb)
	err = m.room.JoinWithContextAndToken(ctx, cfg.URL, cfg.Token,
		lksdk.WithAutoSubscribe(false),
		lksdk.WithLogger(protoLogger.GetDiscardLogger()))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("livekit: join %s: %w", m.host, err)
	}
	// Participants already there were announced during the join; make
	// sure their audio is subscribed now that the connection is up.
	for _, rp := range m.room.GetRemoteParticipants() {
		for _, p := range rp.TrackPublications() {
			if pub, ok := p.(*lksdk.RemoteTrackPublication); ok && pub.Kind() == lksdk.TrackKindAudio && !pub.IsSubscribed() {
				_ = pub.SetSubscribed(true)
			}
		}
	}
	m.wg.Add(1)
	go m.notify()
	if cfg.Publish && audio.OpusAvailable {
		if err := m.publish(); err != nil {
			_ = m.Close()
			return nil, err
		}
	}
	return m, nil
}

// opusCapability is Opus as LiveKit and browsers negotiate it.
func opusCapability() webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}
}

// publish publishes our microphone track and starts sending.
func (m *conn) publish() error {
	var opts []lksdk.LocalTrackOptions
	popts := &lksdk.TrackPublicationOptions{Name: "microphone", Source: livekit.TrackSource_MICROPHONE}
	if m.cfg.Encrypted {
		opts = append(opts, lksdk.WithFrameEncryptor(&m.enc))
		popts.Encryption = livekit.Encryption_GCM
	}
	track, err := lksdk.NewLocalSampleTrack(opusCapability(), opts...)
	if err != nil {
		return fmt.Errorf("livekit: audio track: %w", err)
	}
	enc, err := audio.NewOpusEncoder()
	if err != nil {
		return fmt.Errorf("livekit: %w", err)
	}
	pub, err := m.room.LocalParticipant.PublishTrack(track, popts)
	if err != nil {
		return fmt.Errorf("livekit: publish audio: %w", err)
	}
	pub.SetMuted(m.muted.Load())
	m.mu.Lock()
	m.pub = pub
	m.mu.Unlock()
	m.wg.Add(1)
	go m.send(track, enc)
	return nil
}

// send reads the source every 20 ms and writes one Opus frame, nothing
// while muted (LiveKit track mute) or before we have a key.
func (m *conn) send(track *lksdk.LocalTrack, enc *audio.OpusEncoder) {
	defer m.wg.Done()
	var pkt []byte
	audio.EachFrame(m.ctx, m.cfg.Source, func(pcm []int16) bool {
		if m.muted.Load() {
			return true
		}
		var err error
		if pkt, err = enc.Encode(pkt[:0], pcm); err != nil {
			return true
		}
		// An error here is a frame we could not encrypt (no key yet) or a
		// closing connection: either way the frame is not sent.
		_ = track.WriteSample(media.Sample{Data: pkt, Duration: audio.FrameInterval}, nil)
		return true
	})
}

// onTrack receives one subscribed remote audio track until it ends.
func (m *conn) onTrack(tr *webrtc.TrackRemote, _ *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
	if tr.Kind() != webrtc.RTPCodecTypeAudio {
		return
	}
	id := rp.Identity()
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.peer(id).receiving++
	m.dirty = true
	m.wg.Add(1)
	m.mu.Unlock()
	go m.receive(tr, id)
}

// peer returns the state of identity, made on first use; m.mu is held.
func (m *conn) peer(id string) *peer {
	p := m.peers[id]
	if p == nil {
		p = &peer{}
		m.peers[id] = p
	}
	return p
}

// ring returns the keyring of identity, made on first use.
func (m *conn) ring(id string) *keyRing {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rings[id]
	if r == nil {
		r = &keyRing{}
		m.rings[id] = r
	}
	return r
}

// receive reads RTP (one Opus frame per packet), decrypts, decodes and
// hands the audio to the mixer.
func (m *conn) receive(tr *webrtc.TrackRemote, id string) {
	defer m.wg.Done()
	defer func() {
		m.mu.Lock()
		if p := m.peers[id]; p != nil {
			p.receiving--
		}
		m.dirty = true
		m.mu.Unlock()
	}()
	var dec *audio.OpusDecoder
	if audio.OpusAvailable {
		var err error
		if dec, err = audio.NewOpusDecoder(); err != nil {
			m.setProblem("no audio: " + err.Error())
		}
	}
	st := m.d.mixer.add()
	defer m.d.mixer.remove(st)
	sif := m.room.SifTrailer()
	ring := m.ring(id)
	var plain []byte
	var pcm []int16
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		frame := pkt.Payload
		if len(frame) == 0 || isSIF(frame, sif) {
			continue // empty (DTX) frames carry nothing; server-injected ones are dropped
		}
		if m.cfg.Encrypted {
			if plain, err = openFrame(plain[:0], ring.at, frame); err != nil {
				m.failed(id)
				continue
			}
			frame = plain
		}
		if dec == nil {
			m.heard(id, 0, m.cfg.Encrypted)
			continue
		}
		if pcm, err = dec.Decode(pcm[:0], frame); err != nil {
			continue
		}
		m.d.mixer.push(st, pcm)
		m.heard(id, rms(pcm), m.cfg.Encrypted)
	}
}

// rms is the root mean square of pcm, 0..1 of full scale.
func rms(pcm []int16) float64 {
	if len(pcm) == 0 {
		return 0
	}
	var sum float64
	for _, v := range pcm {
		f := float64(v) / 32768
		sum += f * f
	}
	return math.Sqrt(sum / float64(len(pcm)))
}

// failed counts an undecryptable frame from id.
func (m *conn) failed(id string) {
	m.mu.Lock()
	p := m.peer(id)
	p.undecryptable++
	if p.undecryptable == 1 || p.decrypted {
		m.dirty = true
	}
	p.decrypted = false
	m.mu.Unlock()
}

// heard records a frame of level from id.
func (m *conn) heard(id string, level float64, decrypted bool) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.peer(id)
	if m.firstAudio.IsZero() {
		m.firstAudio = now
	}
	if decrypted != p.decrypted {
		p.decrypted = decrypted
		m.dirty = true
	}
	p.lastFrame = now
	m.setLevel(p, max(level, p.level*levelDecay))
}

// setLevel sets p's level and marks a change the panel would show
// (speaking, or a tenth of the meter); m.mu is held.
func (m *conn) setLevel(p *peer, level float64) {
	speaking := level > speakingLevel
	if speaking != p.speaking || int(level*10) != int(p.level*10) {
		m.dirty = true
	}
	p.level, p.speaking = level, speaking
}

// changed marks that Participants would say something new.
func (m *conn) changed() {
	m.mu.Lock()
	m.dirty = true
	m.mu.Unlock()
}

func (m *conn) setProblem(s string) {
	m.mu.Lock()
	if m.problem == "" {
		m.problem = s
		m.dirty = true
	}
	m.mu.Unlock()
}

// notify calls OnChange at most every changeInterval, outside every
// lock, and lets the levels of participants who stopped sending fall.
func (m *conn) notify() {
	defer m.wg.Done()
	tick := time.NewTicker(changeInterval)
	defer tick.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		m.mu.Lock()
		for _, p := range m.peers {
			if p.level > 0 && now.Sub(p.lastFrame) > staleAfter {
				m.setLevel(p, 0)
			}
		}
		dirty := m.dirty
		m.dirty = false
		m.mu.Unlock()
		if dirty && m.cfg.OnChange != nil {
			m.cfg.OnChange()
		}
	}
}

// SetLocalKey makes key at index the key of our frames from now on.
func (m *conn) SetLocalKey(index uint8, key []byte) {
	_ = m.enc.setKey(index, key) // an empty key is ignored: frames keep the old one
}

// SetRemoteKey sets identity's key at index.
func (m *conn) SetRemoteKey(identity string, index uint8, key []byte) {
	if err := m.ring(identity).set(index, key); err == nil {
		m.changed()
	}
}

// SetMuted mutes or unmutes our audio track.
func (m *conn) SetMuted(muted bool) {
	m.muted.Store(muted)
	m.mu.Lock()
	pub := m.pub
	m.mu.Unlock()
	if pub != nil {
		pub.SetMuted(muted)
	}
}

// Participants lists the remote participants by identity.
func (m *conn) Participants() []rtc.Participant {
	rps := m.room.GetRemoteParticipants() // lksdk's own lock; never under m.mu
	out := make([]rtc.Participant, 0, len(rps))
	type pubInfo struct{ audio, muted, encrypted bool }
	infos := make([]pubInfo, 0, len(rps))
	for _, rp := range rps {
		p := rtc.Participant{Identity: rp.Identity()}
		var in pubInfo
		anyUnmuted := false
		for _, pub := range rp.TrackPublications() {
			ti := pub.TrackInfo()
			switch pub.Kind() {
			case lksdk.TrackKindAudio:
				in.audio = true
				if !pub.IsMuted() {
					anyUnmuted = true
				}
				if ti != nil && ti.Encryption != livekit.Encryption_NONE {
					in.encrypted = true
				}
			case lksdk.TrackKindVideo:
				if ti != nil {
					p.Video = append(p.Video, fmt.Sprintf("%dx%d", ti.Width, ti.Height))
				}
			}
		}
		in.muted = !anyUnmuted
		out = append(out, p)
		infos = append(infos, in)
	}
	m.mu.Lock()
	for i := range out {
		p := &out[i]
		p.Muted = infos[i].muted
		_, haveKey := m.rings[p.Identity]
		st := m.peers[p.Identity]
		if st == nil {
			continue
		}
		p.Audio = st.receiving > 0 && audio.OpusAvailable
		if !p.Muted {
			p.Level, p.Speaking = st.level, st.speaking
		}
		p.Encrypted = m.cfg.Encrypted && infos[i].encrypted && haveKey && st.undecryptable == 0 || st.decrypted
		p.Undecryptable = st.undecryptable
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Identity < out[j].Identity })
	return out
}

// Host is the SFU's host name.
func (m *conn) Host() string { return m.host }

// AudioProblem says why there is no audio, or "".
func (m *conn) AudioProblem() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.problem
}

// Close leaves the room and waits for the media goroutines.
func (m *conn) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	m.cancel()
	m.room.Disconnect()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		m.d.forget(m)
		return errors.New("livekit: media goroutines did not end within 5 s")
	}
	m.d.forget(m)
	return nil
}

// joinTime is from Dial to the first decoded remote frame, or 0.
func (m *conn) joinTime() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.firstAudio.IsZero() {
		return 0
	}
	return m.firstAudio.Sub(m.joined)
}
