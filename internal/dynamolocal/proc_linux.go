package dynamolocal

import (
	"os/exec"
	"syscall"
)

// setProcAttrs puts Java in its own process group, so Stop can end it and
// any children together and a Ctrl-C meant for a supervisor does not reach
// it first, and asks the kernel to kill it if the Go process dies without
// calling Stop (a crashed test binary must not leave a server behind).
func setProcAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return syscall.Kill(-cmd.Process.Pid, sig)
}
