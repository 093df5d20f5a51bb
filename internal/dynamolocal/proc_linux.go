package dynamolocal

import (
	"os"
	"strconv"
	"strings"
)

// listens reports whether process pid holds a listening TCP socket on port.
// A successful connect alone could reach another server that took a port
// picked as free before Java bound it; this asks the kernel whose socket it
// is, through /proc.
func listens(pid, port int) bool {
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			// f[1] is local_address (hex IP:hex port), f[3] the state
			// (0A = LISTEN), f[9] the socket inode.
			if len(f) < 10 || f[3] != "0A" {
				continue
			}
			_, hexPort, ok := strings.Cut(f[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); ok && err == nil && int(p) == port {
				inodes["socket:["+f[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return false
	}
	fdDir := "/proc/" + strconv.Itoa(pid) + "/fd"
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		if link, err := os.Readlink(fdDir + "/" + fd.Name()); err == nil && inodes[link] {
			return true
		}
	}
	return false
}
