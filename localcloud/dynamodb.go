package localcloud

import (
	"context"
	"fmt"
	"sync"

	"github.com/hush-scores/hush/internal/dynamolocal"
)

// dynamoDB is the DynamoDB Local process, a replica per region in one
// process. Tests stop it and start it again on the same port and data;
// the stack's watcher tells such a stop from a crash.
type dynamoDB struct {
	opts dynamolocal.Options
	// usable refuses a stop or start once the stack is closing or failed;
	// it is called with op held, so Close (which takes op) waits for a
	// start in progress and then stops what it started.
	usable func(context.Context) error

	// op serialises stop, start and close.
	op sync.Mutex
	// mu guards the fields below, which the watcher reads.
	mu   sync.Mutex
	inst *dynamolocal.Instance
	// stopped is true between stop and start, so the watcher does not
	// report the deliberate exit as a crash.
	stopped bool
	// changed is closed (and replaced) whenever the fields above change,
	// to wake the watcher.
	changed chan struct{}
}

// openDynamoDB starts DynamoDB Local with a database per signing region.
func openDynamoDB(ctx context.Context, opts dynamolocal.Options, usable func(context.Context) error) (*dynamoDB, error) {
	opts.PerRegion = true // a replica per region
	inst, err := dynamolocal.Start(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("localcloud: %w", err)
	}
	// A restart must come back where the clients look for it.
	opts.Port = inst.Port()
	return &dynamoDB{opts: opts, usable: usable, inst: inst, changed: make(chan struct{})}, nil
}

// state returns the current process, whether it was stopped on purpose,
// and a channel closed at the next change of either.
func (d *dynamoDB) state() (inst *dynamolocal.Instance, stopped bool, changed <-chan struct{}) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.inst, d.stopped, d.changed
}

// deliberate reports whether inst's exit was asked for: it was stopped, or
// replaced.
func (d *dynamoDB) deliberate(inst *dynamolocal.Instance) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stopped || d.inst != inst
}

// set changes the process and its state and wakes the watcher.
func (d *dynamoDB) set(inst *dynamolocal.Instance, stopped bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.inst, d.stopped = inst, stopped
	close(d.changed)
	d.changed = make(chan struct{})
}

// stop stops the process and waits for it to exit; stopping a stopped one
// does nothing.
func (d *dynamoDB) stop(ctx context.Context) error {
	d.op.Lock()
	defer d.op.Unlock()
	if err := d.usable(ctx); err != nil {
		return err
	}
	inst, stopped, _ := d.state()
	d.set(inst, true)
	if stopped {
		return nil
	}
	if err := inst.Stop(); err != nil {
		return fmt.Errorf("localcloud: stop DynamoDB Local: %w", err)
	}
	return nil
}

// start starts the process again after stop, on the same port and data,
// and reports whether it did; starting a running one does nothing.
func (d *dynamoDB) start(ctx context.Context) (started bool, err error) {
	d.op.Lock()
	defer d.op.Unlock()
	if err := d.usable(ctx); err != nil {
		return false, err
	}
	if _, stopped, _ := d.state(); !stopped {
		return false, nil
	}
	inst, err := dynamolocal.Start(ctx, d.opts)
	if err != nil {
		return false, fmt.Errorf("localcloud: restart DynamoDB Local on port %d: %w", d.opts.Port, err)
	}
	d.set(inst, false)
	return true, nil
}

// pid returns the current process's ID (also its process group's).
func (d *dynamoDB) pid() int {
	inst, _, _ := d.state()
	return inst.PID()
}

// close stops the process, after a start in progress has finished.
func (d *dynamoDB) close() error {
	d.op.Lock()
	defer d.op.Unlock()
	inst, _, _ := d.state()
	return inst.Stop()
}
