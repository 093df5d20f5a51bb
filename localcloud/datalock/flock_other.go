//go:build !unix

package datalock

import (
	"errors"
	"os"
)

// tryLock cannot lock on this platform; the local stack runs its
// emulators as Unix process groups and supports Unix only.
func tryLock(*os.File) (bool, error) {
	return false, errors.New("data dir locking needs a Unix system")
}

func unlock(*os.File) error { return nil }
