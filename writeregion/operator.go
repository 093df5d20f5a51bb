package writeregion

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Defaults of the Operator.
const (
	// DefaultOpCallTimeout bounds each call the operator makes to one
	// replica. An operator is not in a write's path, so it can give a far
	// replica longer than a function can; a lost one still fails fast.
	DefaultOpCallTimeout = 3 * time.Second
	// DefaultDrainTimeout is how long a planned move waits for the drain
	// marker to reach every replica. Global tables replicate in about a
	// second; a minute means replication is stuck, and the move stops with
	// writes paused rather than move away from writes not yet replicated.
	DefaultDrainTimeout = 60 * time.Second
	// DefaultSettle is how long a planned move waits after the drain
	// marker reached every replica. DynamoDB global tables do not promise
	// to replicate items in the order they were written, so the marker's
	// arrival shows that replication has caught up to about its write, not
	// that every earlier item has arrived; two seconds covers the spread of
	// replication delays across items seen in practice, and is a bound
	// nobody promises (docs: known limits).
	DefaultSettle = 2 * time.Second
	// DrainPoll is how often a planned move reads the replicas for the
	// drain marker.
	DrainPoll = 200 * time.Millisecond
)

// Operator changes the write region on the data plane only: every step is
// a conditional write of one replica's own view, in that replica, so it
// works while any region (the home region included) is lost, and needs no
// deployment. hush-ops is its command line.
type Operator struct {
	// Regions is every region of the stack.
	Regions []string
	// Replicas holds every region's replica.
	Replicas map[string]Control
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits; nil means a timer. Tests pass a fake that moves their
	// clock.
	Sleep func(context.Context, time.Duration) error
	// CallTimeout bounds each call to one replica; 0 means
	// DefaultOpCallTimeout.
	CallTimeout time.Duration
	// DrainTimeout bounds a planned move's wait for its drain marker; 0
	// means DefaultDrainTimeout.
	DrainTimeout time.Duration
	// Settle is the further wait after the drain marker has arrived; 0
	// means DefaultSettle.
	Settle time.Duration
	// Progress receives each step when it is done; nil drops them.
	Progress func(Step)
}

// Step is one step of an operation, reported when done.
type Step struct {
	// Name is the step ("pause", "wait out leases", "drain", ...).
	Name string
	// Detail says what it did, in a sentence an operator can act on.
	Detail string
	// Took is how long it took.
	Took time.Duration
}

// Status is what the replicas say of the write region.
type Status struct {
	// Views holds each replica's own view, as read in that replica.
	Views map[string]View
	// Unreachable holds the replicas that did not answer, and those that
	// answered without a view of their own (ErrNoView).
	Unreachable map[string]error
	// Belief is what the answering views support (Believe).
	Belief Belief
}

// OpError is a failed operation: the step that failed, the state the
// stack is left in, and the hush-ops arguments that continue from there.
type OpError struct {
	Step string
	// Left is the state the stack is left in, as a sentence.
	Left string
	// Next holds the hush-ops arguments that continue ("write-region
	// resume", ...); empty when there is nothing to run.
	Next string
	Err  error
}

// Error says what failed, where the stack stands and what to run next.
func (e *OpError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "write region: %s: %v. The stack is left: %s", e.Step, e.Err, e.Left)
	if e.Next != "" {
		fmt.Fprintf(&b, ". To continue: hush-ops %s", e.Next)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }

func (o *Operator) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Operator) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	if o.Sleep != nil {
		return o.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (o *Operator) callTimeout() time.Duration {
	if o.CallTimeout > 0 {
		return o.CallTimeout
	}
	return DefaultOpCallTimeout
}

// step runs fn as the step name and reports it, with its time, when it
// succeeds.
func (o *Operator) step(name string, fn func() (string, error)) error {
	start := o.now()
	detail, err := fn()
	if err != nil {
		return err
	}
	if o.Progress != nil {
		o.Progress(Step{Name: name, Detail: detail, Took: o.now().Sub(start)})
	}
	return nil
}

// Status reads every replica at once, each call bounded. It fails only when
// no replica holds a view; a lost region shows in Unreachable.
func (o *Operator) Status(ctx context.Context) (Status, error) {
	st := Status{Views: map[string]View{}, Unreachable: map[string]error{}}
	type answer struct {
		region string
		views  []View
		err    error
	}
	answers := make(chan answer, len(o.Regions))
	for _, r := range o.Regions {
		c := o.Replicas[r]
		go func() {
			if c == nil {
				answers <- answer{region: r, err: errors.New("no replica configured")}
				return
			}
			cctx, cancel := context.WithTimeout(ctx, o.callTimeout())
			defer cancel()
			views, err := c.Views(cctx)
			answers <- answer{region: r, views: views, err: err}
		}()
	}
	for range o.Regions {
		a := <-answers
		if a.err != nil {
			st.Unreachable[a.region] = a.err
			continue
		}
		i := slices.IndexFunc(a.views, func(v View) bool { return v.Replica == a.region })
		if i < 0 {
			st.Unreachable[a.region] = fmt.Errorf("replica of %s: %w", a.region, ErrNoView)
			continue
		}
		st.Views[a.region] = a.views[i]
	}
	views := make([]View, 0, len(st.Views))
	for _, v := range st.Views {
		views = append(views, v)
	}
	b, ok := Believe(views)
	if !ok {
		return st, fmt.Errorf("no replica holds a view of the write region (%s): %w", describeErrors(st.Unreachable), ErrNoView)
	}
	st.Belief = b
	return st, nil
}

// answering returns the regions whose views the status holds, in the order
// of Regions.
func (o *Operator) answering(st Status) []string {
	var rs []string
	for _, r := range o.Regions {
		if _, ok := st.Views[r]; ok {
			rs = append(rs, r)
		}
	}
	return rs
}

// read is the first step of every operation.
func (o *Operator) read(ctx context.Context) (Status, error) {
	var st Status
	err := o.step("read views", func() (string, error) {
		var err error
		st, err = o.Status(ctx)
		if err != nil {
			return "", &OpError{Step: "read views", Left: "unchanged", Next: "write-region status", Err: err}
		}
		detail := fmt.Sprintf("%s; views answered in %s", describe(st.Belief), strings.Join(o.answering(st), ", "))
		if len(st.Unreachable) > 0 {
			detail += "; no answer from " + describeErrors(st.Unreachable)
		}
		return detail, nil
	})
	return st, err
}

// setResult is what Set did in each replica.
type setResult struct {
	old    map[string]View
	failed map[string]error
}

func (r setResult) ok() []string {
	rs := make([]string, 0, len(r.old))
	for region := range r.old {
		rs = append(rs, region)
	}
	sort.Strings(rs)
	return rs
}

// latestLease returns the end of the latest lease any of the views had
// granted before they changed.
func (r setResult) latestLease() time.Time {
	var t time.Time
	for _, v := range r.old {
		if v.LeaseUntil.After(t) {
			t = v.LeaseUntil
		}
	}
	return t
}

// set makes the views of regions say b, all at once, each call bounded.
func (o *Operator) set(ctx context.Context, regions []string, b Belief, by string) setResult {
	res := setResult{old: map[string]View{}, failed: map[string]error{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, r := range regions {
		c := o.Replicas[r]
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, o.callTimeout())
			defer cancel()
			old, err := c.Set(cctx, b, by)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.failed[r] = err
				return
			}
			res.old[r] = old
		})
	}
	wg.Wait()
	return res
}

// waitOutLeases waits until every lease granted until until has ended,
// plus Margin for the clocks of the functions that hold them.
func (o *Operator) waitOutLeases(ctx context.Context, until time.Time, left, next string) error {
	return o.step("wait out leases", func() (string, error) {
		if until.IsZero() {
			return "no lease had been granted", nil
		}
		end := until.Add(Margin)
		wait := end.Sub(o.now())
		if err := o.sleep(ctx, wait); err != nil {
			return "", &OpError{Step: "wait out leases", Left: left, Next: next, Err: err}
		}
		if wait <= 0 {
			return fmt.Sprintf("the last lease ended at %s", until.UTC().Format(time.RFC3339Nano)), nil
		}
		return fmt.Sprintf("waited %v until the last lease (ending %s) plus %v had passed", wait.Round(time.Millisecond), until.UTC().Format(time.RFC3339Nano), Margin), nil
	})
}

// Pause stops writes at the current epoch: it pauses the views of every
// replica that answers, at least MoveQuorum of them so that no majority can
// renew a lease on the open belief, then waits out the leases granted
// before, so that when it returns no write is admitted anywhere.
func (o *Operator) Pause(ctx context.Context) error {
	st, err := o.read(ctx)
	if err != nil {
		return err
	}
	b := st.Belief
	n := len(o.Regions)
	answering := o.answering(st)
	if len(answering) < MoveQuorum(n) {
		return &OpError{Step: "pause", Left: "unchanged: " + describe(b), Next: "write-region pause",
			Err: fmt.Errorf("only %d of %d replicas answered, a pause needs %d", len(answering), n, MoveQuorum(n))}
	}
	paused := Belief{WriteRegion: b.WriteRegion, Epoch: b.Epoch, State: Paused}
	var res setResult
	err = o.step("pause", func() (string, error) {
		res = o.set(ctx, answering, paused, "hush-ops pause")
		if len(res.old) < MoveQuorum(n) {
			return "", &OpError{Step: "pause", Next: "write-region pause",
				Left: fmt.Sprintf("%s; paused on %s only, too few to stop writes", describe(b), listOrNone(res.ok())),
				Err:  fmt.Errorf("%d views paused, %d needed: %s", len(res.old), MoveQuorum(n), describeErrors(res.failed))}
		}
		return fmt.Sprintf("paused %s on %s", b.WriteRegion, strings.Join(res.ok(), ", ")), nil
	})
	if err != nil {
		return err
	}
	return o.waitOutLeases(ctx, res.latestLease(), describe(paused)+", leases granted before may still be running", "write-region pause")
}

// Resume opens writes at the current epoch on every replica that answers,
// at least a Majority so that a lease can be granted. Views still at an
// older epoch are fenced first, and any lease a view granted on another
// belief is waited out before anything opens: a resume also finishes a
// move that stopped half way.
func (o *Operator) Resume(ctx context.Context) error {
	st, err := o.read(ctx)
	if err != nil {
		return err
	}
	b := st.Belief
	n := len(o.Regions)
	answering := o.answering(st)
	if len(answering) < Majority(n) {
		return &OpError{Step: "resume", Left: "unchanged: " + describe(b), Next: "write-region resume",
			Err: fmt.Errorf("only %d of %d replicas answered, writes need %d", len(answering), n, Majority(n))}
	}
	open := Belief{WriteRegion: b.WriteRegion, Epoch: b.Epoch, State: Open}
	paused := Belief{WriteRegion: b.WriteRegion, Epoch: b.Epoch, State: Paused}
	// A view open on the belief to open granted leases on that belief only
	// (it was opened after the leases before it were waited out); every
	// other view's last lease may be on another belief.
	var until time.Time
	var older []string
	for _, r := range answering {
		v := st.Views[r]
		if v.Epoch < b.Epoch {
			older = append(older, r)
		}
		if v.Of() != open && v.LeaseUntil.After(until) {
			until = v.LeaseUntil
		}
	}
	if len(older) > 0 {
		var res setResult
		err := o.step("fence", func() (string, error) {
			res = o.set(ctx, older, paused, "hush-ops resume")
			if len(res.failed) > 0 {
				return "", &OpError{Step: "fence", Next: "write-region resume",
					Left: fmt.Sprintf("%s; writes refused", describe(paused)),
					Err:  fmt.Errorf("views at an older epoch not fenced: %s", describeErrors(res.failed))}
			}
			return fmt.Sprintf("fenced the older views of %s at epoch %d", strings.Join(older, ", "), b.Epoch), nil
		})
		if err != nil {
			return err
		}
		if t := res.latestLease(); t.After(until) {
			until = t
		}
	}
	if err := o.waitOutLeases(ctx, until, describe(paused)+", leases granted before may still be running", "write-region resume"); err != nil {
		return err
	}
	return o.step("open", func() (string, error) {
		res := o.set(ctx, answering, open, "hush-ops resume")
		if len(res.old) < Majority(n) {
			return "", &OpError{Step: "open", Next: "write-region resume",
				Left: fmt.Sprintf("%s; open on %s only, too few to grant a lease: writes refused", describe(b), listOrNone(res.ok())),
				Err:  fmt.Errorf("%d views opened, %d needed: %s", len(res.old), Majority(n), describeErrors(res.failed))}
		}
		return fmt.Sprintf("writes open in %s at epoch %d (views of %s)", b.WriteRegion, b.Epoch, strings.Join(res.ok(), ", ")), nil
	})
}

// Move makes to the write region at the next epoch. A planned move (force
// false) needs every replica: it pauses, waits out the leases, drains
// replication from the old write region, then moves and opens, losing
// nothing. A forced move is for a lost write region: it needs a Majority
// of answering views, to's among them; it fences the old epoch on them, waits
// out the leases they granted, then opens to. Writes the lost region had
// not replicated are not in the new write region.
func (o *Operator) Move(ctx context.Context, to string, force bool) error {
	next := "write-region move -to " + to
	if force {
		next += " -force"
	}
	if !slices.Contains(o.Regions, to) {
		return &OpError{Step: "check", Left: "unchanged", Next: "write-region status",
			Err: fmt.Errorf("%s is not a region of the stack (%s)", to, strings.Join(o.Regions, ", "))}
	}
	st, err := o.read(ctx)
	if err != nil {
		return err
	}
	b := st.Belief
	if b.WriteRegion == to && b.State == Open {
		return &OpError{Step: "check", Left: "unchanged: " + describe(b),
			Err: fmt.Errorf("%s is the write region already", to)}
	}
	if force {
		return o.forcedMove(ctx, st, to, next)
	}
	return o.plannedMove(ctx, st, to, next)
}

func (o *Operator) plannedMove(ctx context.Context, st Status, to, next string) error {
	b := st.Belief
	if len(st.Unreachable) > 0 {
		return &OpError{Step: "check", Left: "unchanged: " + describe(b), Next: next + " -force",
			Err: fmt.Errorf("a planned move needs every replica, and %s did not answer; when the write region is lost, move with -force", describeErrors(st.Unreachable))}
	}
	from := b.WriteRegion
	paused := Belief{WriteRegion: from, Epoch: b.Epoch, State: Paused}
	leftPaused := fmt.Sprintf("%s (to reopen it instead: hush-ops write-region resume)", describe(paused))
	var res setResult
	err := o.step("pause", func() (string, error) {
		res = o.set(ctx, o.Regions, paused, "hush-ops move")
		if len(res.failed) > 0 {
			left := fmt.Sprintf("%s; paused on %s only", describe(b), listOrNone(res.ok()))
			if len(res.old) >= MoveQuorum(len(o.Regions)) {
				left = fmt.Sprintf("writes refused: %s, paused on %s; not yet on the others", describe(paused), listOrNone(res.ok()))
			}
			return "", &OpError{Step: "pause", Left: left, Next: next,
				Err: fmt.Errorf("not every view paused: %s", describeErrors(res.failed))}
		}
		return fmt.Sprintf("paused %s at epoch %d on every view", from, b.Epoch), nil
	})
	if err != nil {
		return err
	}
	if err := o.waitOutLeases(ctx, res.latestLease(), leftPaused, next); err != nil {
		return err
	}
	if err := o.drain(ctx, from, leftPaused, next); err != nil {
		return err
	}
	moved := Belief{WriteRegion: to, Epoch: b.Epoch + 1, State: Open}
	return o.step("move", func() (string, error) {
		res := o.set(ctx, o.Regions, moved, "hush-ops move")
		switch {
		case len(res.old) == 0:
			return "", &OpError{Step: "move", Left: leftPaused, Next: next,
				Err: fmt.Errorf("no view moved: %s", describeErrors(res.failed))}
		case len(res.failed) > 0:
			return "", &OpError{Step: "move", Next: "write-region resume",
				Left: fmt.Sprintf("%s on %s; %s on the others", describe(moved), strings.Join(res.ok(), ", "), describe(paused)),
				Err:  fmt.Errorf("not every view moved: %s", describeErrors(res.failed))}
		}
		return fmt.Sprintf("%s is the write region at epoch %d, writes open, on every view", to, moved.Epoch), nil
	})
}

// drain marks the old write region's view with a fresh token and waits
// until every other replica holds that copy, then a further Settle.
// Writes are paused and the leases are out, so nothing is written after the
// marker; once its copy has arrived, replication from the old write region
// has caught up with it.
func (o *Operator) drain(ctx context.Context, from, left, next string) error {
	token, err := drainToken()
	if err != nil {
		return &OpError{Step: "drain", Left: left, Next: next, Err: err}
	}
	err = o.step("drain", func() (string, error) {
		cctx, cancel := context.WithTimeout(ctx, o.callTimeout())
		err := o.Replicas[from].Mark(cctx, token)
		cancel()
		if err != nil {
			return "", &OpError{Step: "drain", Left: left, Next: next, Err: fmt.Errorf("mark %s: %w", from, err)}
		}
		timeout := o.DrainTimeout
		if timeout <= 0 {
			timeout = DefaultDrainTimeout
		}
		deadline := o.now().Add(timeout)
		waiting := slices.DeleteFunc(slices.Clone(o.Regions), func(r string) bool { return r == from })
		for {
			waiting = o.notYet(ctx, waiting, from, token)
			if len(waiting) == 0 {
				return fmt.Sprintf("the drain marker %s written in %s has reached every replica", token, from), nil
			}
			if !o.now().Before(deadline) {
				return "", &OpError{Step: "drain", Left: left, Next: next,
					Err: fmt.Errorf("after %v the drain marker from %s has not reached %s: replication is behind", timeout, from, strings.Join(waiting, ", "))}
			}
			if err := o.sleep(ctx, DrainPoll); err != nil {
				return "", &OpError{Step: "drain", Left: left, Next: next, Err: err}
			}
		}
	})
	if err != nil {
		return err
	}
	settle := o.Settle
	if settle <= 0 {
		settle = DefaultSettle
	}
	return o.step("settle", func() (string, error) {
		if err := o.sleep(ctx, settle); err != nil {
			return "", &OpError{Step: "settle", Left: left, Next: next, Err: err}
		}
		return fmt.Sprintf("waited %v more: global tables do not order replication across items, so the marker's arrival does not prove every earlier item's", settle), nil
	})
}

// notYet returns the regions among waiting whose replica does not yet hold
// the copy of from's view with token. A replica that does not answer is
// still waited for.
func (o *Operator) notYet(ctx context.Context, waiting []string, from, token string) []string {
	var still []string
	for _, r := range waiting {
		cctx, cancel := context.WithTimeout(ctx, o.callTimeout())
		views, err := o.Replicas[r].Views(cctx)
		cancel()
		arrived := err == nil && slices.ContainsFunc(views, func(v View) bool {
			return v.Replica == from && v.Drain == token
		})
		if !arrived {
			still = append(still, r)
		}
	}
	return still
}

func (o *Operator) forcedMove(ctx context.Context, st Status, to, next string) error {
	b := st.Belief
	n := len(o.Regions)
	answering := o.answering(st)
	if _, ok := st.Views[to]; !ok {
		return &OpError{Step: "check", Left: "unchanged: " + describe(b), Next: next,
			Err: fmt.Errorf("the new write region %s must answer: %w", to, st.Unreachable[to])}
	}
	// Fencing the old epoch needs MoveQuorum views, but the new write
	// region's lease needs a Majority to grant it, and the views that did
	// not answer cannot until they return; with fewer than a Majority the
	// move would leave writes refused, so it does not start. (With three
	// regions the two are the same; with two, a forced move needs both.)
	need := Majority(n)
	if len(answering) < need {
		return &OpError{Step: "check", Left: "unchanged: " + describe(b), Next: next,
			Err: fmt.Errorf("only %d of %d replicas answered (%s), a forced move needs %d: enough that no majority can renew the old write region and that a majority can grant the new one", len(answering), n, strings.Join(answering, ", "), need)}
	}
	fenced := Belief{WriteRegion: to, Epoch: b.Epoch + 1, State: Paused}
	var res setResult
	err := o.step("fence", func() (string, error) {
		res = o.set(ctx, answering, fenced, "hush-ops move -force")
		if len(res.old) < need {
			return "", &OpError{Step: "fence", Next: next,
				Left: fencedLeft(b, fenced, res.ok(), MoveQuorum(n)),
				Err:  fmt.Errorf("%d views fenced, %d needed: %s", len(res.old), need, describeErrors(res.failed))}
		}
		detail := fmt.Sprintf("epoch %d (%s, paused) written on %s: no majority can renew %s's lease at epoch %d", fenced.Epoch, to, strings.Join(res.ok(), ", "), b.WriteRegion, b.Epoch)
		if len(res.failed) > 0 {
			detail += "; not on " + describeErrors(res.failed)
		}
		return detail, nil
	})
	if err != nil {
		return err
	}
	left := fmt.Sprintf("writes refused: %s on %s (to open it: hush-ops write-region resume)", describe(fenced), strings.Join(res.ok(), ", "))
	if err := o.waitOutLeases(ctx, res.latestLease(), left, "write-region resume"); err != nil {
		return err
	}
	opened := res.ok()
	open := Belief{WriteRegion: to, Epoch: fenced.Epoch, State: Open}
	return o.step("open", func() (string, error) {
		res := o.set(ctx, opened, open, "hush-ops move -force")
		if len(res.failed) > 0 {
			return "", &OpError{Step: "open", Next: "write-region resume",
				Left: fmt.Sprintf("%s; open on %s only", describe(fenced), listOrNone(res.ok())),
				Err:  fmt.Errorf("not every fenced view opened: %s", describeErrors(res.failed))}
		}
		detail := fmt.Sprintf("%s is the write region at epoch %d, writes open, on %s", to, open.Epoch, strings.Join(res.ok(), ", "))
		if missing := len(o.Regions) - len(opened); missing > 0 {
			detail += fmt.Sprintf("; the %d view(s) that did not answer adopt it on their first renewal after they return", missing)
		}
		return detail, nil
	})
}

// fencedLeft says where a fence that reached too few views leaves the
// stack: with MoveQuorum of them the old epoch is fenced (no writes
// anywhere), with fewer the old write region may still renew its lease.
func fencedLeft(old, fenced Belief, on []string, quorum int) string {
	if len(on) >= quorum {
		return fmt.Sprintf("writes refused: epoch %d (%s, paused) written on %s, which fences epoch %d but is too few to open %s", fenced.Epoch, fenced.WriteRegion, strings.Join(on, ", "), old.Epoch, fenced.WriteRegion)
	}
	return fmt.Sprintf("%s; epoch %d written on %s only, too few: the old write region may still renew its lease", describe(old), fenced.Epoch, listOrNone(on))
}

// describe says a belief in words.
func describe(b Belief) string {
	state := "writes open"
	if b.State == Paused {
		state = "writes paused"
	}
	return fmt.Sprintf("%s is the write region at epoch %d, %s", b.WriteRegion, b.Epoch, state)
}

// describeErrors lists the regions of errs, sorted, each with its error.
func describeErrors(errs map[string]error) string {
	if len(errs) == 0 {
		return "none"
	}
	rs := make([]string, 0, len(errs))
	for r := range errs {
		rs = append(rs, r)
	}
	sort.Strings(rs)
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%s (%v)", r, errs[r])
	}
	return strings.Join(parts, ", ")
}

func listOrNone(rs []string) string {
	if len(rs) == 0 {
		return "none"
	}
	return strings.Join(rs, ", ")
}

// drainToken returns a fresh token for a drain marker.
func drainToken() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("drain token: %w", err)
	}
	return hex.EncodeToString(b), nil
}
