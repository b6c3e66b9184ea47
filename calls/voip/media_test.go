package voip

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// loopEvents wires two callMedia together in one process: local
// candidates of one go to the other, ICE states are recorded.
type loopEvents struct {
	mu     sync.Mutex
	peers  map[string]*callMedia
	states map[string][]webrtc.ICEConnectionState
}

func (l *loopEvents) localCandidate(callID string, c Candidate) {
	l.mu.Lock()
	other := l.peers[map[string]string{"A": "B", "B": "A"}[callID]]
	l.mu.Unlock()
	if other != nil && c.Candidate != "" {
		other.addCandidates([]Candidate{c})
	}
}

func (l *loopEvents) iceState(callID string, s webrtc.ICEConnectionState) {
	l.mu.Lock()
	l.states[callID] = append(l.states[callID], s)
	l.mu.Unlock()
}

func (l *loopEvents) infoChanged(string) {}

func waitICE(t *testing.T, m *callMedia, want webrtc.ICEConnectionState) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for m.pc.ICEConnectionState() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: ICE %s, want %s", m.callID, m.pc.ICEConnectionState(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func iceUfrag(sdp string) string {
	for _, l := range strings.Split(sdp, "\r\n") {
		if v, ok := strings.CutPrefix(l, "a=ice-ufrag:"); ok {
			return v
		}
	}
	return ""
}

// The media answers m.call.negotiate: an ICE-restart offer from the caller
// is answered by the callee and the call reconnects with new ICE
// credentials; a colliding offer does not replace the caller's own.
func TestMediaNegotiateAndICERestart(t *testing.T) {
	ctx := context.Background()
	ev := &loopEvents{peers: map[string]*callMedia{}, states: map[string][]webrtc.ICEConnectionState{}}
	cfg := mediaConfig{input: "tone:440", output: "none", logf: t.Logf}
	a, err := newCallMedia(cfg, "A", true, true, ev)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	b, err := newCallMedia(cfg, "B", false, false, ev)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	ev.mu.Lock()
	ev.peers["A"], ev.peers["B"] = a, b
	ev.mu.Unlock()

	if err := a.addLocalTracks(); err != nil {
		t.Fatal(err)
	}
	offer, err := a.makeOffer(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(offer.SDP, "a=msid:"+a.streamID+" ") {
		t.Fatalf("offer has no msid with our stream ID:\n%s", offer.SDP)
	}
	if !strings.Contains(offer.SDP, "m=video") || !strings.Contains(offer.SDP, "a=recvonly") {
		t.Fatalf("a video call's offer needs a recvonly video section:\n%s", offer.SDP)
	}
	if strings.Contains(offer.SDP, "opus/48000") != opusBuilt || !strings.Contains(offer.SDP, "PCMU/8000") || !strings.Contains(offer.SDP, "PCMA/8000") {
		t.Fatalf("audio codecs should be PCMU and PCMA, and Opus only when built with the tag opus (%v):\n%s", opusBuilt, offer.SDP)
	}
	if err := b.setRemote(offer); err != nil {
		t.Fatal(err)
	}
	if err := b.addLocalTracks(); err != nil {
		t.Fatal(err)
	}
	ans, err := b.makeAnswer(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.setRemote(ans); err != nil {
		t.Fatal(err)
	}
	waitICE(t, a, webrtc.ICEConnectionStateConnected)
	waitICE(t, b, webrtc.ICEConnectionStateConnected)
	a.connected()
	if a.path != "direct" {
		t.Fatalf("path %q", a.path)
	}

	before := iceUfrag(b.pc.RemoteDescription().SDP)
	restart, err := a.iceRestart(ctx, nil, false)
	if err != nil || restart == nil {
		t.Fatalf("restart offer: %v", err)
	}
	if again, _ := a.iceRestart(ctx, nil, false); again != nil {
		t.Fatal("ICE restarts only once")
	}
	reply, err := b.negotiate(ctx, *restart)
	if err != nil || reply == nil || reply.Type != "answer" {
		t.Fatalf("negotiate offer not answered: %v %+v", err, reply)
	}
	if _, err := a.negotiate(ctx, *reply); err != nil {
		t.Fatal(err)
	}
	if after := iceUfrag(b.pc.RemoteDescription().SDP); after == before || after == "" {
		t.Fatalf("ICE credentials did not change: %q → %q", before, after)
	}
	if a.pc.SignalingState() != webrtc.SignalingStateStable {
		t.Fatalf("caller not stable: %s", a.pc.SignalingState())
	}
	waitICE(t, a, webrtc.ICEConnectionStateConnected)

	// Glare inside a call: the caller, with its own offer pending, keeps
	// it and ignores the peer's.
	aOffer, err := a.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.pc.SetLocalDescription(aOffer); err != nil {
		t.Fatal(err)
	}
	if r, err := a.negotiate(ctx, SessionDescription{"offer", offer.SDP}); err != nil || r != nil {
		t.Fatalf("the impolite caller should ignore a colliding offer: %v %v", r, err)
	}
	if a.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
		t.Fatalf("caller's offer should stand: %s", a.pc.SignalingState())
	}
}

func TestVP8KeyFrameSize(t *testing.T) {
	// Descriptor with X, I (15-bit picture ID), then a 640x480 key frame header.
	payload := []byte{0x90, 0x80, 0x80, 0x01, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}
	pkt := &rtp.Packet{Payload: payload}
	w, h, ok := vp8KeyFrameSize(pkt)
	if !ok || w != 640 || h != 480 {
		t.Fatalf("got %dx%d %v", w, h, ok)
	}
	pkt.Payload = []byte{0x10, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if _, _, ok := vp8KeyFrameSize(pkt); ok {
		t.Fatal("an inter frame has no size")
	}
	pkt.Payload = []byte{0x90}
	if _, _, ok := vp8KeyFrameSize(pkt); ok {
		t.Fatal("a short packet has no size")
	}
}
