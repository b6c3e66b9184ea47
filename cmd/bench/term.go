package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/creack/pty"
)

// term runs the real termatrix binary in a pseudo-terminal and watches
// what it writes: the bytes, and the text once escape sequences are taken
// out, so that the bench can wait for words to be drawn.
type term struct {
	cmd  *exec.Cmd
	pty  *os.File
	done chan struct{}

	mu      sync.Mutex
	bytes   int64
	text    []byte // recent text, escapes removed
	seen    map[string]time.Time
	cpuSeen map[string]time.Duration // the process's CPU time when each word was first seen
	watch   []string
	started time.Time
}

// startTerm starts bin with args and env in a cols×rows pseudo-terminal,
// watching for each of words.
func startTerm(bin string, args, env []string, cols, rows int, words ...string) (*term, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	t := &term{cmd: cmd, done: make(chan struct{}), seen: map[string]time.Time{}, cpuSeen: map[string]time.Duration{}, watch: words}
	t.started = time.Now()
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)})
	if err != nil {
		return nil, fmt.Errorf("starting %s in a pty: %w", bin, err)
	}
	t.pty = f
	go t.read()
	return t, nil
}

func (t *term) read() {
	defer close(t.done)
	buf := make([]byte, 64<<10)
	for {
		n, err := t.pty.Read(buf)
		if n > 0 {
			now := time.Now()
			t.mu.Lock()
			t.bytes += int64(n)
			t.text = append(t.text, stripEscapes(buf[:n])...)
			for _, w := range t.watch {
				if _, ok := t.seen[w]; !ok && bytes.Contains(t.text, []byte(w)) {
					t.seen[w] = now
					t.cpuSeen[w] = threadsCPU(t.cmd.Process.Pid)
				}
			}
			if len(t.text) > 8<<10 {
				t.text = append(t.text[:0], t.text[len(t.text)-1024:]...)
			}
			t.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// stripEscapes drops CSI, OSC and two-byte escape sequences. A sequence
// cut between two reads leaves a few stray bytes: harmless for a search.
func stripEscapes(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != 0x1b {
			if c >= ' ' || c == '\n' {
				out = append(out, c)
			}
			continue
		}
		if i+1 >= len(b) {
			break
		}
		switch b[i+1] {
		case '[':
			j := i + 2
			for j < len(b) && (b[j] < 0x40 || b[j] > 0x7e) {
				j++
			}
			i = j
		case ']':
			j := i + 2
			for j < len(b) && b[j] != 0x07 && !(b[j] == 0x1b && j+1 < len(b) && b[j+1] == '\\') {
				j++
			}
			if j < len(b) && b[j] == 0x1b {
				j++ // ESC \ ends it
			}
			i = j
		case '(', ')':
			i += 2 // character set designation
		default:
			i++
		}
	}
	return out
}

// waitFor waits until word was drawn and returns when, since the start.
func (t *term) waitFor(word string, timeout time.Duration) (time.Duration, error) {
	end := time.Now().Add(timeout)
	for time.Now().Before(end) {
		t.mu.Lock()
		at, ok := t.seen[word]
		t.mu.Unlock()
		if ok {
			return at.Sub(t.started), nil
		}
		select {
		case <-t.done:
			return 0, fmt.Errorf("termatrix exited before drawing %q", word)
		case <-time.After(5 * time.Millisecond):
		}
	}
	return 0, fmt.Errorf("%q not drawn within %s", word, timeout)
}

// cpuWhenSeen is the CPU time termatrix had used when word was first drawn
// (0 when it was not, or unknown).
func (t *term) cpuWhenSeen(word string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cpuSeen[word]
}

// threadsCPU is the CPU time all threads of a process ran so far, from
// /proc/PID/task/*/schedstat (nanoseconds, unlike /proc/PID/stat's ticks).
func threadsCPU(pid int) time.Duration {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var sum time.Duration
	for _, task := range tasks {
		data, err := os.ReadFile(dir + "/" + task.Name() + "/schedstat")
		if err != nil {
			continue
		}
		if f := strings.Fields(string(data)); len(f) > 0 {
			ns, _ := strconv.ParseInt(f[0], 10, 64)
			sum += time.Duration(ns)
		}
	}
	return sum
}

// written is how many bytes termatrix has written to the terminal.
func (t *term) written() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bytes
}

// send types keys (raw bytes, escape sequences included).
func (t *term) send(s string) error {
	_, err := io.WriteString(t.pty, s)
	return err
}

// quit asks termatrix to quit (Ctrl+Q) and waits for it, killing it after
// a while.
func (t *term) quit() {
	_ = t.send("\x11")
	select {
	case <-t.done:
	case <-time.After(10 * time.Second):
		_ = t.cmd.Process.Kill()
		<-t.done
	}
	_ = t.cmd.Wait()
	t.pty.Close()
}

// rssParts reads how much of a process's resident memory is its own
// (anonymous: heap, stacks, C allocations) and how much is files mapped in
// (the binary's code and data above all, shared with every other process
// running it and given back under memory pressure without writing).
func rssParts(pid int) (anon, file int64) {
	kb, _ := statusKB(pid, "RssAnon:", "RssFile:")
	return kb["RssAnon:"] << 10, kb["RssFile:"] << 10
}

// statusKB reads the named fields (in kB) of a process's /proc status.
func statusKB(pid int, names ...string) (map[string]int64, error) {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(names))
	for _, line := range strings.Split(string(status), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && slices.Contains(names, f[0]) {
			out[f[0]], _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	return out, nil
}

// procStat reads a process's resident and peak memory (bytes) and its CPU
// time so far.
func procStat(pid int) (rss, peak int64, cpu time.Duration, err error) {
	kb, err := statusKB(pid, "VmRSS:", "VmHWM:")
	if err != nil {
		return 0, 0, 0, err
	}
	rss, peak = kb["VmRSS:"]<<10, kb["VmHWM:"]<<10
	user, sys, err := cpuTimes(pid)
	if err != nil {
		return 0, 0, 0, err
	}
	cpu = user + sys
	return rss, peak, cpu, nil
}

// ctxSwitches reads the voluntary and involuntary context switches of
// each of a process's threads (/proc/PID/task/*/status; the process's own
// status counts its first thread only), by thread ID. Threads that ended
// are not counted.
func ctxSwitches(pid int) map[int][2]int64 {
	out := map[int][2]int64{}
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		return out
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if n, err := taskStatus(pid, tid); err == nil {
			out[tid] = n
		}
	}
	return out
}

// switchesBetween sums the switches from before to after and lists the
// threads that switched most (thread ID less the process ID: 0 is the
// first thread, the Go runtime's sysmon is usually 1).
func switchesBetween(pid int, before, after map[int][2]int64) (voluntary, involuntary int64, top string) {
	type th struct {
		off int
		n   int64
	}
	var ths []th
	for tid, a := range after {
		b := before[tid]
		voluntary += a[0] - b[0]
		involuntary += a[1] - b[1]
		ths = append(ths, th{tid - pid, a[0] - b[0] + a[1] - b[1]})
	}
	sort.Slice(ths, func(i, j int) bool { return ths[i].n > ths[j].n })
	var parts []string
	for i, t := range ths {
		if i == 4 {
			break
		}
		parts = append(parts, fmt.Sprintf("+%d: %d", t.off, t.n))
	}
	return voluntary, involuntary, strings.Join(parts, ", ")
}

// taskStatus reads one thread's voluntary and involuntary context switches.
func taskStatus(pid, tid int) ([2]int64, error) {
	var n [2]int64
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return n, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		switch f[0] {
		case "voluntary_ctxt_switches:":
			n[0], _ = strconv.ParseInt(f[1], 10, 64)
		case "nonvoluntary_ctxt_switches:":
			n[1], _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	return n, nil
}

// cpuTimes reads the CPU time a process has spent in its own code (user)
// and in the kernel on its behalf (sys).
func cpuTimes(pid int) (user, sys time.Duration, err error) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// Fields after the command's closing parenthesis: utime is the 12th,
	// stime the 13th (clock ticks, 100 a second on Linux).
	s := string(stat)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) > 12 {
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		user, sys = time.Duration(ut)*10*time.Millisecond, time.Duration(st)*10*time.Millisecond
	}
	return user, sys, nil
}

// pageFaults reads a process's minor and major page faults so far
// (/proc/PID/stat). On a virtual machine each fault is costly kernel
// time: memory the Go runtime returned to the system and then touches
// again shows up here.
func pageFaults(pid int) (minor, major int64) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0
	}
	// Fields after the command's closing parenthesis: minflt is the 8th,
	// majflt the 10th.
	s := string(stat)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) > 9 {
		minor, _ = strconv.ParseInt(f[7], 10, 64)
		major, _ = strconv.ParseInt(f[9], 10, 64)
	}
	return minor, major
}
