package calls

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
)

// fakeMatrix is a small in-memory stand-in for the core, for the pure
// routing logic only; the integration tests use the real client.
type fakeMatrix struct {
	mu        sync.Mutex
	me        id.UserID
	members   map[id.RoomID][]matrix.Member
	state     map[id.RoomID]map[string]map[string]*event.Event
	canSend   bool
	wellKnown map[string]json.RawMessage
	sent      []sentState
	n         int
	summary   int // the sync summary's joined member count
}

type sentState struct {
	RoomID   id.RoomID
	Type     string
	StateKey string
	Content  []byte
}

func newFake(me id.UserID) *fakeMatrix {
	return &fakeMatrix{me: me, members: map[id.RoomID][]matrix.Member{}, state: map[id.RoomID]map[string]map[string]*event.Event{}, canSend: true}
}

func (f *fakeMatrix) join(roomID id.RoomID, users ...id.UserID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range users {
		f.members[roomID] = append(f.members[roomID], matrix.Member{UserID: u, Membership: event.MembershipJoin})
	}
}

func (f *fakeMatrix) setState(roomID id.RoomID, t, key string, sender id.UserID, content string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.state[roomID] == nil {
		f.state[roomID] = map[string]map[string]*event.Event{}
	}
	if f.state[roomID][t] == nil {
		f.state[roomID][t] = map[string]*event.Event{}
	}
	k := key
	ev := &event.Event{ID: id.EventID(fmt.Sprintf("$e%d", f.n)), Type: event.Type{Type: t, Class: event.StateEventType}, StateKey: &k,
		Sender: sender, Timestamp: int64(f.n), Content: event.Content{VeryRaw: json.RawMessage(content)}}
	f.state[roomID][t][key] = ev
}

func (f *fakeMatrix) UserID() id.UserID       { return f.me }
func (f *fakeMatrix) DeviceID() id.DeviceID   { return "DEV" }
func (f *fakeMatrix) HomeserverURL() *url.URL { u, _ := url.Parse("https://hs.example.org"); return u }
func (f *fakeMatrix) Rooms() []matrix.Room    { return nil }
func (f *fakeMatrix) Room(roomID id.RoomID) (matrix.Room, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return matrix.Room{ID: roomID, Name: "Team room", JoinedMembers: f.summary}, true
}
func (f *fakeMatrix) Members(roomID id.RoomID) []matrix.Member {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]matrix.Member(nil), f.members[roomID]...)
}
func (f *fakeMatrix) DisplayName(roomID id.RoomID, u id.UserID) string { return string(u) }
func (f *fakeMatrix) AvatarURL(context.Context) id.ContentURIString {
	return "mxc://example.org/avatar"
}
func (f *fakeMatrix) StateEvent(roomID id.RoomID, t event.Type, key string) *event.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state[roomID][t.Type][key]
}
func (f *fakeMatrix) StateEvents(roomID id.RoomID, t event.Type) map[string]*event.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]*event.Event{}
	for k, v := range f.state[roomID][t.Type] {
		out[k] = v
	}
	return out
}
func (f *fakeMatrix) CanSendState(id.RoomID, event.Type) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.canSend
}
func (f *fakeMatrix) SendState(_ context.Context, roomID id.RoomID, t event.Type, key string, content any) (id.EventID, error) {
	b, err := json.Marshal(content)
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	f.sent = append(f.sent, sentState{roomID, t.Type, key, b})
	f.mu.Unlock()
	f.setState(roomID, t.Type, key, f.me, string(b))
	return "$sent", nil
}
func (f *fakeMatrix) ClientWellKnown(context.Context) (map[string]json.RawMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wellKnown, nil
}
func (f *fakeMatrix) SubscribeOnly(func(matrix.Update) bool) (<-chan matrix.Update, func()) {
	return make(chan matrix.Update), func() {}
}

func (f *fakeMatrix) sentStates() []sentState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentState(nil), f.sent...)
}

// recOpener records the URLs it is asked to open.
type recOpener struct {
	urls chan string
	err  error
}

func newRecOpener(err error) *recOpener { return &recOpener{urls: make(chan string, 16), err: err} }

func (r *recOpener) Open(_ context.Context, u string) error {
	r.urls <- u
	return r.err
}

// fakeOne records 1:1 requests.
type fakeOne struct {
	mu    sync.Mutex
	calls []string
}

func (o *fakeOne) record(s string) error {
	o.mu.Lock()
	o.calls = append(o.calls, s)
	o.mu.Unlock()
	return nil
}
func (o *fakeOne) PlaceCall(r id.RoomID, p id.UserID, video bool) error {
	return o.record(fmt.Sprintf("place %s %s %v", r, p, video))
}
func (o *fakeOne) Answer(r id.RoomID) error                { return o.record("answer " + string(r)) }
func (o *fakeOne) Reject(r id.RoomID) error                { return o.record("reject " + string(r)) }
func (o *fakeOne) Hangup(r id.RoomID) error                { return o.record("hangup " + string(r)) }
func (o *fakeOne) ToggleMute() error                       { return o.record("mute") }
func (o *fakeOne) Active() (CallInfo, bool)                { return CallInfo{}, false }
func (o *fakeOne) Subscribe() (<-chan CallChanged, func()) { return make(chan CallChanged), func() {} }
func (o *fakeOne) got() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.calls...)
}

// nextEvent waits for the next Event matching ok.
func nextEvent[T Event](t testing.TB, ch <-chan Event, ok func(T) bool) T {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case e := <-ch:
			if v, is := e.(T); is && (ok == nil || ok(v)) {
				return v
			}
		case <-timeout:
			var zero T
			t.Fatalf("timed out waiting for %T", zero)
			return zero
		}
	}
}
