//go:build unix

package datalock

import (
	"io/fs"
	"syscall"
)

// ownerOf returns the uid that owns fi.
func ownerOf(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// restrictUmask makes every file this process and its children create
// unreadable by others.
func restrictUmask() { syscall.Umask(0o077) }
