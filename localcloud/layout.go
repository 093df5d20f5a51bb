package localcloud

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hush-scores/hush/localcloud/datalock"
)

// layout names the folders of a data dir. Only these are ever wiped, so a
// mistyped -data-dir with -clean cannot delete anything else.
type layout struct{ root string }

func (l layout) dynamo() string  { return filepath.Join(l.root, "dynamodb") }
func (l layout) cognito() string { return filepath.Join(l.root, "cognito") }
func (l layout) logs() string    { return filepath.Join(l.root, "logs") }

// replicator keeps the replicator's stream positions and queued changes.
func (l layout) replicator() string { return filepath.Join(l.root, "replicator") }

func (l layout) all() []string { return []string{l.dynamo(), l.cognito(), l.logs(), l.replicator()} }

// prepare locks the data dir for this stack (datalock refuses a second
// stack on it, naming the first), wipes it when clean, and creates its
// folders. The lock comes first, so -clean never wipes a running stack.
func (l layout) prepare(clean bool) (*datalock.Lock, error) {
	lock, err := datalock.Acquire(l.root)
	if err != nil {
		return nil, fmt.Errorf("localcloud: %w", err)
	}
	if clean {
		err = l.wipe()
	}
	if err == nil {
		err = l.create()
	}
	if err != nil {
		lock.Release()
		return nil, err
	}
	return lock, nil
}

func (l layout) wipe() error {
	for _, d := range l.all() {
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("localcloud: wipe %s: %w", d, err)
		}
	}
	return nil
}

func (l layout) create() error {
	for _, d := range l.all() {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("localcloud: create %s: %w", d, err)
		}
	}
	return nil
}

// openLog opens a log file for appending.
func (l layout) openLog(name string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(l.logs(), name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("localcloud: open log %s: %w", name, err)
	}
	return f, nil
}
