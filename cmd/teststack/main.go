// Command teststack starts the local test stack by hand: a Dendrite
// homeserver on 127.0.0.1, coturn for calls, and two users, then prints how
// to log in with termatrix and runs until interrupted (Ctrl+C), when it
// tears everything down.
//
//	go run -tags goolm ./cmd/teststack
//
// With --livekit it also runs a LiveKit SFU and its JWT service, advertised
// as the homeserver's MatrixRTC transport (Element Call). With
// --install-only it only builds and caches the Dendrite and livekit-server
// binaries.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/termatrix/termatrix/internal/teststack"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "teststack:", err)
		os.Exit(1)
	}
}

// run starts the stack as args say, prints how to use it to out and keeps
// it up until ctx ends.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("teststack", flag.ContinueOnError)
	installOnly := fs.Bool("install-only", false, "only build and cache the Dendrite and livekit-server binaries, then exit")
	liveKit := fs.Bool("livekit", false, "also run a LiveKit SFU and JWT service for Element Call")
	users := fs.String("users", "alice,bob", "comma-separated localparts of the users to register")
	port := fs.Int("port", 0, "port of the homeserver URL on 127.0.0.1 (0: a free one)")
	noTURN := fs.Bool("no-turn", false, "do not start coturn")
	room := fs.Bool("room", true, "create a room with all the users in it")
	logLevel := fs.String("log-level", "info", "Dendrite's log level")
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintln(out, "Usage: go run ./cmd/teststack [flags]\n\nStarts a local Dendrite (and coturn) on 127.0.0.1 with test users, prints how to log in\nwith termatrix, and runs until Ctrl+C.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *installOnly {
		start := time.Now()
		dir, err := teststack.EnsureDendrite(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "Dendrite %s binaries in %s (%v)\n", teststack.DendriteVersion, dir, time.Since(start).Round(time.Millisecond))
		start = time.Now()
		bin, err := teststack.EnsureLiveKit(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "livekit-server %s in %s (%v)\n", teststack.LiveKitVersion, bin, time.Since(start).Round(time.Millisecond))
		return nil
	}

	names := strings.Split(*users, ",")
	for i, n := range names {
		names[i] = strings.TrimSpace(n)
		if names[i] == "" {
			return fmt.Errorf("--users: empty user name in %q", *users)
		}
	}
	fmt.Fprintln(out, "Starting the test stack (the first run builds Dendrite, about 2 minutes)...")
	start := time.Now()
	st, err := teststack.Start(ctx, teststack.Options{TURN: !*noTURN, FrontPort: *port, LogLevel: *logLevel, LiveKit: *liveKit})
	if err != nil {
		return err
	}
	defer st.Close()
	up := time.Since(start)

	type account struct {
		user     teststack.User
		passFile string
	}
	var accounts []account
	for _, name := range names {
		password := "pw-" + strings.ToLower(rand.Text()[:12])
		u, err := st.RegisterUser(ctx, name, password)
		if err != nil {
			return err
		}
		passFile := filepath.Join(st.Dir, name+".password")
		if err := os.WriteFile(passFile, []byte(password+"\n"), 0o600); err != nil {
			return fmt.Errorf("writing password file: %w", err)
		}
		accounts = append(accounts, account{u, passFile})
	}
	var roomID string
	if *room && len(accounts) > 0 {
		owner := accounts[0].user
		var invite []string
		for _, a := range accounts[1:] {
			invite = append(invite, a.user.UserID)
		}
		roomID, err = owner.CreateRoom(ctx, map[string]any{"name": "Test room", "preset": "private_chat", "invite": invite})
		if err != nil {
			return err
		}
		for _, a := range accounts[1:] {
			if _, err := a.user.Join(ctx, roomID); err != nil {
				return err
			}
		}
		if _, err := owner.SendMessage(ctx, roomID, "Welcome to the termatrix test room."); err != nil {
			return err
		}
	}

	fmt.Fprintf(out, "\nTest stack up in %v (Dendrite answered in %v, coturn listened in %v).\n\n",
		up.Round(time.Millisecond), st.DendriteStartup.Round(time.Millisecond), st.CoturnStartup.Round(time.Millisecond))
	fmt.Fprintf(out, "Homeserver URL:  %s   (server name %q, open registration)\n", st.BaseURL, teststack.ServerName)
	if st.TURNAddr != "" {
		fmt.Fprintf(out, "TURN server:     %s (UDP and TCP), handed out by /voip/turnServer\n", st.TURNAddr)
	}
	if st.LiveKitURL != "" {
		fmt.Fprintf(out, "LiveKit SFU:     %s (log %s)\n", st.LiveKitURL, st.LiveKitLogPath())
		fmt.Fprintf(out, "JWT service:     %s/sfu/get, advertised as the MatrixRTC transport\n", st.RTCServiceURL)
	}
	fmt.Fprintf(out, "Dendrite log:    %s\n", st.DendriteLogPath())
	if roomID != "" {
		fmt.Fprintf(out, "Room:            %s (\"Test room\", all users joined)\n", roomID)
	}
	fmt.Fprintln(out, "\nUsers:")
	for _, a := range accounts {
		fmt.Fprintf(out, "  %-24s password %-22s (in %s)\n", a.user.UserID, a.user.Password, a.passFile)
	}
	fmt.Fprintln(out, "\nLog in with termatrix, one terminal per user:")
	for i, a := range accounts {
		profile := ""
		if i > 0 {
			profile = " --profile " + strings.TrimPrefix(strings.SplitN(a.user.UserID, ":", 2)[0], "@")
		}
		fmt.Fprintf(out, "  go run -tags goolm . --homeserver %s --user %s --password-file %s%s\n", st.BaseURL, a.user.UserID, a.passFile, profile)
	}
	fmt.Fprintln(out, "\nPress Ctrl+C to stop the stack (its data is deleted).")
	<-ctx.Done()
	fmt.Fprintln(out, "\nStopping the test stack...")
	return nil
}
