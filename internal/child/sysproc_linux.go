package child

import "syscall"

// sysProcAttr puts the child in its own process group and asks Linux to kill
// it if this process dies without stopping it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
