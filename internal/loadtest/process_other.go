//go:build !linux

package loadtest

import "syscall"

// childAttrs: only Linux can tie a child's life to the harness's; elsewhere
// the harness's own deadline and stop are the only guard.
func childAttrs() *syscall.SysProcAttr { return nil }
