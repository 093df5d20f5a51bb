// Package localcloud runs the whole of Hush on one machine: DynamoDB Local,
// cognito-local and one local API gateway per region of a stack, serving the
// same handlers that run in Lambda.
//
// The table is a global table that behaves like one: DynamoDB Local runs
// without -sharedDb, so it keeps a replica per region (a database per
// signing region); each region's functions reach the replicas through the
// links of package regionnet (a cross-region round-trip time, partitions,
// replicas that are down), and package replicator copies every committed
// change to the other replicas after a delay, last writer wins. Every write
// goes to the write region's replica, as the Lambda write function does,
// admitted by the same fence; the write region is data in the table
// (package writeregion), seeded at start and moved by writeregion.Operator;
// reads stay in their region. The user pool lives in cognito-local, as the
// cloud pool lives in the home region.
//
// Start composes the stack from parts, each opening in one step and
// closing in reverse order on Close: the data dir (lock and logs), the
// ports, the DynamoDB Local process, cognito-local and the user pool, the
// global table (links, replicas, replicator), the functions, the gateways
// and the edge (front door and status page). See start.go.
//
// The API other parts of Hush (the e2e suite, drills, the front door and
// status page) build on, stable:
//
//   - Faults(): breaks and restores a region's gateway, replica, network
//     or health check, and moves the write region through
//     writeregion.Operator (drill.Breaker);
//   - Operator(ctx, from): the operator of the write region, as hush-ops runs
//     it, reaching the replicas from one region;
//   - NetworkStates(): which regions are cut off or down;
//   - WriteRegion(), WriteRegionBelief(): where the views say writes go;
//   - ReplicationLinks(): per link (From, To) the Backlog, Lag (age of the
//     oldest change waiting), LastLag and Applied; ReplicationDelay();
//   - SetWriteTimeout(ctx, d): the bound of a write (DefaultWriteTimeout
//     locally, api.DefaultWriteTimeout in Lambda);
//   - SetWriteRouting(ctx, on): a test hook; off, each region writes its
//     own replica, which the race tests' control run needs;
//   - SetUnfenced(ctx, unfenced): a test switch; the write functions admit
//     writes on their belief alone, without a lease.
//
// The replicator keeps its stream positions and queued changes in
// <data dir>/replicator and resumes from them after a restart (see package
// replicator).
package localcloud

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/hush-scores/hush/localcloud/cognitolocal"
)

// Stack is a running local stack: its parts, each of which owns its
// lifecycle (see start.go for the order they open in).
type Stack struct {
	info Info
	set  settings
	life *life

	data      *dataDir
	ports     gatewayPorts
	dynamo    *dynamoDB
	cognito   *cognitolocal.Server
	table     *globalTable
	beliefs   *beliefs
	functions *functions
	gateways  *gateways
	edge      *edge

	// closers close the parts opened so far, in reverse order.
	closers []func() error
	// tempDir is the data dir StartTemp made, which Close removes last.
	tempDir   string
	closeOnce sync.Once
	closeErr  error
}

// life is the stack's own lifetime, apart from Start's context: it ends
// with Close, or with the first part that fails on its own.
type life struct {
	// ctx ends with Close; the parts that run in the background (the
	// authorizers' key refresh) live as long as it.
	ctx context.Context
	end context.CancelFunc
	// closing is closed by Close; done when a part fails, err says why.
	closing chan struct{}
	done    chan struct{}
	once    sync.Once
	err     error
}

func newLife(ctx context.Context) *life {
	l := &life{closing: make(chan struct{}), done: make(chan struct{})}
	l.ctx, l.end = context.WithCancel(context.WithoutCancel(ctx))
	return l
}

// fail records the first part that stopped on its own.
func (l *life) fail(err error) {
	l.once.Do(func() {
		l.err = err
		close(l.done)
	})
}

// usable refuses to change a part once the stack is closing or has
// failed, or when ctx has ended.
func (l *life) usable(ctx context.Context) error {
	select {
	case <-l.closing:
		return errors.New("localcloud: the stack is closed")
	case <-l.done:
		return fmt.Errorf("localcloud: the stack has failed: %w", l.err)
	default:
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("localcloud: %w", err)
	}
	return nil
}

// watch reports the first emulator that exits on its own. DynamoDB Local
// stopped by StopDynamoDB is not a crash: the watcher waits for
// StartDynamoDB and then watches the new process.
func (s *Stack) watch() {
	for {
		d, stopped, changed := s.dynamo.state()
		var dynamoDone <-chan struct{} // nil while stopped on purpose: never ready
		if !stopped {
			dynamoDone = d.Done()
		}
		select {
		case <-s.life.closing:
			return
		case <-changed:
		case <-dynamoDone:
			if s.dynamo.deliberate(d) {
				continue
			}
			select {
			case <-s.life.closing:
			default:
				s.life.fail(fmt.Errorf("localcloud: DynamoDB Local stopped unexpectedly (%w); its last output:\n%s", d.Err(), d.Output()))
			}
			return
		case <-s.cognito.Done():
			if err := s.cognito.Err(); err != nil {
				s.life.fail(fmt.Errorf("localcloud: %w", err))
			}
			return
		}
	}
}

// StopDynamoDB stops DynamoDB Local and waits for it to exit, leaving the
// gateways running, so tests can watch the API while its table is
// unreachable. The stack does not report the exit as a failure. Stopping a
// stopped instance does nothing.
func (s *Stack) StopDynamoDB(ctx context.Context) error { return s.dynamo.stop(ctx) }

// StartDynamoDB starts DynamoDB Local again after StopDynamoDB, on the same
// port and data directory, so the gateways' clients reconnect by themselves
// and find every item written before the stop. It returns once the port
// answers; ctx bounds only the start-up. Starting a running instance does
// nothing.
func (s *Stack) StartDynamoDB(ctx context.Context) error {
	started, err := s.dynamo.start(ctx)
	if started {
		s.functions.warmUp(ctx)
	}
	return err
}

// Info returns what a client needs to use the stack.
func (s *Stack) Info() Info { return s.info }

// Done is closed when a part of the stack stops unexpectedly; Err then says
// which and why. Close does not close it.
func (s *Stack) Done() <-chan struct{} { return s.life.done }

// Err returns why the stack failed, or nil.
func (s *Stack) Err() error {
	select {
	case <-s.life.done:
		return s.life.err
	default:
		return nil
	}
}

// PIDs returns the process IDs of the emulators (each also a process group).
func (s *Stack) PIDs() []int {
	var pids []int
	if s.dynamo != nil {
		pids = append(pids, s.dynamo.pid())
	}
	if s.cognito != nil {
		pids = append(pids, s.cognito.PID())
	}
	return pids
}

// Close closes every part in the reverse order of Start: the edge first
// (its checks would report the gateways stopping), the gateways, the
// global table, the emulators, and the data dir's lock last, after the
// emulators that used its data. It waits for each and is idempotent.
func (s *Stack) Close() error {
	s.closeOnce.Do(func() {
		close(s.life.closing)
		s.life.end()
		var errs []error
		for i := len(s.closers) - 1; i >= 0; i-- {
			if err := s.closers[i](); err != nil {
				errs = append(errs, err)
			}
		}
		if s.tempDir != "" {
			if err := os.RemoveAll(s.tempDir); err != nil {
				errs = append(errs, fmt.Errorf("localcloud: remove the data dir: %w", err))
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
