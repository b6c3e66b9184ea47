package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"maunium.net/go/mautrix"

	"github.com/termatrix/termatrix/internal/synthhs"
)

// scaleRun holds one run's figures, printed at the end.
type scaleRun struct {
	rows [][3]string // measure, figure, note
}

func (r *scaleRun) add(measure, figure, note string) {
	r.rows = append(r.rows, [3]string{measure, figure, note})
	fmt.Fprintf(os.Stderr, "  %-44s %s %s\n", measure, figure, note)
}

func mb(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }

func secs(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func runScale(args []string) error {
	flags := flag.NewFlagSet("scale", flag.ContinueOnError)
	shape := synthhs.DefaultShape
	flags.IntVar(&shape.Rooms, "rooms", shape.Rooms, "rooms in the generated account")
	flags.IntVar(&shape.EventsPerRoom, "events", shape.EventsPerRoom, "timeline events per room")
	rate := flags.Float64("rate", 5, "messages a second in the trickle phase")
	open := flags.Int("open", 100, "rooms to open one after another")
	window := flags.Duration("trickle", 15*time.Second, "how long CPU and bytes are measured under the trickle")
	bin := flags.String("bin", "", "termatrix binary (default: built from this checkout with -tags goolm)")
	keep := flags.Bool("keep", false, "keep the profile directory")
	profile := flags.String("cpuprofile", "", "write a CPU profile of the run to this file (the trickle window to FILE.1, what follows to FILE.2; the warm start to FILE.warm)")
	memProfile := flags.String("memprofile", "", "write a heap profile of the cold run, taken at its largest live heap, to this file")
	coldOnly := flags.Bool("cold", false, "stop after the cold start")
	pin := flags.String("pin", "", "from the trickle on, pin the client's threads to these CPUs (taskset list, e.g. 1): runs compare better")
	trickleOnly := flags.Bool("trickle-only", false, "stop after the trickle window (no rooms opened, no flood, no warm start)")
	warmOnly := flags.Int("warm", 0, "measure only the cold start and then this many warm starts (FILE.warm, FILE.warm2, … with -cpuprofile)")
	against := flags.String("against", "", "with -warm: after each warm start of -bin, one of this binary from the same store (an A/B comparison in the same minute)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	run := &scaleRun{}
	work, err := os.MkdirTemp("", "termatrix-bench-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(work)
	}
	if *bin == "" {
		*bin = filepath.Join(work, "termatrix")
		fmt.Fprintln(os.Stderr, "building termatrix…")
		b := exec.Command("go", "build", "-tags", "goolm", "-o", *bin, ".")
		b.Stdout, b.Stderr = os.Stderr, os.Stderr
		if err := b.Run(); err != nil {
			return fmt.Errorf("building termatrix (run from the repository root): %w", err)
		}
	}

	fmt.Fprintf(os.Stderr, "generating %d rooms × %d events…\n", shape.Rooms, shape.EventsPerRoom)
	srv, err := synthhs.Start(shape, time.Second)
	if err != nil {
		return err
	}
	defer srv.Close()
	run.add("initial /sync size", mb(int64(srv.InitialSize())), "")

	// The floor: fetch the initial sync and decode it as mautrix does.
	floor, floorCPU, err := measureFloor(srv.URL)
	if err != nil {
		return err
	}
	run.add("floor: fetch + decode initial /sync", secs(floor), fmt.Sprintf("(best of 3; %s CPU)", secs(floorCPU)))

	home := filepath.Join(work, "home")
	env := []string{
		"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_DATA_HOME=" + filepath.Join(home, ".local/share"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".local/state"), "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"TERM=xterm-256color", "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8",
	}
	// The Go runtime's knobs pass through, to compare settings.
	for _, k := range []string{"GOGC", "GOMEMLIMIT", "GODEBUG", "GOMAXPROCS"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	firstRoom := "Bench room"
	// Cold: log in, sync everything.
	cold, err := startTerm(*bin, []string{"--user", synthhs.UserID, "--homeserver", srv.URL},
		append(env, "TERMATRIX_PASSWORD="+synthhs.Password, "TERMATRIX_CPUPROFILE="+*profile, "TERMATRIX_MEMPROFILE="+*memProfile), 160, 48, firstRoom, " synced")
	if err != nil {
		return err
	}
	pid := cold.cmd.Process.Pid
	shown, err := cold.waitFor(firstRoom, 5*time.Minute)
	if err != nil {
		cold.quit()
		return fmt.Errorf("cold start: %w", err)
	}
	run.add("cold login → first room names drawn", secs(shown), fmt.Sprintf("(%.1f× floor)", shown.Seconds()/floor.Seconds()))
	synced, err := cold.waitFor(" synced", 5*time.Minute)
	if err != nil {
		cold.quit()
		return fmt.Errorf("cold start: %w", err)
	}
	run.add("cold login → status says synced", secs(synced), fmt.Sprintf("(%.1f× floor)", synced.Seconds()/floor.Seconds()))
	// CPU time depends less on what else the machine runs than wall time.
	if _, _, cpu, err := procStat(pid); err == nil {
		run.add("CPU used until synced", secs(cpu), fmt.Sprintf("(%.1f× the floor's CPU)", cpu.Seconds()/floorCPU.Seconds()))
	}
	time.Sleep(5 * time.Second)
	rss, peak, _, _ := procStat(pid)
	run.add("RSS 5 s after synced / peak during the start", mb(rss)+" / "+mb(peak), "")
	if *coldOnly {
		cold.quit()
		run.print(shape)
		return nil
	}
	if *warmOnly > 0 {
		cold.quit()
		for i := 1; i <= *warmOnly; i++ {
			suffix := ".warm"
			if i > 1 {
				suffix += strconv.Itoa(i)
			}
			if err := warmStart(run, *bin, env, *profile, suffix, firstRoom, ""); err != nil {
				return err
			}
			if *against != "" {
				if err := warmStart(run, *against, env, *profile, suffix+".against", firstRoom, " (-against)"); err != nil {
					return err
				}
			}
		}
		run.print(shape)
		return nil
	}

	// Idle: nothing arrives, the server answers each long-poll after 1 s.
	// The notes the status line shows at the start expire 15 s after they
	// came (about when synced), which redraws it: not an idle sync's cost.
	time.Sleep(11 * time.Second)
	s0, b0 := srv.Syncs(), cold.written()
	time.Sleep(10 * time.Second)
	s1, b1 := srv.Syncs(), cold.written()
	if n := s1 - s0; n > 0 {
		run.add("bytes to the terminal per idle sync", fmt.Sprintf("%d B", (b1-b0)/n), fmt.Sprintf("(%d syncs)", n))
	}
	_, _, c0, _ := procStat(pid)
	time.Sleep(5 * time.Second)
	_, _, c1, _ := procStat(pid)
	run.add("CPU idle", fmt.Sprintf("%.1f %%", 100*(c1-c0).Seconds()/5), "of one core")

	// A trickle of messages across the account.
	if *pin != "" {
		// Which CPU the client's threads land on moves the trickle's
		// kernel time from run to run on a virtual machine: pinning
		// makes builds comparable.
		if err := pinProcess(pid, *pin); err != nil {
			return fmt.Errorf("pinning the client: %w", err)
		}
		run.add("client pinned to CPUs", *pin, "(taskset, from the trickle on)")
	}
	fl, err := startFloorSync(srv.URL, *pin)
	if err != nil {
		return err
	}
	defer fl.stop()
	ctx, stop := context.WithCancel(context.Background())
	go srv.Trickle(ctx, *rate)
	time.Sleep(3 * time.Second)
	_, _, c0, _ = procStat(pid)
	u0, k0, _ := cpuTimes(pid)
	fu0, fk0, _ := cpuTimes(fl.pid())
	sw0 := ctxSwitches(pid)
	pf0, _ := pageFaults(pid)
	w0, ts0 := cold.written(), srv.Syncs()
	nextProfile(cold, *profile) // the trickle window gets its own profile: PATH.1
	time.Sleep(*window)
	_, _, c1, _ = procStat(pid)
	u1, k1, _ := cpuTimes(pid)
	fu1, fk1, _ := cpuTimes(fl.pid())
	sw1 := ctxSwitches(pid)
	pf1, _ := pageFaults(pid)
	w1, ts1 := cold.written(), srv.Syncs()
	nextProfile(cold, *profile)
	stop()
	fl.stop()
	run.add("bytes to the terminal per message arriving", fmt.Sprintf("%.0f B", float64(w1-w0)/(*rate*window.Seconds())), "(most in rooms out of sight)")
	// The server answers a long-poll as soon as a message is there, so how
	// many messages one sync brings varies from run to run: the syncs in
	// the window are printed beside the CPU. So is the part spent in the
	// kernel, which on a virtual machine swings from run to run of the same
	// binary (thread switches cost more when threads land on different
	// CPUs).
	pct := func(d time.Duration) float64 { return 100 * d.Seconds() / window.Seconds() }
	loopCPU := (fu1 - fu0) + (fk1 - fk0)
	run.add(fmt.Sprintf("floor: a bare sync loop, %.0f messages/s", *rate), fmt.Sprintf("%.1f %%", pct(loopCPU)),
		fmt.Sprintf("of one core (fetch + decode each sync beside the client; user %.1f %%, kernel %.1f %%)", pct(fu1-fu0), pct(fk1-fk0)))
	ratio := ""
	if loopCPU > 0 {
		ratio = fmt.Sprintf("%.1f× floor, ", (c1-c0).Seconds()/loopCPU.Seconds())
	}
	run.add(fmt.Sprintf("CPU while %.0f messages/s arrive", *rate), fmt.Sprintf("%.1f %%", pct(c1-c0)),
		fmt.Sprintf("of one core (%s%d syncs; user %.1f %%, kernel %.1f %%)", ratio, ts1-ts0, pct(u1-u0), pct(k1-k0)))
	// Each switch between threads costs kernel time (more on a virtual
	// machine): how many a message brings shows where that time goes.
	msgs := *rate * window.Seconds()
	vol, invol, top := switchesBetween(pid, sw0, sw1)
	run.add("context switches per message arriving", fmt.Sprintf("%.1f", float64(vol+invol)/msgs),
		fmt.Sprintf("(voluntary %d, involuntary %d; %d threads, most: %s)", vol, invol, len(sw1), top))
	run.add("page faults per message arriving", fmt.Sprintf("%.1f", float64(pf1-pf0)/msgs), "(memory the runtime gave back and touches again)")
	if *trickleOnly {
		stop()
		cold.quit()
		run.print(shape)
		return nil
	}

	// Open rooms one after another (Alt+Down).
	rss0, _, _, _ := procStat(pid)
	for i := 0; i < *open; i++ {
		_ = cold.send("\x1b[1;3B")
		time.Sleep(40 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	rss1, _, _, _ := procStat(pid)
	anon, file := rssParts(pid)
	run.add(fmt.Sprintf("RSS before / after opening %d rooms", *open), mb(rss0)+" / "+mb(rss1),
		fmt.Sprintf("(%.2f MB a room; after: %s own, %s mapped files)", float64(rss1-rss0)/(1<<20)/float64(*open), mb(anon), mb(file)))

	// A hostile member floods the open room: 30 messages of 64 KB.
	flood := srv.RoomIDs()[len(srv.RoomIDs())-1]
	srv.Post(flood, "flood target")
	time.Sleep(time.Second)
	_ = cold.send("\x1b1") // Alt+1: the room with the latest activity
	time.Sleep(time.Second)
	rssF0, _, _, _ := procStat(pid)
	big := strings.Repeat("flood line of text that wraps on the screen ", 64<<10/45)
	floodOnce := func() int64 {
		for i := 0; i < 30; i++ {
			srv.Post(flood, big)
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(3 * time.Second)
		rss, _, _, _ := procStat(pid)
		return rss
	}
	rssF1 := floodOnce()
	run.add("RSS before / after 30 × 64 KB in the open room", mb(rssF0)+" / "+mb(rssF1),
		fmt.Sprintf("(%.0f× the %s sent)", float64(rssF1-rssF0)/float64(30*len(big)), mb(int64(30*len(big)))))
	// What the first flood added may be the collector's headroom (freed
	// memory it keeps for the next allocations) rather than what the
	// client holds: two more floods tell them apart, as memory held grows
	// with each and headroom does not.
	rssF2 := floodOnce()
	rssF3 := floodOnce()
	run.add("RSS after 60 / 90 × 64 KB in the open room", mb(rssF2)+" / "+mb(rssF3),
		fmt.Sprintf("(%+.1f MB, %+.1f MB for each 30 after the first)", float64(rssF2-rssF1)/(1<<20), float64(rssF3-rssF2)/(1<<20)))
	cold.quit()

	// Warm: start again from the store.
	if err := warmStart(run, *bin, env, *profile, ".warm", firstRoom, ""); err != nil {
		return err
	}

	var size int64
	_ = filepath.WalkDir(home, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".db") || strings.HasSuffix(p, ".db-wal")) {
			if fi, err := d.Info(); err == nil {
				size += fi.Size()
			}
		}
		return nil
	})
	run.add("store size on disk", mb(size), "")
	if u := srv.Unknown(); len(u) > 0 {
		var keys []string
		for k := range u {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(os.Stderr, "requests the synthetic homeserver does not serve: %s\n", strings.Join(keys, ", "))
	}
	run.print(shape)
	return nil
}

// warmStart starts the binary again from the store the cold start left and
// adds the time to the first room names drawn, its label followed by label;
// with a profile, the run's CPU profile goes to profile+suffix.
func warmStart(run *scaleRun, bin string, env []string, profile, suffix, firstRoom, label string) error {
	warmEnv := append([]string(nil), env...)
	if profile != "" {
		warmEnv = append(warmEnv, "TERMATRIX_CPUPROFILE="+profile+suffix)
	}
	warm, err := startTerm(bin, nil, warmEnv, 160, 48, firstRoom)
	if err != nil {
		return err
	}
	defer warm.quit()
	shown, err := warm.waitFor(firstRoom, time.Minute)
	if err != nil {
		return fmt.Errorf("warm start: %w", err)
	}
	note := ""
	if cpu := warm.cpuWhenSeen(firstRoom); cpu > 0 {
		note = fmt.Sprintf("(%.0f ms CPU)", float64(cpu)/float64(time.Millisecond))
	}
	run.add("warm start → first room names drawn"+label, secs(shown), note)
	return nil
}

// nextProfile asks the binary to start the next phase of its CPU profile
// (app.ProfileEnv: SIGUSR1 ends PATH and starts PATH.1, then PATH.2).
func nextProfile(t *term, profile string) {
	if profile != "" {
		_ = t.cmd.Process.Signal(syscall.SIGUSR1)
	}
}

// print writes the figures as a table on stdout.
func (r *scaleRun) print(shape synthhs.Shape) {
	fmt.Printf("termatrix scale bench: %d rooms × %d events\n", shape.Rooms, shape.EventsPerRoom)
	for _, row := range r.rows {
		fmt.Printf("%-48s %14s  %s\n", row[0], row[1], row[2])
	}
}

// measureFloor fetches the initial /sync and decodes it into
// mautrix.RespSync three times and returns the best time and the CPU time
// (of this process, the server's side of the fetch included) of that run.
func measureFloor(base string) (best, bestCPU time.Duration, _ error) {
	for i := 0; i < 3; i++ {
		start, cpu0 := time.Now(), processCPU()
		req, _ := http.NewRequest(http.MethodGet, base+"/_matrix/client/v3/sync", nil)
		req.Header.Set("Authorization", "Bearer synth-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, 0, fmt.Errorf("floor: %w", err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, 0, fmt.Errorf("floor: %w", err)
		}
		var rs mautrix.RespSync
		if err := json.Unmarshal(body, &rs); err != nil {
			return 0, 0, fmt.Errorf("floor: decoding: %w", err)
		}
		if d := time.Since(start); best == 0 || d < best {
			best, bestCPU = d, processCPU()-cpu0
		}
	}
	return best, bestCPU, nil
}

// processCPU is the CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
