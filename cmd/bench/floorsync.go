package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"time"

	"maunium.net/go/mautrix"

	"github.com/termatrix/termatrix/internal/synthhs"
)

// The trickle's floor: a bare sync loop in a process of its own, long-
// polling the same server while the client does, fetching and decoding
// each response as mautrix does and nothing else. Its CPU under the same
// trickle, in the same window, is what any client pays for the messages
// arriving on this machine (on a virtual machine much of it is kernel
// time spent in loopback networking): the client's figure is printed
// beside it.

// floorSyncCmd is the hidden subcommand that runs the loop.
const floorSyncCmd = "floor-sync"

// runFloorSync long-polls base's /sync from since until it fails or is
// killed.
func runFloorSync(args []string) error {
	flags := flag.NewFlagSet(floorSyncCmd, flag.ContinueOnError)
	base := flags.String("url", "", "the synthetic homeserver")
	since := flags.String("since", "s0", "the sync token to start from")
	if err := flags.Parse(args); err != nil {
		return err
	}
	next := *since
	for {
		q := url.Values{"since": {next}, "timeout": {"30000"}}
		req, err := http.NewRequest(http.MethodGet, *base+"/_matrix/client/v3/sync?"+q.Encode(), nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+synthhs.FloorToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("floor sync: %w", err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("floor sync: %w", err)
		}
		var rs mautrix.RespSync
		if err := json.Unmarshal(body, &rs); err != nil {
			return fmt.Errorf("floor sync: decoding: %w", err)
		}
		next = rs.NextBatch
	}
}

// floorSyncer is a running floor loop.
type floorSyncer struct {
	cmd *exec.Cmd
}

// startFloorSync starts the loop in a process of its own, pinned to pin's
// CPUs when set.
func startFloorSync(base, pin string) (*floorSyncer, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, floorSyncCmd, "-url", base)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the floor sync loop: %w", err)
	}
	f := &floorSyncer{cmd: cmd}
	if pin != "" {
		if err := pinProcess(cmd.Process.Pid, pin); err != nil {
			f.stop()
			return nil, fmt.Errorf("pinning the floor sync loop: %w", err)
		}
	}
	time.Sleep(200 * time.Millisecond) // its first long-poll is waiting
	return f, nil
}

// pid is the loop's process.
func (f *floorSyncer) pid() int { return f.cmd.Process.Pid }

// stop ends the loop.
func (f *floorSyncer) stop() {
	_ = f.cmd.Process.Kill()
	_ = f.cmd.Wait()
}

// pinProcess pins every thread of process pid to cpus (a taskset list).
func pinProcess(pid int, cpus string) error {
	if out, err := exec.Command("taskset", "-a", "-cp", cpus, strconv.Itoa(pid)).CombinedOutput(); err != nil {
		return fmt.Errorf("pinning process %d to CPUs %s: %v: %s", pid, cpus, err, out)
	}
	return nil
}
