package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/termatrix/termatrix/app"
	"github.com/termatrix/termatrix/internal/synthhs"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/ui"
	"github.com/termatrix/termatrix/ui/uitest"
)

// BenchmarkWarmStart measures a start from the store of an account of
// 1,000 rooms × 100 events (internal/synthhs, stored once by a cold
// start): resuming the session (opening the store, loading the rooms) and
// building the UI until its first frame is shown, which must hold the
// room list.
func BenchmarkWarmStart(b *testing.B) {
	srv, err := synthhs.Start(synthhs.DefaultShape, time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	cfg := testConfig(b)
	ss := sessions(b, cfg)
	c, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	acct, err := ss.Login(c, matrix.LoginParams{Homeserver: srv.URL, User: synthhs.UserID, Password: synthhs.Password})
	if err != nil {
		b.Fatal(err)
	}
	cold := newFirstFrameScreen(b)
	u, err := ui.New(ui.Options{Config: cfg, Client: acct.Client, Calls: acct.Calls, Screen: cold})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- u.Run() }()
	uitest.WaitFor(b, cold, " synced", 10*time.Minute)
	u.Stop()
	<-done
	if err := ss.Close(); err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ss2 := &app.Sessions{Profile: ss.Profile, Config: cfg}
		acct, err := ss2.Resume(c)
		if err != nil {
			b.Fatal(err)
		}
		screen := newFirstFrameScreen(b)
		u, err := ui.New(ui.Options{Config: cfg, Client: acct.Client, Calls: acct.Calls, Screen: screen})
		if err != nil {
			b.Fatal(err)
		}
		go func() { done <- u.Run() }()
		first := <-screen.first
		b.StopTimer()
		if !strings.Contains(first, "Bench room") {
			b.Fatalf("the first frame shows no room:\n%s", first)
		}
		u.Stop()
		<-done
		if err := ss2.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
