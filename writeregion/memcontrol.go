package writeregion

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hush-scores/hush/scores"
)

// MemControl is a Control over memory, for tests of the fence, the
// operator and the commands built on them: one per region, each holding
// its own view and the copies of the others that Replicate gave it. Its
// conditions are those of package dynamo's Control, so what a test proves
// with it holds for the table. Cut and Hang make the replica unreachable,
// the two ways a lost region shows: refused at once, or no answer.
type MemControl struct {
	mu     sync.Mutex
	region string
	views  map[string]View
	cut    error
	hang   bool
	// release is closed by Hang(false), ending the calls that hang.
	release chan struct{}
	pending int
	calls   map[string]int
}

var _ Control = (*MemControl)(nil)

// NewMemControl returns the empty replica of region: no view, reachable.
func NewMemControl(region string) *MemControl {
	return &MemControl{region: region, views: map[string]View{}, calls: map[string]int{}}
}

// Region returns the region of the replica.
func (m *MemControl) Region() string { return m.region }

// Cut makes every call fail at once with an unavailable error wrapping err,
// as a replica behind a refused connection does; Cut(nil) restores it,
// holding whatever it held.
func (m *MemControl) Cut(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cut = err
}

// Hang makes every call wait until its context ends, as a replica behind a
// black hole does; Hang(false) restores it and fails the calls that were
// waiting, as a connection that comes back too late does.
func (m *MemControl) Hang(on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case on && !m.hang:
		m.release = make(chan struct{})
	case !on && m.hang:
		close(m.release)
	}
	m.hang = on
}

// Pending returns how many calls are waiting on a hung replica.
func (m *MemControl) Pending() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pending
}

// Calls returns how many calls of op ("Views", "Seed", "Renew", "Set",
// "Mark") the replica received, answered or not.
func (m *MemControl) Calls(op string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[op]
}

// Own returns the replica's own view, reachable or not.
func (m *MemControl) Own() (View, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.views[m.region]
	return v, ok
}

// Replicate copies the own view of every reachable replica among cs into
// every other reachable one, as a global table that has caught up does.
// A cut or hung replica neither sends nor receives.
func Replicate(cs ...*MemControl) {
	var own []View
	for _, c := range cs {
		c.mu.Lock()
		if v, ok := c.views[c.region]; ok && c.reachable() {
			own = append(own, v)
		}
		c.mu.Unlock()
	}
	for _, c := range cs {
		c.mu.Lock()
		if c.reachable() {
			for _, v := range own {
				if v.Replica != c.region {
					c.views[v.Replica] = v
				}
			}
		}
		c.mu.Unlock()
	}
}

func (m *MemControl) reachable() bool { return m.cut == nil && !m.hang }

// enter counts a call of op and waits out a hang; it returns with m.mu held
// when the replica answers.
func (m *MemControl) enter(ctx context.Context, op string) error {
	m.mu.Lock()
	m.calls[op]++
	if m.hang {
		m.pending++
		release := m.release
		m.mu.Unlock()
		var err error
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-release:
			err = errors.New("no answer before the replica came back")
		}
		m.mu.Lock()
		m.pending--
		m.mu.Unlock()
		return m.unavailable(op, err)
	}
	if m.cut != nil {
		err := m.cut
		m.mu.Unlock()
		return m.unavailable(op, err)
	}
	if err := ctx.Err(); err != nil {
		m.mu.Unlock()
		return m.unavailable(op, err)
	}
	return nil
}

func (m *MemControl) unavailable(op string, err error) error {
	return fmt.Errorf("memory view of %s: %s: %w", m.region, op,
		&scores.Error{Code: scores.CodeUnavailable, Message: "table unavailable", Err: err})
}

func (m *MemControl) refused(op string, v View) (View, error) {
	return v, fmt.Errorf("memory view of %s: %s: the view says %s at epoch %d, %s: %w", m.region, op, v.WriteRegion, v.Epoch, v.State, ErrRefused)
}

// Views returns every view the replica holds, its own first, then the
// copies by region.
func (m *MemControl) Views(ctx context.Context) ([]View, error) {
	if err := m.enter(ctx, "Views"); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	views := make([]View, 0, len(m.views))
	for _, v := range m.views {
		views = append(views, v)
	}
	sort.Slice(views, func(i, j int) bool {
		if (views[i].Replica == m.region) != (views[j].Replica == m.region) {
			return views[i].Replica == m.region
		}
		return views[i].Replica < views[j].Replica
	})
	return views, nil
}

// Seed writes v as the replica's own view when it has none.
func (m *MemControl) Seed(ctx context.Context, v View) (View, error) {
	if err := m.enter(ctx, "Seed"); err != nil {
		return View{}, err
	}
	defer m.mu.Unlock()
	if old, ok := m.views[m.region]; ok {
		return m.refused("seed", old)
	}
	v.Replica = m.region
	v.LeaseUntil, v.Drain = time.Time{}, ""
	if v.By == "" {
		v.By = "seed"
	}
	m.views[m.region] = v
	return v, nil
}

// Renew grants a lease on b when the own view says b, open, or holds an
// older epoch (adopting b).
func (m *MemControl) Renew(ctx context.Context, b Belief, until time.Time, by string) (View, error) {
	if b.State != Open {
		return View{}, fmt.Errorf("memory view of %s: renew: a lease on a %s belief", m.region, b.State)
	}
	if err := m.enter(ctx, "Renew"); err != nil {
		return View{}, err
	}
	defer m.mu.Unlock()
	v, ok := m.views[m.region]
	if !ok {
		return View{}, fmt.Errorf("memory view of %s: renew: %w", m.region, ErrNoView)
	}
	if v.Of() != b && v.Epoch >= b.Epoch {
		return m.refused("renew", v)
	}
	v.WriteRegion, v.Epoch, v.State, v.LeaseUntil = b.WriteRegion, b.Epoch, b.State, until
	m.views[m.region] = v
	return v, nil
}

// Set makes the own view say b when its epoch is older, or the same with
// the same write region; it returns the view before.
func (m *MemControl) Set(ctx context.Context, b Belief, by string) (View, error) {
	if err := m.enter(ctx, "Set"); err != nil {
		return View{}, err
	}
	defer m.mu.Unlock()
	old, ok := m.views[m.region]
	if !ok {
		return View{}, fmt.Errorf("memory view of %s: set: %w", m.region, ErrNoView)
	}
	if old.Epoch > b.Epoch || old.Epoch == b.Epoch && old.WriteRegion != b.WriteRegion {
		return m.refused("set", old)
	}
	v := old
	v.WriteRegion, v.Epoch, v.State, v.By = b.WriteRegion, b.Epoch, b.State, by
	m.views[m.region] = v
	return old, nil
}

// Mark writes token as the drain marker of the own view.
func (m *MemControl) Mark(ctx context.Context, token string) error {
	if err := m.enter(ctx, "Mark"); err != nil {
		return err
	}
	defer m.mu.Unlock()
	v, ok := m.views[m.region]
	if !ok {
		return fmt.Errorf("memory view of %s: mark: %w", m.region, ErrNoView)
	}
	v.Drain = token
	m.views[m.region] = v
	return nil
}

// ErrCut is a ready cause for Cut, for tests where the cause does not
// matter: the connection was refused.
var ErrCut = errors.New("memory view: connection refused")
