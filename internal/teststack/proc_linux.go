package teststack

import "syscall"

// sysProcAttr puts a child in its own process group and has the kernel
// kill it when the test binary dies, even after a panic or a timeout.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
