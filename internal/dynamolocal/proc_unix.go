//go:build unix && !linux

package dynamolocal

// listens reports whether the process holds the port. Without /proc it
// cannot tell, and a successful connect has to do.
func listens(pid, port int) bool { return true }
