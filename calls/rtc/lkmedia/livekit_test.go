package lkmedia

import (
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/termatrix/termatrix/calls/audio"
	"github.com/termatrix/termatrix/calls/rtc"
)

// TestLiveKitParticipantsAndVideo: on a real livekit-server, B lists A
// and a camera-only participant with its video size (not subscribed);
// without Opus the connection still works and says why there is no
// audio. Needs no libopus.
func TestLiveKitParticipantsAndVideo(t *testing.T) {
	sfu := startSFU(t)
	before := runtime.NumGoroutine()
	const room = "participants"
	aID, bID, camID := "@alice:test:ADEVICE", "@bob:test:BDEVICE", "camera-bot"
	da, db := NewDialer(audio.Discard{}), NewDialer(audio.Discard{})
	b := dialT(t, db, rtc.MediaConfig{URL: sfu.URL, Token: sfu.token(t, room, bID), Encrypted: true})
	a := dialT(t, da, rtc.MediaConfig{URL: sfu.URL, Token: sfu.token(t, room, aID), Encrypted: true, Publish: true, Source: audio.NewTone(440, 0.5)})
	a.SetLocalKey(0, []byte("0123456789abcdef"))
	b.SetRemoteKey(aID, 0, []byte("0123456789abcdef"))

	cam, err := lksdk.ConnectToRoomWithToken(sfu.URL, sfu.token(t, room, camID), lksdk.NewRoomCallback(), lksdk.WithAutoSubscribe(false))
	if err != nil {
		t.Fatal(err)
	}
	track, err := lksdk.NewLocalSampleTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cam.LocalParticipant.PublishTrack(track, &lksdk.TrackPublicationOptions{
		Name: "camera", Source: livekit.TrackSource_CAMERA, VideoWidth: 1280, VideoHeight: 720}); err != nil {
		t.Fatal(err)
	}

	// The SFU announces a track once media flows: send a tiny VP8 key
	// frame header (no picture) ten times a second.
	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		frame := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02}
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			_ = track.WriteSample(media.Sample{Data: frame, Duration: 100 * time.Millisecond}, nil)
		}
	}()
	ok := waitFor(15*time.Second, func() bool {
		c, found := participant(b, camID)
		_, foundA := participant(b, aID)
		return found && foundA && slices.Equal(c.Video, []string{"1280x720"})
	})
	ps := b.Participants()
	t.Logf("B sees %+v; problem %q", ps, b.AudioProblem())
	if !ok {
		t.Fatalf("B does not list A and the camera: %+v", ps)
	}
	if c, _ := participant(b, camID); c.Audio || !c.Muted {
		t.Errorf("camera-only participant: %+v", c)
	}
	if audio.OpusAvailable {
		if b.AudioProblem() != "" {
			t.Errorf("problem %q with Opus", b.AudioProblem())
		}
	} else {
		if !strings.Contains(b.AudioProblem(), "-tags opus") || !strings.Contains(a.AudioProblem(), "no Opus") {
			t.Errorf("without Opus the problems are %q and %q", a.AudioProblem(), b.AudioProblem())
		}
		if p, _ := participant(b, aID); !p.Muted || p.Audio {
			t.Errorf("A publishes nothing without Opus, B sees %+v", p)
		}
	}
	close(stop)
	<-sent
	cam.Disconnect()
	for _, c := range []interface{ Close() error }{a, b, da, db} {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	}
	if n := settledGoroutines(before); n > before {
		t.Errorf("%d goroutines before, %d after Close", before, n)
	}
}
