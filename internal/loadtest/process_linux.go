package loadtest

import "syscall"

// childAttrs makes the kernel kill a child server if the harness dies, so
// no server outlives a crashed or killed run.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
