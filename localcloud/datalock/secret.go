package datalock

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// SecretFile holds the data dir's secret access key: the emulators' guards
// refuse requests not signed with it, so only programs of the data dir's
// user, who alone can read it, can use them.
const SecretFile = "local-secret"

// Secret returns the secret of dir, a data dir made private by Acquire,
// creating it on first use.
func Secret(dir string) (string, error) {
	s, err := ReadSecret(dir)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return s, err
	}
	s = rand.Text()
	path := filepath.Join(dir, SecretFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, privateFileMode)
	if errors.Is(err, os.ErrExist) {
		return ReadSecret(dir) // another process made it first
	}
	if err != nil {
		return "", fmt.Errorf("datalock: create %s: %w", path, err)
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("datalock: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("datalock: write %s: %w", path, err)
	}
	return s, nil
}

// ReadSecret returns the secret of dir, for a tool that talks to the
// emulators of a running stack (hush-repair -endpoint). It trusts only a
// dir and file of this user that others may not write.
func ReadSecret(dir string) (string, error) {
	path := filepath.Join(dir, SecretFile)
	if err := checkPrivate(dir, true, os.Getuid()); err != nil {
		return "", err
	}
	if err := checkPrivate(path, false, os.Getuid()); err != nil {
		if _, statErr := os.Lstat(path); errors.Is(statErr, os.ErrNotExist) {
			return "", fmt.Errorf("datalock: %s: %w", path, os.ErrNotExist)
		}
		return "", err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("datalock: read %s: %w", path, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("datalock: %s is empty: remove it and start the stack again", path)
	}
	return s, nil
}

// DataDirEnv names the variable `hush-local` prints with the data dir of
// the running stack, where a tool driving that stack from outside (the e2e
// suite, hush-load -target) finds the secret to sign with.
const DataDirEnv = "HUSH_LOCAL_DATA_DIR"

// SecretFromEnv returns the secret of the data dir that getenv(DataDirEnv)
// names, or an error saying to set it.
func SecretFromEnv(getenv func(string) string) (string, error) {
	dir := getenv(DataDirEnv)
	if dir == "" {
		return "", fmt.Errorf("the local stack's emulators want requests signed with its data dir's secret: set %s as `make local` prints it", DataDirEnv)
	}
	return ReadSecret(dir)
}
