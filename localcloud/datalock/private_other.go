//go:build !unix

package datalock

import "io/fs"

// ownerOf cannot tell owners apart here; the local stack supports Unix only
// (see tryLock).
func ownerOf(fs.FileInfo) (int, bool) { return 0, false }

func restrictUmask() {}
