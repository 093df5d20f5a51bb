package localcloud

import (
	"fmt"
	"io"
	"log/slog"
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

// dataDir is the stack's data dir while it runs: locked against other
// stacks, with the log files the parts write. It opens first and closes
// last, after the emulators that used its data.
type dataDir struct {
	layout
	lock  *datalock.Lock
	files []*os.File
	// logger receives the handlers' and gateways' logs.
	logger *slog.Logger
	// secret signs every request to the emulators, whose guards refuse
	// any other (datalock.Secret): made once per data dir, kept in it.
	secret string
}

// openDataDir locks dir (wiping it first when clean) and opens the API's
// log: logger, or logs/api.log as JSON lines when logger is nil.
func openDataDir(dir string, clean bool, logger *slog.Logger) (*dataDir, error) {
	d := &dataDir{layout: layout{root: dir}}
	lock, err := d.prepare(clean)
	if err != nil {
		return nil, err
	}
	d.lock = lock
	if d.secret, err = datalock.Secret(dir); err != nil {
		d.close()
		return nil, fmt.Errorf("localcloud: %w", err)
	}
	if logger == nil {
		f, err := d.openLog("api.log")
		if err != nil {
			d.close()
			return nil, err
		}
		logger = jsonLogger(f)
	}
	d.logger = logger
	return d, nil
}

// openLog opens a log file for appending that close closes.
func (d *dataDir) openLog(name string) (*os.File, error) {
	f, err := d.layout.openLog(name)
	if err != nil {
		return nil, err
	}
	d.files = append(d.files, f)
	return f, nil
}

// record writes what other programs need to find the stack into the lock
// file (see lockState).
func (d *dataDir) record(info Info) error { return d.lock.Record(info.lockState()) }

// close closes the logs and releases the lock. A log that fails to close
// loses nothing worth failing Close for.
func (d *dataDir) close() error {
	for _, f := range d.files {
		f.Close()
	}
	d.lock.Release()
	return nil
}

// jsonLogger logs JSON lines to w.
func jsonLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }
