package dynamolocal

import (
	"strconv"
	"syscall"
)

func itoa(i int) string { return strconv.Itoa(i) }

// syscallAlive returns nil when a process with pid exists.
func syscallAlive(pid int) error { return syscall.Kill(pid, 0) }
