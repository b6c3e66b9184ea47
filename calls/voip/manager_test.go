package voip

import (
	"context"
	"errors"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/config"
	"github.com/termatrix/termatrix/matrix"
)

// turnClient is a Client whose only real part is TurnServer.
type turnClient struct {
	resp  *mautrix.RespTurnServer
	err   error
	calls int
}

func (c *turnClient) UserID() id.UserID                       { return "@me:test" }
func (c *turnClient) DeviceID() id.DeviceID                   { return "DEV" }
func (c *turnClient) DisplayName(id.RoomID, id.UserID) string { return "" }
func (c *turnClient) SubscribeOnly(func(matrix.Update) bool) (<-chan matrix.Update, func()) {
	return nil, func() {}
}
func (c *turnClient) SendEvent(context.Context, id.RoomID, event.Type, any) (id.EventID, error) {
	return "", nil
}
func (c *turnClient) TurnServer(context.Context) (*mautrix.RespTurnServer, error) {
	c.calls++
	return c.resp, c.err
}

func TestICEServers(t *testing.T) {
	cli := &turnClient{resp: &mautrix.RespTurnServer{Username: "1:@me:test", Password: "pw", TTL: 3600,
		URIs: []string{"turn:127.0.0.1:3478?transport=udp"}}}
	m := New(Options{Client: cli, Calls: config.Calls{ICEServers: []config.ICEServer{
		{URLs: []string{"stun:127.0.0.1:3479"}},
		{URLs: []string{"turn:127.0.0.1:9999"}}, // no credentials: skipped
		{URLs: []string{"turn:127.0.0.1:9998"}, Username: "u", Credential: "c"},
	}}})
	ctx := context.Background()
	got := m.iceServers(ctx)
	if len(got) != 3 || got[0].Username != "1:@me:test" || got[0].URLs[0] != "turn:127.0.0.1:3478?transport=udp" ||
		got[1].URLs[0] != "stun:127.0.0.1:3479" || got[2].URLs[0] != "turn:127.0.0.1:9998" {
		t.Fatalf("servers %+v", got)
	}
	// Fetched again for every call.
	m.iceServers(ctx)
	if cli.calls != 2 {
		t.Fatalf("TurnServer called %d times", cli.calls)
	}
	// A failed fetch falls back on credentials that are still valid...
	cli.resp, cli.err = nil, errors.New("rate limited")
	if got := m.iceServers(ctx); len(got) != 3 {
		t.Fatalf("cached servers not used: %+v", got)
	}
	// ...but not on expired ones.
	m.turnExpires = time.Now().Add(-time.Second)
	if got := m.iceServers(ctx); len(got) != 2 {
		t.Fatalf("expired servers used: %+v", got)
	}
	// {} means no TURN.
	cli.resp, cli.err = &mautrix.RespTurnServer{}, nil
	if got := m.iceServers(ctx); len(got) != 2 || got[0].URLs[0] != "stun:127.0.0.1:3479" {
		t.Fatalf("{} should give no TURN: %+v", got)
	}
}

func TestTURNRefreshedBeforeExpiry(t *testing.T) {
	cli := &turnClient{resp: &mautrix.RespTurnServer{Username: "u", Password: "p", TTL: 3600, URIs: []string{"turn:127.0.0.1:3478"}}}
	m := New(Options{Client: cli})
	m.ctx = context.Background()
	m.iceServers(m.ctx)
	if _, _, err := m.machine.Place(time.Now(), "!r:test", "@peer:test", false); err != nil {
		t.Fatal(err)
	}
	m.refreshTURNIfDue() // valid for an hour: nothing to do
	time.Sleep(20 * time.Millisecond)
	if cli.calls != 1 {
		t.Fatalf("refreshed too early: %d fetches", cli.calls)
	}
	m.turnMu.Lock()
	m.turnExpires = time.Now().Add(30 * time.Second)
	m.turnMu.Unlock()
	m.refreshTURNIfDue()
	deadline := time.Now().Add(2 * time.Second)
	for {
		m.turnMu.Lock()
		fresh := time.Until(m.turnExpires) > 30*time.Minute
		m.turnMu.Unlock()
		if fresh {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("credentials not refreshed before expiry")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
