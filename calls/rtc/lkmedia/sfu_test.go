package lkmedia

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"

	"github.com/termatrix/termatrix/calls/rtc"
	"github.com/termatrix/termatrix/internal/teststack"
)

// stack is the package's test stack, with the LiveKit SFU; no Matrix is
// needed at this layer, tokens are minted with the SFU's key and secret.
var stack teststack.Shared

func TestMain(m *testing.M) { os.Exit(stack.Run(m, teststack.Options{LiveKit: true})) }

// testSFU is the stack's LiveKit server.
type testSFU struct {
	URL, Key, Secret string
}

func startSFU(t *testing.T) testSFU {
	t.Helper()
	st := stack.Get(t)
	return testSFU{URL: st.LiveKitURL, Key: st.LiveKitKey, Secret: st.LiveKitSecret}
}

// token mints a join token for identity in room.
func (s testSFU) token(t *testing.T, room, identity string) string {
	t.Helper()
	at := auth.NewAccessToken(s.Key, s.Secret)
	at.SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: room, CanPublish: ptr(true), CanSubscribe: ptr(true)}).
		SetIdentity(identity).SetValidFor(time.Hour)
	jwt, err := at.ToJWT()
	if err != nil {
		t.Fatal(err)
	}
	return jwt
}

func ptr[T any](v T) *T { return &v }

// waitFor polls cond every 50 ms for up to d.
func waitFor(d time.Duration, cond func() bool) bool {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

// participant finds identity in m's list.
func participant(m rtc.Media, identity string) (rtc.Participant, bool) {
	for _, p := range m.Participants() {
		if p.Identity == identity {
			return p, true
		}
	}
	return rtc.Participant{}, false
}

// dialT dials and closes the connection at the end of the test.
func dialT(t *testing.T, d rtc.MediaDialer, cfg rtc.MediaConfig) rtc.Media {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := d.Dial(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// settledGoroutines waits up to 10 s for the goroutine count to fall to
// at most want, and returns it.
func settledGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for end := time.Now().Add(10 * time.Second); n > want && time.Now().Before(end); n = runtime.NumGoroutine() {
		time.Sleep(100 * time.Millisecond)
	}
	return n
}
