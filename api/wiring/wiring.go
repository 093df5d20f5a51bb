// Package wiring decides what each Lambda function of Hush is given in a
// region: which table replicas its stores reach, through which kind of
// client, and how the write region, which is data in the table (package
// writeregion), reaches its handlers. The decision is a pure function, so
// the Lambda mains (handlers/internal/tablestore) and the local cloud make
// the same one; each opens the stores its own way (AWS clients in Lambda,
// clients of the emulated replicas locally).
package wiring

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/scores"
	"github.com/hush-scores/hush/writeregion"
)

// Kind is the kind of client a store or a control is opened with.
type Kind int

// The kinds of client.
const (
	// Read reaches the function's own region's replica with the
	// functions' read bounds.
	Read Kind = iota + 1
	// Write reaches a replica with the write path's bounds
	// (dynamo.ConfigureWriteClient): the writer's stores and controls.
	Write
	// Probe reaches another region's replica for health's write_path.
	Probe
)

func (k Kind) String() string {
	switch k {
	case Read:
		return "read"
	case Write:
		return "write"
	case Probe:
		return "probe"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Plan is what one function gets in one region.
type Plan struct {
	// Stores are the replicas the function opens a store of, by region,
	// with the kind of client of each.
	Stores map[string]Kind
	// Controls are the replicas whose write-region views the function
	// reads or writes, by region, with the kind of client of each. The
	// function's own region's is where its belief is read.
	Controls map[string]Kind
	// Fenced is true when the store is the fence's (writeregion.NewStore):
	// every write goes to the replica the fence admits.
	Fenced bool
}

// Decide returns the plan of fn in region of a stack of regions. A function
// that only reads reads its own region's replica, its belief included, and
// probes every other region's replica, for the write region may move to
// any of them at run time. The write function holds a store and a control
// of every region's replica with the write path's bounds: it writes the
// one its fence admits and renews its lease through all of them. A
// function without table access, or an unknown one, gets nothing
// (NewHandler then refuses an unknown one).
func Decide(fn api.Function, region string, regions []string) Plan {
	switch access(fn) {
	case api.AccessRead:
		p := Plan{Stores: map[string]Kind{region: Read}, Controls: map[string]Kind{region: Read}}
		for _, r := range regions {
			if r != region {
				p.Stores[r] = Probe
			}
		}
		return p
	case api.AccessWrite:
		p := Plan{Stores: map[string]Kind{}, Controls: map[string]Kind{}, Fenced: true}
		for _, r := range withRegion(regions, region) {
			p.Stores[r], p.Controls[r] = Write, Write
		}
		return p
	}
	return Plan{}
}

func withRegion(regions []string, region string) []string {
	if slices.Contains(regions, region) {
		return regions
	}
	return append(slices.Clone(regions), region)
}

func access(fn api.Function) api.Access {
	for _, spec := range api.Functions() {
		if spec.Name == fn {
			return spec.Access
		}
	}
	return api.AccessNone
}

// Store is what a function's store must do: keep the matches, and answer a
// ping for the write path's health. *dynamo.Store is one.
type Store interface {
	scores.Store
	api.Pinger
}

// Opener opens what a function needs of one region's replica through a
// client of the given kind.
type Opener interface {
	Store(kind Kind, region string) (Store, error)
	Control(kind Kind, region string) (writeregion.Control, error)
}

// Config is what Deps needs besides the opener.
type Config struct {
	// Function is the function wired, Region where it runs, Regions every
	// region of the stack.
	Function api.Function
	Region   string
	Regions  []string
	// WriteTimeout is the bound of each write (api.Deps.WriteTimeout); the
	// fence admits a write only while its lease outlives it. 0 means
	// api.DefaultWriteTimeout.
	WriteTimeout time.Duration
	// Unfenced is a TEST SWITCH: the write function admits a write on its
	// belief alone, without a lease (writeregion.FenceConfig.Unfenced), to
	// show that the fence is what keeps two regions from both writing.
	// Never set in a stack someone uses.
	Unfenced bool
	// Now is the fence's clock; nil means time.Now.
	Now func() time.Time
}

// Deps returns the dependencies of the function cfg names as Decide plans
// them: Region, Store, Belief and WriteProbes, with the stores and controls
// opened by open. The write function's store is the fence's; the read
// function's belief is its own replica's views, cached for
// writeregion.DefaultBeliefTTL. The caller adds the rest (Logger, Now,
// WriteTimeout).
func Deps(cfg Config, open Opener) (api.Deps, error) {
	plan := Decide(cfg.Function, cfg.Region, cfg.Regions)
	deps := api.Deps{Region: cfg.Region}
	if len(plan.Stores) == 0 {
		return deps, nil
	}
	stores := map[string]Store{}
	for _, r := range slices.Sorted(maps.Keys(plan.Stores)) {
		s, err := open.Store(plan.Stores[r], r)
		if err != nil {
			return api.Deps{}, fmt.Errorf("wiring: %s store of %s in %s: %w", plan.Stores[r], cfg.Function, r, err)
		}
		stores[r] = s
	}
	controls := map[string]writeregion.Control{}
	for _, r := range slices.Sorted(maps.Keys(plan.Controls)) {
		c, err := open.Control(plan.Controls[r], r)
		if err != nil {
			return api.Deps{}, fmt.Errorf("wiring: %s control of %s in %s: %w", plan.Controls[r], cfg.Function, r, err)
		}
		controls[r] = c
	}
	if !plan.Fenced {
		deps.Store = stores[cfg.Region]
		deps.Belief = NewBeliefCache(controls[cfg.Region], cfg.Now)
		deps.WriteProbes = map[string]api.Pinger{}
		for r, s := range stores {
			if r != cfg.Region {
				deps.WriteProbes[r] = s
			}
		}
		return deps, nil
	}
	bound := cmp.Or(cfg.WriteTimeout, api.DefaultWriteTimeout)
	fence, err := writeregion.NewFence(writeregion.FenceConfig{
		Region:     cfg.Region,
		Regions:    withRegion(cfg.Regions, cfg.Region),
		Local:      controls[cfg.Region],
		Replicas:   controls,
		Now:        cfg.Now,
		Lease:      Lease(bound),
		WriteBound: bound,
		By:         fmt.Sprintf("%s@%s", cfg.Function, cfg.Region),
		Unfenced:   cfg.Unfenced,
	})
	if err != nil {
		return api.Deps{}, fmt.Errorf("wiring: fence of %s in %s: %w", cfg.Function, cfg.Region, err)
	}
	byRegion := make(map[string]scores.Store, len(stores))
	for r, s := range stores {
		byRegion[r] = s
	}
	deps.Store = fencedStore{Store: writeregion.NewStore(fence, byRegion), ping: stores[cfg.Region]}
	deps.Belief = fence
	return deps, nil
}

// Lease returns the lease a write function takes with writes bounded by
// bound: writeregion.DefaultLease, unless a write bound loosened for a busy
// machine (a local stack's Options.WriteTimeout) leaves it too short to
// admit a write and renew ahead, when it is the bound, the renewal ahead
// and DefaultLease's own slack beyond the Lambda bound. A longer lease is
// as safe (the operator waits out the leases the views recorded), only a
// forced move waits longer.
func Lease(bound time.Duration) time.Duration {
	slack := writeregion.DefaultLease - api.DefaultWriteTimeout - writeregion.RenewAhead
	if floor := bound + writeregion.RenewAhead + slack; floor > writeregion.DefaultLease {
		return floor
	}
	return writeregion.DefaultLease
}

// fencedStore is the fence's store with the ping of the function's own
// replica, so the write function's Store stays a Store, and with the
// fence's refusals told apart from defects (see defect).
type fencedStore struct {
	scores.Store
	ping api.Pinger
}

func (s fencedStore) Ping(ctx context.Context) error { return s.ping.Ping(ctx) }

func (s fencedStore) CreateMatch(ctx context.Context, m scores.Match) error {
	return defect(s.Store.CreateMatch(ctx, m))
}

func (s fencedStore) PutMatch(ctx context.Context, m scores.Match, caller scores.Caller) error {
	return defect(s.Store.PutMatch(ctx, m, caller))
}

func (s fencedStore) DeleteMatch(ctx context.Context, tournamentID, matchID string, caller scores.Caller) error {
	return defect(s.Store.DeleteMatch(ctx, tournamentID, matchID, caller))
}

// defect returns err, unless it is the fence's refusal (CodeUnavailable,
// answered 503) caused by a defect of the deployment, such as a grant
// missing from the function's role (package dynamo classifies those
// CodeInternal): then it returns the defect, answered 500, as every other
// call that meets one. A 503 says "try again later"; a missing grant never
// heals by itself, and alarms and tests look for the 500.
func defect(err error) error {
	var refusal *scores.Error
	if !errors.As(err, &refusal) || refusal.Code != scores.CodeUnavailable || refusal.Err == nil {
		return err
	}
	var cause *scores.Error
	if errors.As(refusal.Err, &cause) && cause.Code == scores.CodeInternal {
		return &scores.Error{Code: scores.CodeInternal, Message: cause.Message, Err: fmt.Errorf("wiring: the fence refused (%s): %w", refusal.Message, refusal.Err)}
	}
	return err
}

// BeliefCache is the belief of a function that does not write: the views
// of its own replica, read at most once per writeregion.DefaultBeliefTTL
// (see there why a second). It needs no lease: it admits nothing.
type BeliefCache struct {
	control writeregion.Control
	now     func() time.Time

	mu     sync.Mutex
	read   time.Time
	belief writeregion.Belief
}

// NewBeliefCache returns the cached belief of control's replica; a nil now
// means time.Now.
func NewBeliefCache(control writeregion.Control, now func() time.Time) *BeliefCache {
	if now == nil {
		now = time.Now
	}
	return &BeliefCache{control: control, now: now}
}

// Belief returns the belief the replica's views support, read again once
// the cached one is DefaultBeliefTTL old. A replica without views is
// writeregion.ErrNoView; a replica that cannot be read is its error, and
// the last belief read stays cached for the next call.
func (c *BeliefCache) Belief(ctx context.Context) (writeregion.Belief, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.read.IsZero() && c.now().Sub(c.read) < writeregion.DefaultBeliefTTL {
		return c.belief, nil
	}
	views, err := c.control.Views(ctx)
	if err != nil {
		return writeregion.Belief{}, fmt.Errorf("wiring: views of %s: %w", c.control.Region(), err)
	}
	b, ok := writeregion.Believe(views)
	if !ok {
		return writeregion.Belief{}, fmt.Errorf("wiring: views of %s: %w", c.control.Region(), writeregion.ErrNoView)
	}
	c.read, c.belief = c.now(), b
	return b, nil
}
