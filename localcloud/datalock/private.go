package datalock

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// The local stack's data dir holds secrets: cognito-local's database keeps
// passwords in plain text and 30-day refresh tokens, DynamoDB Local's every
// match, and the lock file the endpoint `hush-local token` sends a password
// to. So the directory is for its user alone: created 0700, its files 0600,
// and a directory that another user owns or may write is refused rather
// than trusted (that user could have planted a lock file naming an endpoint
// of theirs, or a database of their making).
const (
	privateDirMode  fs.FileMode = 0o700
	privateFileMode fs.FileMode = 0o600
)

// NotPrivateError reports a data dir, or its lock file, that this user
// cannot trust.
type NotPrivateError struct {
	Dir string // the dir or the file
	Why string
}

func (e *NotPrivateError) Error() string {
	return fmt.Sprintf("data dir: %s %s: the local stack keeps passwords and tokens there, so it uses only a directory of its own user that no one else may write; give another -data-dir (or remove this one, if you know what is in it)", e.Dir, e.Why)
}

// checkPrivate returns a *NotPrivateError when path is not a directory
// (a regular file when dir is false) owned by uid that only its owner may
// write.
func checkPrivate(path string, dir bool, uid int) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("datalock: %w", err)
	}
	switch owner, known := ownerOf(fi); {
	case dir && !fi.IsDir():
		return &NotPrivateError{Dir: path, Why: "is not a directory"}
	case !dir && !fi.Mode().IsRegular():
		return &NotPrivateError{Dir: path, Why: "is not a regular file"}
	case known && owner != uid:
		return &NotPrivateError{Dir: path, Why: fmt.Sprintf("belongs to another user (uid %d, you are %d)", owner, uid)}
	case fi.Mode().Perm()&0o022 != 0:
		return &NotPrivateError{Dir: path, Why: fmt.Sprintf("may be written by other users (mode %04o)", fi.Mode().Perm())}
	}
	return nil
}

// makePrivate creates dir for this user alone, or checks that an existing
// one is this user's (checkPrivate), and then takes every permission of
// others away from it and from everything in it: a data dir made before
// this rule (0755, files 0644) becomes private on its next start. It also
// sets the process's file mode mask, so that this process and the
// emulators it starts create their files for this user alone.
func makePrivate(dir string) error {
	if err := os.MkdirAll(dir, privateDirMode); err != nil {
		return fmt.Errorf("datalock: create %s: %w", dir, err)
	}
	if err := checkPrivate(dir, true, os.Getuid()); err != nil {
		return err
	}
	restrictUmask()
	// Through an os.Root, so that a symbolic link inside cannot send a
	// chmod outside the dir.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("datalock: open %s: %w", dir, err)
	}
	defer root.Close()
	err = fs.WalkDir(root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var mode fs.FileMode
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			return nil // its target is not the dir's
		case d.IsDir():
			mode = privateDirMode
		default:
			fi, err := d.Info()
			if err != nil {
				return err
			}
			mode = fi.Mode().Perm() &^ 0o077 // keep the owner's bits (an executable stays one)
		}
		return root.Chmod(name, mode)
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("datalock: make %s private: %w", dir, err)
	}
	return nil
}
