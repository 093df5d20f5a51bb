package localcloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/writeregion"
)

// The write region of a local stack is data in its table, as in the cloud
// (package writeregion): one view per replica, seeded at start, read by
// every function from its own replica, moved by writeregion.Operator.

// seedBy is what a view seeded by the local cloud records as its author.
const seedBy = "seed (local stack)"

// seedWriteRegionStep seeds every replica's own view with the stack's write
// region (Options.WriteRegion, else hush:writeRegion, else the first
// region) at epoch 1, open. Seeding never overwrites: a stack restarted on
// its data dir keeps the views it had, a move made at run time included.
func seedWriteRegionStep(ctx context.Context, s *Stack) error {
	for _, r := range s.set.regions {
		c, err := s.table.clients.get(ctx, r, r, clientSetup)
		if err != nil {
			return err
		}
		seed := writeregion.View{Replica: r, WriteRegion: s.set.writeRegion, Epoch: 1, State: writeregion.Open, By: seedBy}
		if _, err := dynamo.NewControl(c, s.set.name, r).Seed(ctx, seed); err != nil && !errors.Is(err, writeregion.ErrRefused) {
			return fmt.Errorf("localcloud: seed the write region view of %s: %w", r, err)
		}
	}
	return nil
}

// Operator returns an operator of the stack's write region, as `hush-ops
// write-region` runs it, standing in region from: each replica is reached
// from there, so a region cut off from from does not answer it, as a
// region lost to the operator does not. An empty from stands in the
// replica's own region (every replica answers unless it is down).
func (s *Stack) Operator(ctx context.Context, from string) (*writeregion.Operator, error) {
	if from != "" && !slices.Contains(s.set.regions, from) {
		return nil, fmt.Errorf("localcloud: %q is not a region of this stack", from)
	}
	replicas := map[string]writeregion.Control{}
	for _, r := range s.set.regions {
		c, err := s.table.clients.get(ctx, cmp.Or(from, r), r, clientSetup)
		if err != nil {
			return nil, err
		}
		replicas[r] = dynamo.NewControl(c, s.set.name, r)
	}
	return &writeregion.Operator{Regions: slices.Clone(s.set.regions), Replicas: replicas}, nil
}

// MoveWriteRegion moves the write region to region with writeregion.Operator
// standing in region (see Operator): a planned move, or with force one on
// the replicas that answer, for a write region that is lost or cut off.
// It is the drill controls' and the console's `write-region`.
func (f *Faults) MoveWriteRegion(ctx context.Context, region string, force bool) error {
	op, err := f.s.Operator(ctx, region)
	if err != nil {
		return err
	}
	if err := op.Move(ctx, region, force); err != nil {
		return fmt.Errorf("localcloud: move the write region to %s: %w", region, err)
	}
	f.s.beliefs.refresh(ctx)
	return nil
}

// WriteRegion returns the region the stack's views say takes every write:
// the belief of the views every replica holds (writeregion.Believe), read
// at most writeregion.DefaultBeliefTTL ago; "" before the first read
// succeeded.
func (s *Stack) WriteRegion() string {
	if s.beliefs == nil {
		return s.set.writeRegion
	}
	return s.beliefs.current().WriteRegion
}

// ReadWriteRegion reads the views of every replica now and returns the
// write region they support; what WriteRegion answers follows. A test or
// drill that acts on the write region right after a move made elsewhere
// (hush-ops, a DataPlane's operator) uses it: WriteRegion may be up to
// writeregion.DefaultBeliefTTL behind such a move.
func (s *Stack) ReadWriteRegion(ctx context.Context) string {
	if s.beliefs == nil {
		return s.set.writeRegion
	}
	s.beliefs.refresh(ctx)
	return s.beliefs.current().WriteRegion
}

// WriteRegionBelief returns the whole belief WriteRegion is part of: the
// write region, its epoch and whether writes are open.
func (s *Stack) WriteRegionBelief() writeregion.Belief {
	if s.beliefs == nil {
		return writeregion.Belief{}
	}
	return s.beliefs.current()
}

// beliefs keeps the stack's belief of the write region fresh in the
// background, so that WriteRegion, which the front door asks on every
// request under its lock, never waits on a replica.
type beliefs struct {
	s       *Stack
	belief  atomic.Pointer[writeregion.Belief]
	refresh func(ctx context.Context)
	// moved is told of a new write region (the front door's default
	// vantage follows it).
	moved func(region string)
}

// beliefCallTimeout bounds each read of a replica's views.
const beliefCallTimeout = time.Second

func newBeliefs(s *Stack) *beliefs {
	b := &beliefs{s: s}
	var mu sync.Mutex
	b.refresh = func(ctx context.Context) {
		mu.Lock()
		defer mu.Unlock()
		var views []writeregion.View
		var vmu sync.Mutex
		var wg sync.WaitGroup
		for _, r := range s.set.regions {
			wg.Go(func() {
				c, err := s.table.clients.get(ctx, r, r, clientSetup)
				if err != nil {
					return
				}
				cctx, cancel := context.WithTimeout(ctx, beliefCallTimeout)
				defer cancel()
				vs, err := dynamo.NewControl(c, s.set.name, r).Views(cctx)
				if err != nil {
					return // a replica that is down says nothing
				}
				vmu.Lock()
				views = append(views, vs...)
				vmu.Unlock()
			})
		}
		wg.Wait()
		nb, ok := writeregion.Believe(views)
		if !ok {
			return
		}
		old := b.belief.Swap(&nb)
		if old != nil && old.WriteRegion != nb.WriteRegion && b.moved != nil {
			b.moved(nb.WriteRegion)
		}
	}
	return b
}

func (b *beliefs) current() writeregion.Belief {
	if p := b.belief.Load(); p != nil {
		return *p
	}
	return writeregion.Belief{}
}

// watch refreshes the belief every writeregion.DefaultBeliefTTL until ctx
// ends, telling moved of a new write region.
func (b *beliefs) watch(ctx context.Context) {
	t := time.NewTicker(writeregion.DefaultBeliefTTL)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			b.refresh(ctx)
		}
	}
}

// openBeliefsStep reads the seeded belief once; the edge step starts
// keeping it fresh (watch) once the front door can follow it.
func openBeliefsStep(ctx context.Context, s *Stack) error {
	b := newBeliefs(s)
	b.refresh(ctx)
	if b.belief.Load() == nil {
		return errors.New("localcloud: no replica holds a view of the write region after seeding")
	}
	s.beliefs = b
	return nil
}
