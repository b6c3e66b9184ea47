package voip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/termatrix/termatrix/calls/audio"
)

// mediaEvents is how a call's media reports back to the Manager's loop.
type mediaEvents interface {
	localCandidate(callID string, c Candidate)
	iceState(callID string, s webrtc.ICEConnectionState)
	infoChanged(callID string)
}

// mediaConfig is what every call's media is built from.
type mediaConfig struct {
	iceServers []webrtc.ICEServer
	forceRelay bool
	input      string // audio.input setting
	output     string // audio.output setting
	iceFailed  time.Duration
	// iceDisconnected is how long ICE goes without hearing the peer
	// before it says disconnected (iceDisconnectedTimeout).
	iceDisconnected time.Duration
	logf            func(string, ...any)
}

// callMedia is one call's PeerConnection and audio pumps.
type callMedia struct {
	callID   string
	outgoing bool
	video    bool
	pc       *webrtc.PeerConnection
	track    *webrtc.TrackLocalStaticSample
	sender   *webrtc.RTPSender
	streamID string
	ev       mediaEvents
	logf     func(string, ...any)
	input    string
	output   string
	muted    atomic.Bool
	ctx      context.Context
	cancel   context.CancelFunc

	mu          sync.Mutex
	remoteSet   bool
	pending     []webrtc.ICECandidateInit
	codec       string
	path        string
	remoteVideo string
	audioNote   string
	sending     bool
	src         audio.Source
	snk         audio.Sink
	restarted   bool
	closed      bool
	ready       bool
	// sendChosen is set once the first remote description has picked
	// the codec our track sends (see chooseSendCodec).
	sendChosen bool
}

// frameEncoder turns one 20 ms frame of package audio's PCM into an RTP
// payload appended to dst.
type frameEncoder func(dst []byte, pcm []int16) ([]byte, error)

// frameDecoder turns one RTP payload into PCM appended to dst.
type frameDecoder func(dst []int16, payload []byte) ([]int16, error)

// setReady and isReady mark an incoming call's media as able to answer
// (remote offer applied, tracks added). Used on the Manager's loop.
func (m *callMedia) setReady() { m.mu.Lock(); m.ready = true; m.mu.Unlock() }

func (m *callMedia) isReady() bool { m.mu.Lock(); defer m.mu.Unlock(); return m.ready }

// audioSummary says where the call's sound comes from and goes to, or
// what went wrong with the devices.
func (m *callMedia) audioSummary(note string) string {
	m.mu.Lock()
	src, snk := m.src, m.snk
	m.mu.Unlock()
	if note != "" {
		return note
	}
	if src == nil || snk == nil {
		return ""
	}
	return src.Name() + " → " + snk.Name()
}

// Codecs: Opus first when built with the tag opus (libopus), then G.711
// both ways; VP8 to receive video.
func newAPI(cfg mediaConfig) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	for _, c := range append(opusCodecs(),
		webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0},
		webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMA, ClockRate: 8000}, PayloadType: 8},
	) {
		if err := me.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, fmt.Errorf("register audio codec: %w", err)
		}
	}
	vp8 := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
		RTCPFeedback: []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}},
	}, PayloadType: 96}
	if err := me.RegisterCodec(vp8, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, fmt.Errorf("register video codec: %w", err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		return nil, fmt.Errorf("interceptors: %w", err)
	}
	se := webrtc.SettingEngine{}
	failed := cfg.iceFailed
	if failed <= 0 {
		failed = 15 * time.Second
	}
	// Disconnected after 3 s without a packet from the peer (audio flows
	// every 20 ms; when it does not, a keepalive goes out every second and
	// its answer counts), checked every second: the call panel says the
	// connection is lost within about 4 s.
	disconnected := iceDisconnectedTimeout(failed)
	se.SetICETimeouts(disconnected, failed, min(time.Second, disconnected/2))
	se.SetIncludeLoopbackCandidate(true)
	// pion waits 2 s before nominating a relay pair in case a better one
	// turns up; relay-only there is none, and otherwise a shorter wait
	// still lets a direct pair win.
	if cfg.forceRelay {
		se.SetRelayAcceptanceMinWait(0)
		se.SetSrflxAcceptanceMinWait(0)
	} else {
		se.SetRelayAcceptanceMinWait(500 * time.Millisecond)
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// newCallMedia makes the PeerConnection with our audio track (stream ID
// set, so the SDP carries a=msid, which Element requires).
func newCallMedia(cfg mediaConfig, callID string, outgoing, video bool, ev mediaEvents) (*callMedia, error) {
	api, err := newAPI(cfg)
	if err != nil {
		return nil, err
	}
	pcCfg := webrtc.Configuration{ICEServers: cfg.iceServers, BundlePolicy: webrtc.BundlePolicyMaxBundle}
	if cfg.forceRelay {
		pcCfg.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	pc, err := api.NewPeerConnection(pcCfg)
	if err != nil {
		return nil, fmt.Errorf("new peer connection: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &callMedia{
		callID: callID, outgoing: outgoing, video: video, pc: pc, ev: ev, logf: cfg.logf,
		input: cfg.input, output: cfg.output, ctx: ctx, cancel: cancel,
		streamID: "termatrix-" + randomString(12),
	}
	m.track, err = webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1},
		"audio-"+randomString(8), m.streamID)
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("audio track: %w", err)
	}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			ev.localCandidate(callID, Candidate{Candidate: ""})
			return
		}
		j := c.ToJSON()
		ev.localCandidate(callID, Candidate{Candidate: j.Candidate, SDPMid: j.SDPMid, SDPMLineIndex: j.SDPMLineIndex})
	})
	pc.OnICEConnectionStateChange(func(s webrtc.ICEConnectionState) { ev.iceState(callID, s) })
	pc.OnTrack(m.onTrack)
	return m, nil
}

// addLocalTracks adds our audio (and, for a video call we place, a
// receive-only video transceiver: we have no camera source).
func (m *callMedia) addLocalTracks() error {
	s, err := m.pc.AddTrack(m.track)
	if err != nil {
		return fmt.Errorf("add audio track: %w", err)
	}
	m.sender = s
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := s.Read(buf); err != nil {
				return
			}
		}
	}()
	if m.video && m.outgoing {
		if _, err := m.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
			webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			return fmt.Errorf("add video transceiver: %w", err)
		}
	}
	return nil
}

// metadata is our sdp_stream_metadata: its key is our msid stream ID.
func (m *callMedia) metadata() map[string]StreamMetadata {
	return map[string]StreamMetadata{m.streamID: {Purpose: "m.usermedia", AudioMuted: m.muted.Load(), VideoMuted: true}}
}

// gatherWait is how long an offer or answer waits for ICE gathering to
// finish, so the candidates ride in its SDP.
const gatherWait = 500 * time.Millisecond

func (m *callMedia) waitGathering(ctx context.Context) {
	done := webrtc.GatheringCompletePromise(m.pc)
	t := time.NewTimer(gatherWait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
	}
}

// makeOffer creates and applies the offer, waits for gathering, and
// returns the local description.
func (m *callMedia) makeOffer(ctx context.Context, restart bool) (SessionDescription, error) {
	offer, err := m.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: restart})
	if err != nil {
		return SessionDescription{}, fmt.Errorf("create offer: %w", err)
	}
	if err := m.pc.SetLocalDescription(offer); err != nil {
		return SessionDescription{}, fmt.Errorf("set local offer: %w", err)
	}
	// An ICE restart gathers anew: waiting lets the new candidates ride
	// in the negotiate too, rather than trickle after it.
	m.waitGathering(ctx)
	ld := m.pc.LocalDescription()
	return SessionDescription{Type: "offer", SDP: ld.SDP}, nil
}

// setRemote applies a remote offer or answer, then the candidates that
// waited for it.
func (m *callMedia) setRemote(desc SessionDescription) error {
	typ := webrtc.SDPTypeOffer
	if desc.Type == "answer" {
		typ = webrtc.SDPTypeAnswer
	}
	if err := m.chooseSendCodec(desc.SDP); err != nil {
		return err
	}
	if err := m.pc.SetRemoteDescription(webrtc.SessionDescription{Type: typ, SDP: desc.SDP}); err != nil {
		return fmt.Errorf("set remote %s: %w", desc.Type, err)
	}
	m.mu.Lock()
	m.remoteSet = true
	pending := m.pending
	m.pending = nil
	m.mu.Unlock()
	for _, c := range pending {
		m.addCandidate(c)
	}
	return nil
}

// chooseSendCodec picks, from the first remote description (before it is
// applied, which binds our track), the codec our track sends: Opus when
// this build has it and the peer's audio section lists it, else PCMU as
// created. Later descriptions (ICE restarts, hold) keep the choice.
func (m *callMedia) chooseSendCodec(remoteSDP string) error {
	if !opusBuilt || m.sendChosen {
		return nil
	}
	m.sendChosen = true
	if !sdpAudioHasOpus(remoteSDP) {
		return nil
	}
	track, err := webrtc.NewTrackLocalStaticSample(opusCapability(), m.track.ID(), m.streamID)
	if err != nil {
		return fmt.Errorf("opus track: %w", err)
	}
	if m.sender != nil {
		// Not sending yet (nothing is bound before a remote description),
		// so this only swaps the track the answer will bind.
		if err := m.sender.ReplaceTrack(track); err != nil {
			return fmt.Errorf("use opus track: %w", err)
		}
	}
	m.track = track
	return nil
}

// sdpAudioHasOpus reports whether the SDP's first audio section maps a
// payload type to opus/48000.
func sdpAudioHasOpus(sdp string) bool {
	inAudio := false
	for _, line := range strings.Split(sdp, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "m=") {
			if inAudio {
				return false
			}
			inAudio = strings.HasPrefix(line, "m=audio ")
			continue
		}
		if !inAudio || !strings.HasPrefix(line, "a=rtpmap:") {
			continue
		}
		if _, enc, ok := strings.Cut(line, " "); ok && strings.HasPrefix(strings.ToLower(enc), "opus/48000") {
			return true
		}
	}
	return false
}

// makeAnswer answers the applied remote offer.
func (m *callMedia) makeAnswer(ctx context.Context, wait bool) (SessionDescription, error) {
	ans, err := m.pc.CreateAnswer(nil)
	if err != nil {
		return SessionDescription{}, fmt.Errorf("create answer: %w", err)
	}
	if err := m.pc.SetLocalDescription(ans); err != nil {
		return SessionDescription{}, fmt.Errorf("set local answer: %w", err)
	}
	if wait {
		m.waitGathering(ctx)
	}
	sdp := m.pc.LocalDescription().SDP
	if rd := m.pc.RemoteDescription(); rd != nil {
		sdp = conformDirections(rd.SDP, sdp)
	}
	return SessionDescription{Type: "answer", SDP: sdp}, nil
}

// negotiate handles a remote m.call.negotiate: an offer is answered (or
// ignored while our own offer is pending: we are the impolite caller), an
// answer is applied.
func (m *callMedia) negotiate(ctx context.Context, desc SessionDescription) (*SessionDescription, error) {
	if desc.Type == "answer" {
		if m.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
			return nil, nil
		}
		return nil, m.setRemote(desc)
	}
	if m.pc.SignalingState() == webrtc.SignalingStateHaveLocalOffer {
		// Only the caller makes offers mid-call here (ICE restarts), so
		// this is the caller meeting the polite callee's offer: ours
		// stands and the callee rolls back (pion cannot roll back a local
		// offer, which is why our callee never makes one).
		return nil, nil
	}
	if err := m.setRemote(desc); err != nil {
		return nil, err
	}
	ans, err := m.makeAnswer(ctx, true)
	if err != nil {
		return nil, err
	}
	return &ans, nil
}

// addCandidates adds remote candidates, or keeps them until the remote
// description is set.
func (m *callMedia) addCandidates(cands []Candidate) {
	for _, c := range cands {
		init := webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex, UsernameFragment: c.UsernameFragment}
		m.mu.Lock()
		if !m.remoteSet {
			m.pending = append(m.pending, init)
			m.mu.Unlock()
			continue
		}
		m.mu.Unlock()
		m.addCandidate(init)
	}
}

func (m *callMedia) addCandidate(c webrtc.ICECandidateInit) {
	if c.SDPMid == nil && c.SDPMLineIndex == nil {
		zero := uint16(0)
		c.SDPMLineIndex = &zero
	}
	if err := m.pc.AddICECandidate(c); err != nil {
		m.logf("voip: call %s: remote candidate %q: %v", m.callID, c.Candidate, err)
	}
}

// connected records the path and codec and starts the audio pumps.
func (m *callMedia) connected() {
	path := ""
	if m.sender != nil {
		if pair, err := m.sender.Transport().ICETransport().GetSelectedCandidatePair(); err == nil && pair != nil {
			path = "direct"
			if pair.Local.Typ == webrtc.ICECandidateTypeRelay || pair.Remote.Typ == webrtc.ICECandidateTypeRelay {
				path = "relay"
			}
		}
	}
	codec := codecName(m.track.Codec()) // what we send; what we receive wins
	m.mu.Lock()
	m.path = path
	if m.codec == "" {
		m.codec = codec
	}
	start := !m.sending && !m.closed
	m.sending = true
	m.mu.Unlock()
	if start {
		go m.sendAudio()
	}
}

func codecName(c webrtc.RTPCodecCapability) string {
	name := strings.TrimPrefix(strings.TrimPrefix(c.MimeType, "audio/"), "video/")
	return fmt.Sprintf("%s/%d", name, c.ClockRate)
}

// openAudio opens the configured source and sink; a failure is noted for
// the call panel and the call goes on with silence.
func (m *callMedia) openAudio() {
	var notes []string
	src, err := audio.OpenSource(m.input)
	if err != nil {
		m.logf("voip: %v", err)
		notes = append(notes, err.Error()+"; sending silence")
		src = audio.Silence{}
	}
	snk, err := audio.OpenSink(m.output)
	if err != nil {
		m.logf("voip: %v", err)
		notes = append(notes, err.Error()+"; not playing")
		snk = audio.Discard{}
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		src.Close()
		snk.Close()
		return
	}
	m.src, m.snk = src, snk
	m.audioNote = strings.Join(notes, "; ")
	m.mu.Unlock()
}

// sendAudio reads the source every 20 ms and sends it in the track's
// codec: G.711 µ-law, or Opus when chooseSendCodec picked it.
func (m *callMedia) sendAudio() {
	m.mu.Lock()
	src := m.src
	m.mu.Unlock()
	encode := frameEncoder(func(dst []byte, pcm []int16) ([]byte, error) { return audio.EncodeULaw(dst, pcm), nil })
	if strings.EqualFold(m.track.Codec().MimeType, webrtc.MimeTypeOpus) {
		enc, err := newOpusEncoder()
		if err != nil {
			m.logf("voip: call %s: %v", m.callID, err)
			return
		}
		encode = enc
	}
	var payload []byte
	audio.EachFrame(m.ctx, src, func(pcm []int16) bool {
		if m.muted.Load() {
			clear(pcm)
		}
		// The track is PCMU (or Opus): it binds to that codec's payload
		// type whatever order the peer listed the codecs in. PCMA is for
		// receiving.
		var err error
		if payload, err = encode(payload[:0], pcm); err != nil {
			m.logf("voip: call %s: %v", m.callID, err)
			return true
		}
		if err := m.track.WriteSample(media.Sample{Data: payload, Duration: audio.FrameInterval}); err != nil && !errors.Is(err, context.Canceled) {
			m.logf("voip: call %s: write audio: %v", m.callID, err)
			return false
		}
		return true
	})
}

// onTrack plays remote audio, decoding each packet by its payload type:
// 0 and 8 are G.711, Opus's (dynamic) type comes from the negotiation.
func (m *callMedia) onTrack(tr *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	if tr.Kind() == webrtc.RTPCodecTypeVideo {
		m.receiveVideo(tr)
		return
	}
	m.mu.Lock()
	m.codec = codecName(tr.Codec().RTPCodecCapability)
	m.mu.Unlock()
	m.ev.infoChanged(m.callID)
	opusPT := opusPayloadTypes(tr, recv)
	var opusDec frameDecoder
	var pcm []int16
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		switch pkt.PayloadType {
		case 0:
			pcm = audio.DecodeULaw(pcm[:0], pkt.Payload)
		case 8:
			pcm = audio.DecodeALaw(pcm[:0], pkt.Payload)
		default:
			if !opusPT[pkt.PayloadType] {
				continue
			}
			if opusDec == nil {
				if opusDec, err = newOpusDecoder(); err != nil {
					m.logf("voip: call %s: %v", m.callID, err)
					return
				}
			}
			if pcm, err = opusDec(pcm[:0], pkt.Payload); err != nil {
				continue
			}
		}
		m.mu.Lock()
		snk := m.snk
		m.mu.Unlock()
		if snk != nil {
			if err := snk.WriteFrame(pcm); err != nil {
				m.logf("voip: call %s: play: %v", m.callID, err)
			}
		}
	}
}

// opusPayloadTypes are the payload types negotiated as Opus on a remote
// audio track (none in a build without Opus: it is never registered).
func opusPayloadTypes(tr *webrtc.TrackRemote, recv *webrtc.RTPReceiver) map[uint8]bool {
	pts := map[uint8]bool{}
	codecs := []webrtc.RTPCodecParameters{tr.Codec()}
	if recv != nil {
		codecs = append(codecs, recv.GetParameters().Codecs...)
	}
	for _, c := range codecs {
		if strings.EqualFold(c.MimeType, webrtc.MimeTypeOpus) {
			pts[uint8(c.PayloadType)] = true
		}
	}
	return pts
}

// receiveVideo reads remote VP8 and reports its resolution (from key
// frames) and frame rate; drawing it is not done here.
func (m *callMedia) receiveVideo(tr *webrtc.TrackRemote) {
	var w, h, frames int
	var lastTS uint32
	windowStart := time.Now()
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		if pw, ph, ok := vp8KeyFrameSize(pkt); ok {
			w, h = pw, ph
		}
		if pkt.Timestamp != lastTS {
			frames++
			lastTS = pkt.Timestamp
		}
		if el := time.Since(windowStart); el >= time.Second {
			fps := float64(frames) / el.Seconds()
			frames, windowStart = 0, time.Now()
			desc := fmt.Sprintf("%s, %.0f fps", codecName(tr.Codec().RTPCodecCapability), fps)
			if w > 0 {
				desc = fmt.Sprintf("%dx%d @ %.0f fps", w, h, fps)
			}
			m.mu.Lock()
			changed := m.remoteVideo != desc
			m.remoteVideo = desc
			m.mu.Unlock()
			if changed {
				m.ev.infoChanged(m.callID)
			}
		}
	}
}

// vp8KeyFrameSize reads the size from the first packet of a VP8 key frame
// (RFC 7741 payload descriptor, then the RFC 6386 frame header).
func vp8KeyFrameSize(pkt *rtp.Packet) (int, int, bool) {
	p := pkt.Payload
	if len(p) < 1 {
		return 0, 0, false
	}
	x, s, pid := p[0]&0x80 != 0, p[0]&0x10 != 0, p[0]&0x07
	if !s || pid != 0 {
		return 0, 0, false
	}
	i := 1
	if x {
		if len(p) < 2 {
			return 0, 0, false
		}
		ext := p[1]
		i = 2
		if ext&0x80 != 0 { // PictureID
			if len(p) <= i {
				return 0, 0, false
			}
			if p[i]&0x80 != 0 {
				i += 2
			} else {
				i++
			}
		}
		if ext&0x40 != 0 { // TL0PICIDX
			i++
		}
		if ext&0x30 != 0 { // TID/KEYIDX
			i++
		}
	}
	if len(p) < i+10 {
		return 0, 0, false
	}
	f := p[i:]
	if f[0]&0x01 != 0 || f[3] != 0x9d || f[4] != 0x01 || f[5] != 0x2a {
		return 0, 0, false // not a key frame
	}
	w := int(f[6]) | int(f[7]&0x3f)<<8
	h := int(f[8]) | int(f[9]&0x3f)<<8
	return w, h, w > 0 && h > 0
}

// iceRestart makes an ICE-restart offer (once per call).
func (m *callMedia) iceRestart(ctx context.Context, servers []webrtc.ICEServer, forceRelay bool) (*SessionDescription, error) {
	m.mu.Lock()
	if m.restarted {
		m.mu.Unlock()
		return nil, nil
	}
	m.restarted = true
	m.mu.Unlock()
	if servers != nil {
		cfg := m.pc.GetConfiguration()
		cfg.ICEServers = servers
		if err := m.pc.SetConfiguration(cfg); err != nil {
			m.logf("voip: call %s: new TURN credentials: %v", m.callID, err)
		}
	}
	d, err := m.makeOffer(ctx, true)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// info fills the media part of a snapshot.
func (m *callMedia) info() (codec, path, remoteVideo, audioNote string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.codec, m.path, m.remoteVideo, m.audioNote
}

// close ends the call's media.
func (m *callMedia) close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	src, snk := m.src, m.snk
	m.mu.Unlock()
	m.cancel()
	if err := m.pc.Close(); err != nil {
		m.logf("voip: call %s: close: %v", m.callID, err)
	}
	if src != nil {
		src.Close()
	}
	if snk != nil {
		snk.Close()
	}
}
