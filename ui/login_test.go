package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/config"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/ui/uitest"
)

// TestLoginFormShowsWholeHelpAndError: the help under the login form and
// a long login error are wrapped, not cut mid-sentence, on an 80×24
// terminal, and the error does not cover the help (F12).
func TestLoginFormShowsWholeHelpAndError(t *testing.T) {
	screen := tcell.NewSimulationScreen("UTF-8")
	if err := screen.Init(); err != nil {
		t.Fatal(err)
	}
	loginErr := errors.New(`login to https://localhost as @carol:localhost: request error: Post "https://localhost/_matrix/client/v3/login": dial tcp 127.0.0.1:443: connect: connection refused`)
	u, err := New(Options{Screen: screen, Config: &config.Config{Keys: defaultKeys()},
		Login: func(context.Context, matrix.LoginParams) (*matrix.Client, *calls.Controller, error) {
			return nil, nil, loginErr
		}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = u.Run(); close(done) }()
	t.Cleanup(func() { u.Stop(); <-done })
	u.queue(func() { screen.SetSize(80, 24) })
	text := uitest.WaitFor(t, screen, "User ID like", 5*time.Second)
	joined := strings.Join(strings.Fields(text), " ")
	if !strings.Contains(joined, "Tab moves between fields; Enter on the last field logs in.") {
		t.Fatalf("help cut:\n%s", text)
	}
	uitest.Type(screen, "@carol:localhost")
	screen.InjectKey(tcell.KeyTab, 0, tcell.ModNone)
	screen.InjectKey(tcell.KeyTab, 0, tcell.ModNone)
	uitest.Type(screen, "secret")
	screen.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	// Join the wrapped rows of the texts under the form (the column starts
	// at 8). Wait for all of them: the error may be drawn before the rows
	// are wrapped again, later on a loaded machine than a fixed sleep.
	wants := []string{"connect: connection refused", "enter its URL under Homeserver.", "Enter on the last field logs in."}
	missing := func(text string) []string {
		var under []string
		for _, row := range strings.Split(text, "\n") {
			if len(row) > 8 {
				under = append(under, strings.TrimSpace(row[8:]))
			}
		}
		all := strings.Join(under, " ")
		var out []string
		for _, want := range wants {
			if !strings.Contains(all, want) {
				out = append(out, want)
			}
		}
		return out
	}
	text = uitest.WaitFor(t, screen, "Login failed", 5*time.Second)
	for deadline := time.Now().Add(5 * time.Second); len(missing(text)) > 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		text = uitest.Text(screen)
	}
	for _, want := range missing(text) {
		t.Errorf("%q not shown:\n%s", want, text)
	}
}
