package writeregion

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hush-scores/hush/scores"
)

// partitioned is a Control seen from across a network partition: every
// call fails at once, while others may still reach the replica.
type partitioned struct{ Control }

var errPartitioned = &scores.Error{Code: scores.CodeUnavailable, Message: "table unavailable", Err: errors.New("partitioned")}

func (p partitioned) Views(context.Context) ([]View, error) { return nil, errPartitioned }
func (p partitioned) Seed(context.Context, View) (View, error) {
	return View{}, errPartitioned
}
func (p partitioned) Renew(context.Context, Belief, time.Time, string) (View, error) {
	return View{}, errPartitioned
}
func (p partitioned) Set(context.Context, Belief, string) (View, error) {
	return View{}, errPartitioned
}
func (p partitioned) Mark(context.Context, string) error { return errPartitioned }

// operator returns an Operator of the stack on its fake clock, recording
// the steps it reports, whose sleeps also run onSleep (replication, say).
func (s *testStack) operator(steps *[]Step, onSleep func()) *Operator {
	return &Operator{
		Regions: s.regions, Replicas: s.controls(), Now: s.clock.Now,
		Sleep: func(ctx context.Context, d time.Duration) error {
			err := s.clock.Sleep(ctx, d)
			if onSleep != nil {
				onSleep()
			}
			return err
		},
		Progress: func(st Step) { *steps = append(*steps, st) },
	}
}

func stepNames(steps []Step) string {
	names := make([]string, len(steps))
	for i, st := range steps {
		names[i] = st.Name
	}
	return strings.Join(names, ", ")
}

func wantOpError(t *testing.T, err error, step, next string) *OpError {
	t.Helper()
	var oe *OpError
	if !errors.As(err, &oe) {
		t.Fatalf("got %v, want an OpError at step %q", err, step)
	}
	if oe.Step != step || oe.Next != next || oe.Left == "" {
		t.Errorf("OpError: step %q, next %q, left %q; want step %q, next %q and the state left", oe.Step, oe.Next, oe.Left, step, next)
	}
	return oe
}

func wantViews(t *testing.T, s *testStack, want Belief, regions ...string) {
	t.Helper()
	for _, r := range regions {
		if v, _ := s.reps[r].Own(); v.Of() != want {
			t.Errorf("view of %s: %+v, want %+v", r, v.Of(), want)
		}
	}
}

func totalCalls(s *testStack, op string) int {
	n := 0
	for _, c := range s.reps {
		n += c.Calls(op)
	}
	return n
}

var (
	euOpen = Belief{WriteRegion: "eu-west-1", Epoch: 1, State: Open}
	usOpen = Belief{WriteRegion: "us-east-1", Epoch: 2, State: Open}
)

func TestOperatorStatus(t *testing.T) {
	s := newTestStack(t, regions3...)
	s.reps["ap-southeast-2"].Cut(ErrCut)
	var steps []Step
	st, err := s.operator(&steps, nil).Status(context.Background())
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	if st.Belief != euOpen {
		t.Errorf("belief: %+v, want %+v", st.Belief, euOpen)
	}
	if len(st.Views) != 2 || st.Views["us-east-1"].Replica != "us-east-1" {
		t.Errorf("views: %+v, want the own views of eu-west-1 and us-east-1", st.Views)
	}
	if err := st.Unreachable["ap-southeast-2"]; err == nil || len(st.Unreachable) != 1 {
		t.Errorf("unreachable: %v, want ap-southeast-2 only", st.Unreachable)
	}

	empty := newEmptyStack(regions3...)
	if _, err := empty.operator(&steps, nil).Status(context.Background()); !errors.Is(err, ErrNoView) {
		t.Errorf("status of a stack never seeded: %v, want ErrNoView", err)
	}
}

func TestOperatorPauseWaitsOutLeasesAndResumeReopens(t *testing.T) {
	s := newTestStack(t, regions3...)
	f := s.fence(t, "us-east-1")
	leaseStart := s.clock.Now()
	mustAdmit(t, f, "eu-west-1")
	f.settle()
	var steps []Step
	op := s.operator(&steps, nil)
	if err := op.Pause(context.Background()); err != nil {
		t.Fatalf("pause: %v", err)
	}
	if got, want := stepNames(steps), "read views, pause, wait out leases"; got != want {
		t.Errorf("pause steps: %s, want %s", got, want)
	}
	if end := leaseStart.Add(DefaultLease + Margin); s.clock.Now().Before(end) {
		t.Errorf("pause returned at %v, before the lease granted at 0 ended (+margin, %v)", s.clock.Now().Sub(leaseStart), end.Sub(leaseStart))
	}
	wantViews(t, s, Belief{WriteRegion: "eu-west-1", Epoch: 1, State: Paused}, regions3...)
	s.replicate()
	_, err := admit(t, f)
	wantRefusal(t, err, "writes are paused")

	steps = nil
	if err := op.Resume(context.Background()); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if got, want := stepNames(steps), "read views, wait out leases, open"; got != want {
		t.Errorf("resume steps: %s, want %s", got, want)
	}
	wantViews(t, s, euOpen, regions3...)
	s.replicate()
	s.clock.Advance(DefaultBeliefTTL)
	mustAdmit(t, f, "eu-west-1")
}

func TestOperatorPauseNeedsAMoveQuorum(t *testing.T) {
	s := newTestStack(t, regions3...)
	s.reps["us-east-1"].Cut(ErrCut)
	s.reps["ap-southeast-2"].Cut(ErrCut)
	var steps []Step
	err := s.operator(&steps, nil).Pause(context.Background())
	_ = wantOpError(t, err, "pause", "write-region pause")
	if n := totalCalls(s, "Set"); n != 0 {
		t.Errorf("a pause that cannot stop writes changed %d views, want none", n)
	}
}

func TestOperatorPlannedMove(t *testing.T) {
	s := newTestStack(t, regions3...)
	f := s.fence(t, "ap-southeast-2")
	leaseStart := s.clock.Now()
	mustAdmit(t, f, "eu-west-1")
	f.settle()
	var steps []Step
	// The marker reaches us-east-1 at the first poll and ap-southeast-2 at
	// the third: the drain must wait for the slower one.
	polls := 0
	drainArrived := map[string]bool{}
	op := s.operator(&steps, func() {
		if !strings.Contains(stepNames(steps), "wait out leases") {
			return
		}
		polls++
		switch polls {
		case 1:
			Replicate(s.reps["eu-west-1"], s.reps["us-east-1"])
		case 3:
			s.replicate()
		}
	})
	op.Progress = func(st Step) {
		steps = append(steps, st)
		if st.Name == "drain" {
			for _, r := range []string{"us-east-1", "ap-southeast-2"} {
				views, _ := s.reps[r].Views(context.Background())
				for _, v := range views {
					if v.Replica == "eu-west-1" && v.Drain != "" {
						drainArrived[r] = true
					}
				}
			}
		}
	}
	if err := op.Move(context.Background(), "us-east-1", false); err != nil {
		t.Fatalf("move: %v", err)
	}
	if got, want := stepNames(steps), "read views, pause, wait out leases, drain, settle, move"; got != want {
		t.Errorf("move steps: %s, want %s", got, want)
	}
	if !drainArrived["us-east-1"] || !drainArrived["ap-southeast-2"] {
		t.Errorf("the drain ended with the marker in %v, want it in every other replica", drainArrived)
	}
	if polls < 3 {
		t.Errorf("drain polls: %d, want at least 3 (the marker reached the last replica at the third)", polls)
	}
	if end := leaseStart.Add(DefaultLease + Margin + DefaultSettle); s.clock.Now().Before(end) {
		t.Errorf("move ended at %v, before the lease, margin and settle time (%v)", s.clock.Now().Sub(leaseStart), end.Sub(leaseStart))
	}
	for _, st := range steps {
		if st.Detail == "" {
			t.Errorf("step %s has no detail", st.Name)
		}
	}
	wantViews(t, s, usOpen, regions3...)
	s.replicate()
	s.clock.Advance(DefaultBeliefTTL)
	mustAdmit(t, f, "us-east-1")
}

func TestOperatorPlannedMoveNeedsEveryReplica(t *testing.T) {
	s := newTestStack(t, regions3...)
	s.reps["eu-west-1"].Cut(ErrCut)
	var steps []Step
	err := s.operator(&steps, nil).Move(context.Background(), "us-east-1", false)
	oe := wantOpError(t, err, "check", "write-region move -to us-east-1 -force")
	if !strings.Contains(oe.Error(), "-force") || !strings.Contains(oe.Left, "unchanged") {
		t.Errorf("error %q: want it to point to -force and say the stack is unchanged", oe.Error())
	}
	if n := totalCalls(s, "Set"); n != 0 {
		t.Errorf("a refused planned move changed %d views", n)
	}
}

func TestOperatorDrainTimeoutLeavesWritesPaused(t *testing.T) {
	s := newTestStack(t, regions3...)
	var steps []Step
	op := s.operator(&steps, nil) // nothing ever replicates
	op.DrainTimeout = 5 * time.Second
	err := op.Move(context.Background(), "us-east-1", false)
	oe := wantOpError(t, err, "drain", "write-region move -to us-east-1")
	if !strings.Contains(oe.Left, "writes paused") || !strings.Contains(oe.Left, "write-region resume") {
		t.Errorf("left %q: want it to say writes are paused and how to reopen them", oe.Left)
	}
	if !strings.Contains(oe.Err.Error(), "us-east-1, ap-southeast-2") {
		t.Errorf("error %v: want it to name the replicas behind", oe.Err)
	}
	wantViews(t, s, Belief{WriteRegion: "eu-west-1", Epoch: 1, State: Paused}, regions3...)
}

// TestOperatorForcedMoveFencesTheLostRegion plays the loss of the write
// region: its functions keep a lease they took before the loss and can
// reach only their own replica; the operator forces a move from the two
// regions left. The old region must stop admitting writes before the new
// one opens, and never admit again; without the fence both admit.
func TestOperatorForcedMoveFencesTheLostRegion(t *testing.T) {
	for _, unfenced := range []bool{false, true} {
		t.Run(fmt.Sprintf("unfenced=%v", unfenced), func(t *testing.T) {
			s := newTestStack(t, regions3...)
			cut := s.controls()
			// Functions in eu-west-1 reach their own replica only.
			cut["us-east-1"] = partitioned{s.reps["us-east-1"]}
			cut["ap-southeast-2"] = partitioned{s.reps["ap-southeast-2"]}
			old := s.fence(t, "eu-west-1", func(c *FenceConfig) { c.Replicas, c.Unfenced = cut, unfenced })
			leaseStart := s.clock.Now()
			// The lease is taken before the partition, through every replica.
			full := s.fence(t, "eu-west-1", func(c *FenceConfig) { c.Unfenced = unfenced })
			mustAdmit(t, full, "eu-west-1")
			full.settle()
			old.leaseOn, old.leaseUntil = full.leaseOn, full.leaseUntil
			newer := s.fence(t, "us-east-1", func(c *FenceConfig) {
				c.Replicas = s.controls()
				c.Replicas["eu-west-1"] = partitioned{s.reps["eu-west-1"]}
			})

			var steps []Step
			op := s.operator(&steps, nil)
			op.Replicas = s.controls()
			op.Replicas["eu-west-1"] = partitioned{s.reps["eu-west-1"]}
			s.clock.Advance(time.Second)
			var oldAtOpen, newAtOpen string
			op.Progress = func(st Step) {
				steps = append(steps, st)
				switch st.Name {
				case "fence":
					// Fenced, not yet waited: the old lease still admits.
					if r, err := old.Admit(context.Background()); err != nil || r != "eu-west-1" {
						t.Errorf("old write region right after the fence: %q, %v; want it still on its lease", r, err)
					}
				case "wait out leases":
					// Unfenced functions take no lease, so there is none
					// to wait out.
					if end := leaseStart.Add(DefaultLease); !unfenced && s.clock.Now().Before(end.Add(Margin)) {
						t.Errorf("waited until %v, before the old lease's end plus margin %v", s.clock.Now().Sub(leaseStart), end.Add(Margin).Sub(leaseStart))
					}
					oldAtOpen, _ = old.Admit(context.Background())
				}
			}
			if err := op.Move(context.Background(), "us-east-1", true); err != nil {
				t.Fatalf("forced move: %v", err)
			}
			if got, want := stepNames(steps), "read views, fence, wait out leases, open"; got != want {
				t.Errorf("steps: %s, want %s", got, want)
			}
			newAtOpen, _ = newer.Admit(context.Background())
			if newAtOpen != "us-east-1" {
				t.Fatalf("new write region after the move: admitted %q, want us-east-1", newAtOpen)
			}
			wantViews(t, s, usOpen, "us-east-1", "ap-southeast-2")
			wantViews(t, s, euOpen, "eu-west-1")
			if unfenced {
				if oldAtOpen != "eu-west-1" {
					t.Errorf("unfenced old write region at the open: admitted %q, want eu-west-1: without the fence both regions take writes", oldAtOpen)
				}
				return
			}
			if oldAtOpen != "" {
				t.Errorf("old write region at the open: admitted %q, want a refusal", oldAtOpen)
			}
			// No majority can renew the old belief any more: only the lost
			// region's own view still grants it.
			grants := 0
			for _, r := range regions3 {
				if _, err := s.reps[r].Renew(context.Background(), euOpen, s.clock.Now().Add(DefaultLease), "probe"); err == nil {
					grants++
				}
			}
			if grants >= Majority(len(regions3)) {
				t.Errorf("after the move %d views still grant the old belief, a majority", grants)
			}
			// The old region returns: its functions learn the move from the
			// refusals and write to the new region; a pinned one is refused.
			back := s.fence(t, "eu-west-1")
			mustAdmit(t, back, "us-east-1")
			pinned := s.fence(t, "eu-west-1", func(c *FenceConfig) { c.Pinned = &euOpen })
			_, err := admit(t, pinned)
			wantRefusal(t, err, "has moved")
		})
	}
}

func TestOperatorForcedMoveRefuses(t *testing.T) {
	tests := []struct {
		name string
		cut  []string
		to   string
	}{
		{"without a move quorum", []string{"eu-west-1", "ap-southeast-2"}, "us-east-1"},
		{"when the target does not answer", []string{"eu-west-1", "us-east-1"}, "us-east-1"},
		{"when the target is lost though a quorum answers", []string{"us-east-1"}, "us-east-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStack(t, regions3...)
			for _, r := range tt.cut {
				s.reps[r].Cut(ErrCut)
			}
			var steps []Step
			err := s.operator(&steps, nil).Move(context.Background(), tt.to, true)
			_ = wantOpError(t, err, "check", "write-region move -to "+tt.to+" -force")
			if n := totalCalls(s, "Set"); n != 0 {
				t.Errorf("a refused forced move changed %d views", n)
			}
		})
	}
}

func TestOperatorForcedMoveStoppedHalfWayResumes(t *testing.T) {
	s := newTestStack(t, regions3...)
	f := s.fence(t, "us-east-1")
	mustAdmit(t, f, "eu-west-1")
	f.settle()
	s.reps["eu-west-1"].Cut(ErrCut)
	var steps []Step
	// ap-southeast-2 is lost too while the operator waits out the leases.
	op := s.operator(&steps, func() { s.reps["ap-southeast-2"].Cut(ErrCut) })
	err := op.Move(context.Background(), "us-east-1", true)
	oe := wantOpError(t, err, "open", "write-region resume")
	if !strings.Contains(oe.Left, "paused") {
		t.Errorf("left %q: want it to say writes are paused at the new epoch", oe.Left)
	}
	wantViews(t, s, usOpen, "us-east-1")
	wantViews(t, s, Belief{WriteRegion: "us-east-1", Epoch: 2, State: Paused}, "ap-southeast-2")

	s.reps["ap-southeast-2"].Cut(nil)
	steps = nil
	if err := s.operator(&steps, nil).Resume(context.Background()); err != nil {
		t.Fatalf("resume: %v", err)
	}
	wantViews(t, s, usOpen, "us-east-1", "ap-southeast-2")
}

func TestOperatorResumeFinishesAFenceWithoutWaitingOut(t *testing.T) {
	// A forced move stopped right after its fence, before waiting out the
	// leases: resume must wait them out before it opens.
	s := newTestStack(t, regions3...)
	f := s.fence(t, "eu-west-1")
	leaseStart := s.clock.Now()
	mustAdmit(t, f, "eu-west-1")
	f.settle()
	s.reps["eu-west-1"].Cut(ErrCut)
	s.set(t, Belief{WriteRegion: "us-east-1", Epoch: 2, State: Paused}, "us-east-1", "ap-southeast-2")
	var steps []Step
	if err := s.operator(&steps, nil).Resume(context.Background()); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if end := leaseStart.Add(DefaultLease + Margin); s.clock.Now().Before(end) {
		t.Errorf("resume opened at %v, before the old lease ended (+margin, %v)", s.clock.Now().Sub(leaseStart), end.Sub(leaseStart))
	}
	wantViews(t, s, usOpen, "us-east-1", "ap-southeast-2")
}

func TestOperatorMoveChecksTheTarget(t *testing.T) {
	s := newTestStack(t, regions3...)
	var steps []Step
	op := s.operator(&steps, nil)
	_ = wantOpError(t, op.Move(context.Background(), "sa-east-1", false), "check", "write-region status")
	var oe *OpError
	if err := op.Move(context.Background(), "eu-west-1", false); !errors.As(err, &oe) || oe.Step != "check" {
		t.Errorf("move to the write region itself: %v, want a check error", err)
	}
	if n := totalCalls(s, "Set"); n != 0 {
		t.Errorf("refused moves changed %d views", n)
	}
}

// TestTwoRegionsNeedBoth shows the limit of a two-region stack: with one
// region lost, no lease can be renewed and a forced move refuses to start,
// since it could not open the other.
func TestTwoRegionsNeedBoth(t *testing.T) {
	s := newTestStack(t, "eu-west-1", "us-east-1")
	s.reps["eu-west-1"].Cut(ErrCut)
	f := s.fence(t, "us-east-1")
	_, err := admit(t, f)
	wantRefusal(t, err, "a majority of regions did not confirm")
	var steps []Step
	err = s.operator(&steps, nil).Move(context.Background(), "us-east-1", true)
	_ = wantOpError(t, err, "check", "write-region move -to us-east-1 -force")
	if n := totalCalls(s, "Set"); n != 0 {
		t.Errorf("a forced move that cannot open changed %d views", n)
	}
}
