package writeregion

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hush-scores/hush/scores"
)

// Timing of the fence's calls.
const (
	// DefaultCallTimeout bounds each call the fence makes to one replica:
	// the read of its own replica's views and every renewal. A write waits
	// on a renewal only when its lease is nearly out, and its whole bound is
	// under two seconds, so a replica that does not answer within a second
	// is treated as lost for this round; the majority decides without it.
	DefaultCallTimeout = time.Second
	// RenewAhead is how long before a lease gets too short to admit a
	// write (WriteBound left) the fence renews it in the background, so
	// that a busy function seldom makes a write wait on a renewal.
	RenewAhead = time.Second
	// pausedLook is how often a fence whose belief is paused reads the
	// views again, ahead of the belief's TTL, to see the pause end.
	pausedLook = 100 * time.Millisecond
)

// FenceConfig is what a Fence needs: where it runs, every replica's
// Control, and the timing. Unfenced and Pinned are test switches that
// break the fence on purpose, so that a test can show what the fence
// prevents.
type FenceConfig struct {
	// Region is the region where the function runs.
	Region string
	// Regions is every region of the stack; a lease needs a Majority of
	// their views.
	Regions []string
	// Local is this region's replica: beliefs are read here, because it is
	// the replica the function can always reach when its region is up.
	Local Control
	// Replicas holds every region's replica, Local's region included.
	Replicas map[string]Control
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Lease and BeliefTTL default to DefaultLease and DefaultBeliefTTL.
	Lease, BeliefTTL time.Duration
	// CallTimeout bounds each call to one replica; 0 means
	// DefaultCallTimeout.
	CallTimeout time.Duration
	// WriteBound is the bound of one write (api.DefaultWriteTimeout): a
	// write is admitted only while the lease has more than this left, so
	// every admitted write ends before the lease does.
	WriteBound time.Duration
	// By says who renews, recorded in the views ("write@eu-west-1").
	By string
	// Unfenced is a TEST SWITCH: admit on the belief alone, without a
	// lease, as a stack without the fence would.
	Unfenced bool
	// Pinned is a TEST SWITCH: a belief that never refreshes, as in a
	// function whose cache has not expired.
	Pinned *Belief
}

// Fence decides whether a write may go ahead, and to which region's
// replica. It is safe for concurrent use; a function instance keeps one for
// its lifetime, so its belief and lease outlive a request.
type Fence struct {
	cfg      FenceConfig
	now      func() time.Time
	majority int

	mu sync.Mutex
	// belief is the latest belief, read at readAt from Local (or learnt
	// from a refusal); seeded is false while Local held no view at all.
	belief       Belief
	readAt       time.Time
	read, seeded bool
	leaseOn      Belief
	leaseUntil   time.Time
	// renewing is the renewal not yet decided, last the latest one.
	renewing, last *renewal
}

// renewal is one round of Renew calls, shared by every write that waits on
// it; done is closed once it is decided.
type renewal struct {
	belief  Belief
	done    chan struct{}
	granted bool
	// err is the client-safe refusal when not granted.
	err error
	// settled is closed when every call of the round has ended; tests wait
	// on it.
	settled chan struct{}
}

// NewFence returns a Fence for cfg, or an error naming what is missing.
func NewFence(cfg FenceConfig) (*Fence, error) {
	if cfg.Lease == 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.BeliefTTL == 0 {
		cfg.BeliefTTL = DefaultBeliefTTL
	}
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	switch {
	case cfg.Region == "":
		return nil, errors.New("writeregion: fence: no region")
	case len(cfg.Regions) == 0:
		return nil, errors.New("writeregion: fence: no regions")
	case !slices.Contains(cfg.Regions, cfg.Region):
		return nil, fmt.Errorf("writeregion: fence: region %s is not among the regions %v", cfg.Region, cfg.Regions)
	case cfg.Local == nil && cfg.Pinned == nil:
		return nil, errors.New("writeregion: fence: no local replica")
	case cfg.WriteBound <= 0:
		return nil, errors.New("writeregion: fence: no write bound")
	case cfg.Lease <= cfg.WriteBound+RenewAhead:
		return nil, fmt.Errorf("writeregion: fence: a lease of %v cannot outlast a write bound of %v and the renewal ahead of it (%v)", cfg.Lease, cfg.WriteBound, RenewAhead)
	}
	for _, r := range cfg.Regions {
		if cfg.Replicas[r] == nil {
			return nil, fmt.Errorf("writeregion: fence: no replica for region %s", r)
		}
	}
	f := &Fence{cfg: cfg, now: cfg.Now, majority: Majority(len(cfg.Regions))}
	if f.now == nil {
		f.now = time.Now
	}
	if cfg.Pinned != nil {
		f.belief, f.read, f.seeded = *cfg.Pinned, true, true
	}
	return f, nil
}

// Client-safe messages of the fence's refusals. Each says why, never what
// failed inside.
const (
	msgPaused     = "writes are paused: an operator paused them or the write region is moving; try again shortly"
	msgNotSeeded  = "writes are refused: the write region is not seeded"
	msgUnreadable = "writes are refused: this region cannot read which region takes writes"
	msgNoMajority = "writes are refused: a majority of regions did not confirm the write region"
	msgMoved      = "writes are refused: the write region has moved"
	msgWaited     = "writes are refused: the write region was not confirmed in time"
)

// refuse returns the error of a refusal: CodeUnavailable, which the API
// answers 503, since writes may be admitted again later.
//
// A refusal whose cause is a defect of the deployment (package dynamo
// classifies a call the function's role may not make CodeInternal) is that
// defect instead, answered 500 as every other call that meets one: a 503
// says "try again later", and a missing grant never heals by itself.
func refuse(msg string, cause error) error {
	var d *scores.Error
	if cause != nil && errors.As(cause, &d) && d.Code == scores.CodeInternal {
		return &scores.Error{Code: scores.CodeInternal, Message: d.Message, Err: fmt.Errorf("writeregion: %s: %w", msg, cause)}
	}
	return &scores.Error{Code: scores.CodeUnavailable, Message: msg, Err: cause}
}

// Admit returns the region whose replica takes the write now, or an error
// of scores.CodeUnavailable (answered 503) whose message says why: paused,
// moved, no majority. The write must end within WriteBound of the call.
func (f *Fence) Admit(ctx context.Context) (string, error) {
	if _, err := f.Belief(ctx); err != nil {
		return "", err
	}
	// A refusal that carries a newer belief switches to it at once, and
	// the next round renews that one: two rounds at most in the usual case
	// (a stale belief, then the one the views hold); a third covers a move
	// that happens during the second.
	const rounds = 3
	last := refuse(msgNoMajority, nil)
	for range rounds {
		f.mu.Lock()
		b := f.belief
		if b.State == Paused {
			// A pause ends with a resume or a move's opening: look again
			// rather than refuse for the rest of the belief's TTL, at most
			// once per pausedLook so a paused stack's refusals stay cheap.
			recent := f.now().Sub(f.readAt) < pausedLook
			f.mu.Unlock()
			if recent || !f.look(ctx) {
				return "", refuse(msgPaused, nil)
			}
			continue
		}
		if f.cfg.Unfenced {
			f.mu.Unlock()
			return b.WriteRegion, nil
		}
		left := f.leftOn(b)
		if left > f.cfg.WriteBound {
			if left <= f.cfg.WriteBound+RenewAhead {
				f.renewLocked(ctx, b)
			}
			f.mu.Unlock()
			return b.WriteRegion, nil
		}
		r := f.renewLocked(ctx, b)
		f.mu.Unlock()
		select {
		case <-r.done:
		case <-ctx.Done():
			return "", refuse(msgWaited, ctx.Err())
		}
		if r.belief != b {
			// A renewal of an older belief was under way; it decided
			// nothing about b.
			continue
		}
		if !r.granted {
			last = r.err
			f.mu.Lock()
			switched := f.belief != b
			f.mu.Unlock()
			if !switched {
				return "", last
			}
		}
	}
	return "", last
}

// leftOn returns how long the lease on b has left, zero when the fence
// holds none on b. f.mu must be held.
func (f *Fence) leftOn(b Belief) time.Duration {
	if f.leaseOn != b || f.leaseUntil.IsZero() {
		return 0
	}
	return max(f.leaseUntil.Sub(f.now()), 0)
}

// Belief returns the current belief, read from Local at most once per
// BeliefTTL, for health and for Admit. It never goes back to an older
// epoch than one already learnt (from a refusal, say): a returning region's
// replica may still hold the old epoch. When Local cannot be read, it keeps
// the belief it had, since the lease, not the belief, admits a write.
func (f *Fence) Belief(ctx context.Context) (Belief, error) {
	if f.cfg.Pinned != nil {
		return *f.cfg.Pinned, nil
	}
	f.mu.Lock()
	if f.read && f.now().Sub(f.readAt) < f.cfg.BeliefTTL {
		defer f.mu.Unlock()
		return f.current()
	}
	f.mu.Unlock()
	return f.readViews(ctx)
}

// look reads the views again before the belief's TTL is up; it reports
// whether the belief is now open.
func (f *Fence) look(ctx context.Context) bool {
	if f.cfg.Pinned != nil {
		return false
	}
	b, err := f.readViews(ctx)
	return err == nil && b.State == Open
}

// readViews reads the views of Local and updates the belief.
func (f *Fence) readViews(ctx context.Context) (Belief, error) {

	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.cfg.CallTimeout)
	views, err := f.cfg.Local.Views(cctx)
	cancel()

	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		if f.read && f.seeded {
			// Try again after a TTL, not on every write: a hung replica
			// would otherwise cost every write a call timeout.
			f.readAt = f.now()
			return f.belief, nil
		}
		return Belief{}, refuse(msgUnreadable, err)
	}
	f.read, f.readAt = true, f.now()
	b, ok := Believe(views)
	if !ok {
		f.seeded = false
		return Belief{}, refuse(msgNotSeeded, nil)
	}
	if !f.seeded || b.Epoch >= f.belief.Epoch {
		f.belief = b
	}
	f.seeded = true
	return f.belief, nil
}

// current returns the cached belief. f.mu must be held.
func (f *Fence) current() (Belief, error) {
	if !f.seeded {
		return Belief{}, refuse(msgNotSeeded, nil)
	}
	return f.belief, nil
}

// renewLocked returns the renewal under way, or starts one on b. f.mu must
// be held. The renewal outlives ctx's cancellation: other writes may wait
// on it, and a lease granted after the caller left still serves them.
func (f *Fence) renewLocked(ctx context.Context, b Belief) *renewal {
	if f.renewing != nil {
		return f.renewing
	}
	r := &renewal{belief: b, done: make(chan struct{}), settled: make(chan struct{})}
	f.renewing, f.last = r, r
	go f.renew(context.WithoutCancel(ctx), r)
	return r
}

// reply is one replica's answer to a renewal.
type reply struct {
	view View
	err  error
}

// renew asks every replica at once to grant a lease on r.belief, each call
// bounded by CallTimeout, and decides as soon as a majority granted or can
// no longer grant: a hung replica never holds a write up. The lease ends
// at the time the round started plus Lease, so it can only end early on
// the clock of the function, never late. Replies that come after the
// decision still count: a newer belief switches the fence at once.
func (f *Fence) renew(ctx context.Context, r *renewal) {
	defer close(r.settled)
	start := f.now()
	until := start.Add(f.cfg.Lease)
	n := len(f.cfg.Regions)
	replies := make(chan reply, n)
	for _, region := range f.cfg.Regions {
		c := f.cfg.Replicas[region]
		go func() {
			cctx, cancel := context.WithTimeout(ctx, f.cfg.CallTimeout)
			defer cancel()
			v, err := c.Renew(cctx, r.belief, until, f.cfg.By)
			replies <- reply{view: v, err: err}
		}()
	}
	grants, answered, decided := 0, 0, false
	var refusal error
	decide := func(granted bool, err error) {
		decided = true
		f.mu.Lock()
		if granted {
			f.leaseOn, f.leaseUntil = r.belief, until
		}
		r.granted, r.err = granted, err
		f.renewing = nil
		f.mu.Unlock()
		close(r.done)
	}
	for answered < n {
		rep := <-replies
		answered++
		switch {
		case rep.err == nil:
			grants++
		case errors.Is(rep.err, ErrRefused):
			if f.learn(r.belief, rep.view) {
				refusal = refuse(msgMoved, rep.err)
			}
		}
		if decided {
			continue
		}
		switch {
		case refusal != nil:
			decide(false, refusal)
		case grants >= f.majority:
			decide(true, nil)
		case grants+(n-answered) < f.majority:
			decide(false, refuse(msgNoMajority, rep.err))
		}
	}
}

// learn takes the view that refused a lease on b as the belief when it
// says something newer: a greater epoch, or a pause at the same one. The
// refusing view was read in its own replica, where it is written, so it is
// authoritative. It drops the lease on b and reports whether it switched;
// a pinned fence only drops the lease.
func (f *Fence) learn(b Belief, v View) bool {
	newer := v.Epoch > b.Epoch || v.Epoch == b.Epoch && v.WriteRegion == b.WriteRegion && v.State == Paused
	if !newer {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.leaseOn == b {
		f.leaseOn, f.leaseUntil = Belief{}, time.Time{}
	}
	if f.cfg.Pinned == nil && v.Epoch >= f.belief.Epoch {
		f.belief, f.readAt, f.read, f.seeded = v.Of(), f.now(), true, true
	}
	return true
}

// settle waits until the latest renewal, if any, has heard from every
// replica or given up on it; tests use it to see a background renewal's
// effects.
func (f *Fence) settle() {
	f.mu.Lock()
	r := f.last
	f.mu.Unlock()
	if r != nil {
		<-r.settled
	}
}
