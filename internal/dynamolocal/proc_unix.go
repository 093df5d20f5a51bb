//go:build unix && !linux

package dynamolocal

import (
	"os/exec"
	"syscall"
)

// setProcAttrs puts Java in its own process group, so Stop can end it and
// any children together and a Ctrl-C meant for a supervisor does not reach
// it first.
func setProcAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return syscall.Kill(-cmd.Process.Pid, sig)
}

// listens reports whether the process holds the port. Without /proc it
// cannot tell, and a successful connect has to do.
func listens(pid, port int) bool { return true }
