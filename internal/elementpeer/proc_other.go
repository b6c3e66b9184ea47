//go:build !linux

package elementpeer

import (
	"os"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

func killProfileUsers(string) {}

func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) {}
