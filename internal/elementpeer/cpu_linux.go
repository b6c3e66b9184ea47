package elementpeer

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// SelfCPUTime is the CPU (user + system) the calling process has used so
// far (getrusage), for benchmarks that set a Peer's CPUTime beside ours.
func SelfCPUTime() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("elementpeer: getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// clockTick is the unit of /proc/PID/stat's CPU times (USER_HZ, 100 on
// Linux's every architecture that runs these tests).
const clockTick = 10 * time.Millisecond

// CPUTime is the CPU (user + system) the peer's processes have used so
// far: the driver and every process under it (Chromium's browser,
// renderer, GPU and utility processes), read from /proc. Processes that
// ended meanwhile are not counted, so measure differences over a span in
// which the browser keeps its processes (a call in progress).
func (p *Peer) CPUTime() (time.Duration, error) {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0, errors.New("elementpeer: the peer is not running")
	}
	stats, err := readProcStats()
	if err != nil {
		return 0, err
	}
	children := map[int][]int{}
	for pid, s := range stats {
		children[s.ppid] = append(children[s.ppid], pid)
	}
	var total time.Duration
	todo := []int{p.cmd.Process.Pid}
	for len(todo) > 0 {
		pid := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		total += stats[pid].cpu
		todo = append(todo, children[pid]...)
	}
	return total, nil
}

type procStat struct {
	ppid int
	cpu  time.Duration
}

// readProcStats reads every process's parent and CPU time from /proc.
func readProcStats() (map[int]procStat, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("elementpeer: reading /proc: %w", err)
	}
	out := map[int]procStat{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		if s, ok := parseProcStat(b); ok {
			out[pid] = s
		}
	}
	return out, nil
}

// parseProcStat reads the parent (field 4) and utime + stime (fields 14
// and 15) of a /proc/PID/stat line; the command name (field 2) may hold
// spaces and parentheses, so fields are counted from its last ')'.
func parseProcStat(b []byte) (procStat, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return procStat{}, false
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	ut, err2 := strconv.ParseInt(string(f[11]), 10, 64)
	st, err3 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return procStat{}, false
	}
	return procStat{ppid: ppid, cpu: time.Duration(ut+st) * clockTick}, true
}
