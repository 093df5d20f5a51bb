// Package writeregion keeps the write region as data: which region's
// replica takes every write, at which epoch, and whether writes are open.
// It knows nothing of AWS; package dynamo keeps the views in the table.
//
// The record is not one item but one view per replica. Each replica's view
// is written only in that replica, by the functions that renew a lease
// through it and by the operator; the other replicas hold copies that the
// global table replicates for reading. A single item written in several
// replicas is exactly what a global table settles by last writer wins: a
// forced move written in the surviving replicas could be overwritten, once
// the lost region returns, by whatever that region's replica wrote last. With
// one writer per view, replication never has to choose between two.
//
// The fence is a lease. A write is admitted only while the function holds a
// lease on its belief (write region, epoch, open), granted by a majority of
// the stack's views, each conditionally, in its own replica. A move first
// writes a newer epoch into enough views that no majority can grant the old
// one again (MoveQuorum), then waits until every lease those views granted
// has run out, and only then opens the new write region. An old write region
// cut off from the others can renew through its own view alone, which is no
// majority, so it stops admitting writes when its lease runs out, before the
// new one opens.
//
// Fence (fence.go) holds a function's belief and lease and admits writes;
// NewStore (store.go) sends each write where the fence admits it. Operator
// (operator.go) pauses, resumes and moves the write region for hush-ops.
// MemControl (memcontrol.go) is a Control in memory for tests.
package writeregion

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// State says whether the write region admits writes.
type State string

// The states of a view.
const (
	// Open admits writes (while a lease is held).
	Open State = "open"
	// Paused admits none: an operator paused writes, or a move is under way.
	Paused State = "paused"
)

// View is what one replica records about the write region.
type View struct {
	// Replica is the region whose replica holds this view and alone writes
	// it.
	Replica string
	// WriteRegion is the region whose replica takes every write.
	WriteRegion string
	// Epoch only grows: every move writes a greater one, conditionally.
	Epoch int64
	// State is Open or Paused.
	State State
	// LeaseUntil is the end of the latest lease this view granted, on the
	// clock of the function that asked; zero when it granted none.
	LeaseUntil time.Time
	// Changed is when WriteRegion, Epoch or State last changed, and By who
	// changed them ("seed", "hush-ops move", a function adopting a newer
	// epoch, ...).
	Changed time.Time
	By      string
	// Drain is the token of the operator's latest drain marker, written in
	// the write region's own view to see when replication has carried
	// everything before it to the other replicas.
	Drain string
}

// Belief is what a function believes of the write region.
type Belief struct {
	WriteRegion string
	Epoch       int64
	State       State
}

// Of returns the belief a view holds.
func (v View) Of() Belief { return Belief{WriteRegion: v.WriteRegion, Epoch: v.Epoch, State: v.State} }

// Believe returns the belief the views support: the view with the greatest
// epoch, Paused when any view at that epoch is paused (a pause may have
// reached some views only). It returns false when there is no view.
func Believe(views []View) (Belief, bool) {
	var b Belief
	found := false
	for _, v := range views {
		switch {
		case !found || v.Epoch > b.Epoch:
			b, found = v.Of(), true
		case v.Epoch == b.Epoch && v.State == Paused:
			b.State = Paused
		}
	}
	return b, found
}

// Majority is how many of n views must grant a lease: more than half.
func Majority(n int) int { return n/2 + 1 }

// MoveQuorum is how many of n views a move (or a pause) must change so that
// no Majority of the rest can still grant the old belief: the two sets
// always share a view.
func MoveQuorum(n int) int { return n - Majority(n) + 1 }

// Timing of the fence, shared by the functions and the operator.
const (
	// DefaultLease is how long a granted lease lasts. A forced move waits
	// up to this (plus Margin) after fencing the old epoch, so it bounds
	// how long writes stay refused after the operator acts; a function
	// renews once its lease has less than its write bound and a second left,
	// so it costs a renewal (one conditional update per replica) every few
	// seconds per busy function instance.
	DefaultLease = 5 * time.Second
	// DefaultBeliefTTL is how long a function trusts the views it read from
	// its own replica before reading them again. A second: a move is seen
	// within a second of reaching the replica, and a busy function reads one
	// small partition once a second. Staleness is safe either way: the
	// lease, not the belief, admits a write.
	DefaultBeliefTTL = time.Second
	// Margin covers clock skew between the function that took a lease and
	// the operator waiting it out, and a write's request still in flight at
	// its deadline.
	Margin = 500 * time.Millisecond
)

// Control reads the views held in one replica and writes that replica's
// own view, every call strongly consistent in that replica. Package dynamo
// implements it over the table.
type Control interface {
	// Region is the region of the replica.
	Region() string
	// Views returns every view the replica holds: its own, current, and the
	// other replicas' as replicated so far.
	Views(ctx context.Context) ([]View, error)
	// Seed writes v as the replica's own view when it has none; it returns
	// ErrRefused and the view when it has one. Seeding never overwrites.
	Seed(ctx context.Context, v View) (View, error)
	// Renew grants a lease on b until the given time, recording by, when the
	// replica's own view says b and b is Open, or when the view's epoch is
	// older than b's (the view then adopts b). Otherwise it returns
	// ErrRefused and the view as it stands, so the caller learns the newer
	// belief.
	Renew(ctx context.Context, b Belief, until time.Time, by string) (View, error)
	// Set makes the replica's own view say b, recording by: when the view's
	// epoch is older than b's (a move), or the same with the same write
	// region (a pause or a resume). Otherwise ErrRefused and the view. It
	// returns the view as it was before the change, whose LeaseUntil is the
	// last lease it granted under the old belief.
	Set(ctx context.Context, b Belief, by string) (View, error)
	// Mark writes token as the drain marker of the replica's own view.
	Mark(ctx context.Context, token string) error
}

// Errors of a Control. Both wrap the context of the call.
var (
	// ErrRefused is a conditional write the view refused: it says
	// something else than the caller expected. The View returned beside it
	// is the view as it stands.
	ErrRefused = errors.New("writeregion: the view refused")
	// ErrNoView is a replica that holds no view of its own yet (not seeded).
	ErrNoView = errors.New("writeregion: no view in this replica")
)

// SeedAll seeds the view of every replica with b, recording by, where it
// has none: a replica seeded already keeps its view, so seeding again (a
// later deployment, a restarted local stack) never reverts a move made at
// run time. It tries every replica and returns the errors of those it
// could not reach.
func SeedAll(ctx context.Context, replicas []Control, b Belief, by string) error {
	var errs []error
	for _, c := range replicas {
		_, err := c.Seed(ctx, View{Replica: c.Region(), WriteRegion: b.WriteRegion, Epoch: b.Epoch, State: b.State, Changed: time.Now(), By: by})
		if err != nil && !errors.Is(err, ErrRefused) {
			errs = append(errs, fmt.Errorf("writeregion: seed the view of %s: %w", c.Region(), err))
		}
	}
	return errors.Join(errs...)
}
