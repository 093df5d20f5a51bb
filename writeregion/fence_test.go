package writeregion

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hush-scores/hush/scores"
)

// fakeClock is a clock that moves only when a test moves it. Sleep moves it
// by the time asked, so an operator waiting out a lease costs no real time.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	slept  time.Duration
	sleeps int
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	if d > 0 {
		c.t = c.t.Add(d)
		c.slept += d
	}
	c.sleeps++
	c.mu.Unlock()
	return ctx.Err()
}

// testStack is a stack of in-memory replicas, every view seeded with the
// first region as the write region at epoch 1 and replicated everywhere.
type testStack struct {
	regions []string
	reps    map[string]*MemControl
	clock   *fakeClock
}

const testWriteBound = 1800 * time.Millisecond

func newTestStack(t testing.TB, regions ...string) *testStack {
	t.Helper()
	s := &testStack{regions: regions, reps: map[string]*MemControl{}, clock: newFakeClock()}
	for _, r := range regions {
		s.reps[r] = NewMemControl(r)
	}
	s.seed(t, Belief{WriteRegion: regions[0], Epoch: 1, State: Open})
	return s
}

// newEmptyStack is a stack whose replicas hold no view.
func newEmptyStack(regions ...string) *testStack {
	s := &testStack{regions: regions, reps: map[string]*MemControl{}, clock: newFakeClock()}
	for _, r := range regions {
		s.reps[r] = NewMemControl(r)
	}
	return s
}

func (s *testStack) seed(t testing.TB, b Belief) {
	t.Helper()
	for _, r := range s.regions {
		if _, err := s.reps[r].Seed(context.Background(), View{WriteRegion: b.WriteRegion, Epoch: b.Epoch, State: b.State}); err != nil {
			t.Fatalf("seed %s: %v", r, err)
		}
	}
	s.replicate()
}

func (s *testStack) replicate() {
	all := make([]*MemControl, 0, len(s.regions))
	for _, r := range s.regions {
		all = append(all, s.reps[r])
	}
	Replicate(all...)
}

func (s *testStack) controls() map[string]Control {
	cs := map[string]Control{}
	for r, c := range s.reps {
		cs[r] = c
	}
	return cs
}

// set makes the own views of regions say b, without replicating.
func (s *testStack) set(t *testing.T, b Belief, regions ...string) {
	t.Helper()
	for _, r := range regions {
		if _, err := s.reps[r].Set(context.Background(), b, "test"); err != nil {
			t.Fatalf("set %s to %+v: %v", r, b, err)
		}
	}
}

func (s *testStack) renewCalls() int {
	n := 0
	for _, c := range s.reps {
		n += c.Calls("Renew")
	}
	return n
}

func (s *testStack) fence(t testing.TB, region string, opts ...func(*FenceConfig)) *Fence {
	t.Helper()
	cfg := FenceConfig{
		Region: region, Regions: s.regions, Local: s.reps[region], Replicas: s.controls(),
		Now: s.clock.Now, WriteBound: testWriteBound, By: "write@" + region,
	}
	for _, o := range opts {
		o(&cfg)
	}
	f, err := NewFence(cfg)
	if err != nil {
		t.Fatalf("NewFence: %v", err)
	}
	return f
}

// admit calls Admit and fails the test when it has not returned within ten
// seconds, which only a fence waiting on a hung replica would need.
func admit(t *testing.T, f *Fence) (string, error) {
	t.Helper()
	type result struct {
		region string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		r, err := f.Admit(context.Background())
		done <- result{r, err}
	}()
	select {
	case r := <-done:
		return r.region, r.err
	case <-time.After(10 * time.Second):
		t.Fatalf("Admit has not returned after 10 s: it waits on a replica that does not answer")
		return "", nil
	}
}

func mustAdmit(t *testing.T, f *Fence, want string) {
	t.Helper()
	got, err := admit(t, f)
	if err != nil || got != want {
		t.Fatalf("Admit: got %q, %v; want %q", got, err, want)
	}
}

// wantRefusal checks that err is a refusal answered 503 whose client-safe
// message contains want.
func wantRefusal(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Admit: admitted, want a refusal saying %q", want)
	}
	if got := scores.ErrorCode(err); got != scores.CodeUnavailable {
		t.Errorf("refusal code: got %q (%v), want %q (503)", got, err, scores.CodeUnavailable)
	}
	if got := scores.ErrorMessage(err); !strings.Contains(got, want) {
		t.Errorf("refusal message: got %q, want it to contain %q", got, want)
	}
}

var regions3 = []string{"eu-west-1", "us-east-1", "ap-southeast-2"}

func TestFenceAdmitsOnAMajorityLease(t *testing.T) {
	s := newTestStack(t, regions3...)
	f := s.fence(t, "us-east-1")
	start := s.clock.Now()
	mustAdmit(t, f, "eu-west-1")
	f.settle()
	for _, r := range regions3 {
		v, _ := s.reps[r].Own()
		if want := start.Add(DefaultLease); !v.LeaseUntil.Equal(want) {
			t.Errorf("view of %s: lease until %v, want the round's start plus the lease, %v", r, v.LeaseUntil, want)
		}
	}
}

func TestFenceMajorityDoesNotWaitForAHungReplica(t *testing.T) {
	s := newTestStack(t, regions3...)
	s.reps["ap-southeast-2"].Hang(true)
	t.Cleanup(func() { s.reps["ap-southeast-2"].Hang(false) })
	// A call timeout of an hour: only the majority can end the round in
	// time.
	f := s.fence(t, "eu-west-1", func(c *FenceConfig) { c.CallTimeout = time.Hour })
	mustAdmit(t, f, "eu-west-1")
	// The hung call may not even have started when the majority decided;
	// once it has, it must still be waiting: Admit did not wait for it.
	deadline := time.Now().Add(5 * time.Second)
	for s.reps["ap-southeast-2"].Pending() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("calls waiting on the hung replica after Admit returned: %d, want 1", s.reps["ap-southeast-2"].Pending())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestFenceNoMajorityRefusesAfterTheCallBound(t *testing.T) {
	s := newTestStack(t, regions3...)
	s.reps["us-east-1"].Hang(true)
	s.reps["ap-southeast-2"].Cut(ErrCut)
	t.Cleanup(func() { s.reps["us-east-1"].Hang(false) })
	f := s.fence(t, "eu-west-1", func(c *FenceConfig) { c.CallTimeout = 50 * time.Millisecond })
	_, err := admit(t, f)
	wantRefusal(t, err, "a majority of regions did not confirm")
}

func TestFenceRenewalTiming(t *testing.T) {
	s := newTestStack(t, regions3...)
	f := s.fence(t, "eu-west-1")
	start := s.clock.Now()
	steps := []struct {
		name string
		// at is the time since the first grant.
		at time.Duration
		// renewals is how many rounds have been made by then, counting the
		// first.
		renewals int
		// until is the end of the lease by then, since start.
		until time.Duration
	}{
		{"first write renews", 0, 1, DefaultLease},
		{"plenty left: no renewal", time.Second, 1, DefaultLease},
		{"just over write bound + 1 s left: no renewal", DefaultLease - testWriteBound - RenewAhead - time.Millisecond, 1, DefaultLease},
		// 2.5 s left: admitted on the lease held, renewed in the background.
		{"under write bound + 1 s left: renewal ahead", DefaultLease - testWriteBound - 700*time.Millisecond, 2, 2*DefaultLease - testWriteBound - 700*time.Millisecond},
		// The renewed lease, from 2.5 s, has exactly the write bound left
		// at 5.7 s: too little, the write waits for a renewal.
		{"write bound left: renewal first", 2*DefaultLease - 2*testWriteBound - 700*time.Millisecond, 3, 3*DefaultLease - 2*testWriteBound - 700*time.Millisecond},
	}
	for _, st := range steps {
		s.clock.Set(start.Add(st.at))
		mustAdmit(t, f, "eu-west-1")
		f.settle()
		if got, want := s.renewCalls(), 3*st.renewals; got != want {
			t.Errorf("%s: %d Renew calls, want %d (%d rounds of 3)", st.name, got, want, st.renewals)
		}
		v, _ := s.reps["us-east-1"].Own()
		if want := start.Add(st.until); !v.LeaseUntil.Equal(want) {
			t.Errorf("%s: lease until %v, want %v", st.name, v.LeaseUntil.Sub(start), st.until)
		}
	}
}

func TestFenceLeaseExpiryRefuses(t *testing.T) {
	s := newTestStack(t, regions3...)
	f := s.fence(t, "eu-west-1")
	mustAdmit(t, f, "eu-west-1")
	// The write region is cut off from the other two: its own view still
	// grants, which is no majority.
	s.reps["us-east-1"].Cut(ErrCut)
	s.reps["ap-southeast-2"].Cut(ErrCut)
	s.clock.Advance(DefaultLease - testWriteBound - 500*time.Millisecond)
	mustAdmit(t, f, "eu-west-1") // on the lease held; its renewal fails
	f.settle()
	s.clock.Advance(500*time.Millisecond + time.Millisecond)
	_, err := admit(t, f)
	wantRefusal(t, err, "a majority of regions did not confirm")
}

func TestFenceNewerEpochSwitchesAtOnce(t *testing.T) {
	s := newTestStack(t, regions3...)
	// The write region moved to us-east-1 at epoch 2 while eu-west-1 was
	// cut off: its replica still says eu-west-1 at epoch 1.
	moved := Belief{WriteRegion: "us-east-1", Epoch: 2, State: Open}
	s.set(t, moved, "us-east-1", "ap-southeast-2")
	f := s.fence(t, "eu-west-1")
	if b, _ := f.Belief(context.Background()); b.Epoch != 1 {
		t.Fatalf("belief before: %+v, want the stale epoch 1", b)
	}
	mustAdmit(t, f, "us-east-1")
	if b, _ := f.Belief(context.Background()); b != moved {
		t.Errorf("belief after: %+v, want %+v", b, moved)
	}
	f.settle()
	if v, _ := s.reps["eu-west-1"].Own(); v.Of() != moved {
		t.Errorf("the returning region's view: %+v, want it to adopt %+v", v.Of(), moved)
	}
	// The local replica still holds the stale copies; a fresh read must not
	// take the fence back to epoch 1.
	s.clock.Advance(2 * DefaultBeliefTTL)
	if b, _ := f.Belief(context.Background()); b != moved {
		t.Errorf("belief after a fresh read: %+v, want %+v", b, moved)
	}
}

func TestFencePausedRefuses(t *testing.T) {
	paused := Belief{WriteRegion: "eu-west-1", Epoch: 1, State: Paused}
	tests := []struct {
		name string
		// where the pause has reached; it is replicated everywhere when
		// replicated is set.
		where      []string
		replicated bool
	}{
		{"pause read in the local replica", regions3, true},
		{"pause learnt from the refusing views", []string{"us-east-1", "ap-southeast-2"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStack(t, regions3...)
			s.set(t, paused, tt.where...)
			if tt.replicated {
				s.replicate()
			}
			f := s.fence(t, "eu-west-1")
			_, err := admit(t, f)
			wantRefusal(t, err, "writes are paused")
		})
	}
}

func TestFenceNotSeededRefuses(t *testing.T) {
	s := newEmptyStack(regions3...)
	f := s.fence(t, "eu-west-1")
	_, err := admit(t, f)
	wantRefusal(t, err, "not seeded")
	if n := s.renewCalls(); n != 0 {
		t.Errorf("renewals without a belief: %d, want 0", n)
	}
}

func TestFenceTestSwitches(t *testing.T) {
	cutOff := func(s *testStack) {
		s.reps["us-east-1"].Cut(ErrCut)
		s.reps["ap-southeast-2"].Cut(ErrCut)
	}
	moved := func(s *testStack) {
		s.set(t, Belief{WriteRegion: "us-east-1", Epoch: 2, State: Open}, regions3...)
		s.replicate()
	}
	stale := Belief{WriteRegion: "eu-west-1", Epoch: 1, State: Open}
	tests := []struct {
		name   string
		change func(*testStack)
		opt    func(*FenceConfig)
		// want is the region admitted, "" for a refusal saying refusal.
		want, refusal string
	}{
		{"fenced, cut off", cutOff, func(*FenceConfig) {}, "", "majority"},
		{"unfenced, cut off", cutOff, func(c *FenceConfig) { c.Unfenced = true }, "eu-west-1", ""},
		{"fenced, moved", moved, func(*FenceConfig) {}, "us-east-1", ""},
		{"pinned to the old epoch, moved", moved, func(c *FenceConfig) { c.Pinned = &stale }, "", "has moved"},
		{"pinned and unfenced, moved", moved, func(c *FenceConfig) { c.Pinned, c.Unfenced = &stale, true }, "eu-west-1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStack(t, regions3...)
			tt.change(s)
			f := s.fence(t, "eu-west-1", tt.opt)
			got, err := admit(t, f)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Fatalf("Admit: got %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			wantRefusal(t, err, tt.refusal)
			if b, _ := f.Belief(context.Background()); f.cfg.Pinned != nil && b != stale {
				t.Errorf("pinned belief changed to %+v", b)
			}
		})
	}
}

func TestFenceMessagesAreClientSafe(t *testing.T) {
	secret := errors.New("dial tcp 10.1.2.3:8000: i/o timeout in arn:aws:dynamodb:secret-table")
	tests := []struct {
		name   string
		change func(*testStack)
	}{
		{"local replica unreadable, no belief yet", func(s *testStack) { s.reps["eu-west-1"].Cut(secret) }},
		{"no majority", func(s *testStack) {
			s.reps["us-east-1"].Cut(secret)
			s.reps["ap-southeast-2"].Cut(secret)
		}},
		{"moved, pinned", func(s *testStack) {
			s.set(t, Belief{WriteRegion: "us-east-1", Epoch: 2, State: Open}, regions3...)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStack(t, regions3...)
			tt.change(s)
			pinned := Belief{WriteRegion: "eu-west-1", Epoch: 1, State: Open}
			f := s.fence(t, "eu-west-1", func(c *FenceConfig) {
				if strings.Contains(tt.name, "pinned") {
					c.Pinned = &pinned
				}
			})
			_, err := admit(t, f)
			wantRefusal(t, err, "writes are refused")
			msg := scores.ErrorMessage(err)
			for _, leak := range []string{"10.1.2.3", "arn:", "secret", "epoch", "memory view", "eu-west-1", "us-east-1"} {
				if strings.Contains(msg, leak) {
					t.Errorf("message %q shows %q to the client", msg, leak)
				}
			}
		})
	}
}

func TestFenceKeepsItsBeliefWhenTheLocalReplicaFails(t *testing.T) {
	s := newTestStack(t, regions3...)
	f := s.fence(t, "us-east-1")
	mustAdmit(t, f, "eu-west-1")
	s.reps["us-east-1"].Cut(ErrCut)
	s.clock.Advance(DefaultLease)
	// Its own replica is down, but the other two renew the belief it had.
	mustAdmit(t, f, "eu-west-1")
}

func TestNewFenceRefusesIncompleteConfigs(t *testing.T) {
	s := newTestStack(t, regions3...)
	good := func() FenceConfig {
		return FenceConfig{Region: "eu-west-1", Regions: regions3, Local: s.reps["eu-west-1"], Replicas: s.controls(), WriteBound: testWriteBound}
	}
	tests := []struct {
		name   string
		change func(*FenceConfig)
		want   string
	}{
		{"no region", func(c *FenceConfig) { c.Region = "" }, "no region"},
		{"region not in the stack", func(c *FenceConfig) { c.Region = "sa-east-1" }, "not among"},
		{"no local replica", func(c *FenceConfig) { c.Local = nil }, "no local replica"},
		{"a replica missing", func(c *FenceConfig) { delete(c.Replicas, "ap-southeast-2") }, "no replica for region ap-southeast-2"},
		{"no write bound", func(c *FenceConfig) { c.WriteBound = 0 }, "no write bound"},
		{"lease too short for the write bound", func(c *FenceConfig) { c.Lease = 2 * time.Second }, "cannot outlast"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good()
			cfg.Replicas = s.controls()
			tt.change(&cfg)
			_, err := NewFence(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewFence: got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := NewFence(good()); err != nil {
		t.Errorf("NewFence of a complete config: %v", err)
	}
}

func TestSeedAllNeverRevertsAMove(t *testing.T) {
	s := newEmptyStack(regions3...)
	var cs []Control
	for _, r := range regions3 {
		cs = append(cs, s.reps[r])
	}
	if err := SeedAll(context.Background(), cs, euOpen, "seed"); err != nil {
		t.Fatalf("first seed: %v", err)
	}
	s.set(t, usOpen, regions3...)
	s.reps["ap-southeast-2"].Cut(ErrCut)
	err := SeedAll(context.Background(), cs, euOpen, "seed")
	if err == nil || !strings.Contains(err.Error(), "ap-southeast-2") {
		t.Errorf("seed with a replica down: %v, want an error naming ap-southeast-2", err)
	}
	wantViews(t, s, usOpen, regions3...)
}

// BenchmarkAdmitOnHeldLease measures what the fence adds to a write while
// its lease is held: no call to any replica.
func BenchmarkAdmitOnHeldLease(b *testing.B) {
	s := newTestStack(b, regions3...)
	f := s.fence(b, "eu-west-1")
	if _, err := f.Admit(context.Background()); err != nil {
		b.Fatalf("admit: %v", err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.Admit(context.Background()); err != nil {
			b.Fatalf("admit: %v", err)
		}
	}
}

func TestFenceConcurrentWritesShareOneRenewal(t *testing.T) {
	s := newTestStack(t, regions3...)
	f := s.fence(t, "eu-west-1")
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			if _, err := f.Admit(context.Background()); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Admit: %v", err)
	}
	f.settle()
	if got := s.renewCalls(); got != 3 {
		t.Errorf("20 writes at once made %d Renew calls, want 3 (one round)", got)
	}
}

func TestFenceSeesAPauseEndBeforeTheBeliefTTL(t *testing.T) {
	s := newTestStack(t, regions3...)
	paused := Belief{WriteRegion: "eu-west-1", Epoch: 1, State: Paused}
	s.set(t, paused, regions3...)
	s.replicate()
	f := s.fence(t, "eu-west-1")
	_, err := admit(t, f)
	wantRefusal(t, err, "writes are paused")

	s.set(t, Belief{WriteRegion: "eu-west-1", Epoch: 1, State: Open}, regions3...)
	s.replicate()
	// Within pausedLook of the last read the fence refuses without a call;
	// after it, it reads the views again, well before DefaultBeliefTTL.
	_, err = admit(t, f)
	wantRefusal(t, err, "writes are paused")
	s.clock.Advance(pausedLook)
	if DefaultBeliefTTL <= pausedLook {
		t.Fatalf("pausedLook %v is not shorter than the belief's TTL %v", pausedLook, DefaultBeliefTTL)
	}
	mustAdmit(t, f, "eu-west-1")
}
