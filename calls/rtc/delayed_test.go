package rtc

import (
	"context"
	"fmt"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/matrix"
)

// delayedServer is a homeserver's delayed-event behaviour, for the pure
// fallback logic (integration tests use the real Dendrite).
type delayedServer struct {
	schedErr, updateErr error
	calls               []string
}

func (f *delayedServer) SendStateDelayed(_ context.Context, _ id.RoomID, _ event.Type, key string, _ any, d time.Duration) (string, error) {
	f.calls = append(f.calls, fmt.Sprintf("schedule %s %v", key, d))
	if f.schedErr != nil {
		return "", f.schedErr
	}
	return "D1", nil
}

func (f *delayedServer) UpdateDelayed(_ context.Context, delayID string, a matrix.DelayedAction) error {
	f.calls = append(f.calls, fmt.Sprintf("%s %s", a, delayID))
	return f.updateErr
}

func (f *delayedServer) SendState(_ context.Context, _ id.RoomID, _ event.Type, key string, _ any) (id.EventID, error) {
	f.calls = append(f.calls, "state {} "+key)
	return "$leave", nil
}

func TestDelayedLeaveFallbacks(t *testing.T) {
	now := time.Now()
	ctx := context.Background()
	run := func(srv *delayedServer) *delayedLeave {
		d := &delayedLeave{api: srv, roomID: "!r", stateKey: "K", delay: 10 * time.Second}
		if err := d.schedule(ctx, now); err != nil {
			t.Fatal(err)
		}
		return d
	}
	// Supported: restarted every 5 s, sent at once on leave.
	srv := &delayedServer{}
	d := run(srv)
	if lost, err := d.restartDue(ctx, now.Add(2*time.Second), 5*time.Second); lost || err != nil {
		t.Fatal(lost, err)
	}
	_, _ = d.restartDue(ctx, now.Add(6*time.Second), 5*time.Second)
	_ = d.leave(ctx)
	if want := "[schedule K 10s restart D1 send D1]"; fmt.Sprint(srv.calls) != want {
		t.Fatalf("calls %v, want %s", srv.calls, want)
	}
	// Unsupported (Dendrite: not advertised, or applied at once): nothing to
	// restart, the leave is {} sent by us.
	srv = &delayedServer{schedErr: fmt.Errorf("applied at once: %w", matrix.ErrDelayedUnsupported)}
	d = run(srv)
	_, _ = d.restartDue(ctx, now.Add(time.Minute), 5*time.Second)
	_ = d.leave(ctx)
	if want := "[schedule K 10s state {} K]"; fmt.Sprint(srv.calls) != want {
		t.Fatalf("calls %v, want %s", srv.calls, want)
	}
	// The restart endpoint unknown: no more restarts; leave by hand.
	srv = &delayedServer{}
	d = run(srv)
	srv.updateErr = fmt.Errorf("restart: %w", matrix.ErrDelayedUnsupported)
	_, _ = d.restartDue(ctx, now.Add(6*time.Second), 5*time.Second)
	_, _ = d.restartDue(ctx, now.Add(12*time.Second), 5*time.Second)
	_ = d.leave(ctx)
	if want := "[schedule K 10s restart D1 state {} K]"; fmt.Sprint(srv.calls) != want {
		t.Fatalf("calls %v, want %s", srv.calls, want)
	}
	// The delayed leave fired (we were away too long): lost, so the
	// session schedules again and re-sends its membership.
	srv = &delayedServer{}
	d = run(srv)
	srv.updateErr = mautrix.HTTPError{RespError: &mautrix.RespError{ErrCode: "M_NOT_FOUND"}}
	if lost, _ := d.restartDue(ctx, now.Add(6*time.Second), 5*time.Second); !lost || d.id != "" {
		t.Fatal("a fired delayed leave is not reported lost")
	}
	// Sending it now failing: {} by hand.
	srv = &delayedServer{}
	d = run(srv)
	srv.updateErr = fmt.Errorf("boom")
	_ = d.leave(ctx)
	if want := "[schedule K 10s send D1 state {} K]"; fmt.Sprint(srv.calls) != want {
		t.Fatalf("calls %v, want %s", srv.calls, want)
	}
}

func TestJWTRoomIsReadFromTheToken(t *testing.T) {
	// header.payload.signature with {"video":{"room":"abc"}}
	tok := "eyJhbGciOiJIUzI1NiJ9.eyJ2aWRlbyI6eyJyb29tIjoiYWJjIn19.sig"
	if room, err := jwtRoom(tok); err != nil || room != "abc" {
		t.Fatalf("%q %v", room, err)
	}
	for _, bad := range []string{"", "a.b", "a.!!!.c", "a.e30.c"} {
		if _, err := jwtRoom(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
