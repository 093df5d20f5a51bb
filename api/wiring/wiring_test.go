package wiring_test

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/api/wiring"
	"github.com/hush-scores/hush/scores"
	"github.com/hush-scores/hush/writeregion"
)

var prod = []string{"eu-central-1", "eu-west-1", "us-east-1"}

func TestDecide(t *testing.T) {
	every := func(k wiring.Kind) map[string]wiring.Kind {
		return map[string]wiring.Kind{"eu-central-1": k, "eu-west-1": k, "us-east-1": k}
	}
	tests := []struct {
		name    string
		fn      api.Function
		region  string
		regions []string
		want    wiring.Plan
	}{
		{"hello", api.FunctionHello, "us-east-1", prod, wiring.Plan{}},
		{"read reads its replica and probes every other", api.FunctionRead, "us-east-1", prod, wiring.Plan{
			Stores:   map[string]wiring.Kind{"us-east-1": wiring.Read, "eu-central-1": wiring.Probe, "eu-west-1": wiring.Probe},
			Controls: map[string]wiring.Kind{"us-east-1": wiring.Read},
		}},
		{"read alone in its stack probes nothing", api.FunctionRead, "eu-central-1", []string{"eu-central-1"}, wiring.Plan{
			Stores:   map[string]wiring.Kind{"eu-central-1": wiring.Read},
			Controls: map[string]wiring.Kind{"eu-central-1": wiring.Read},
		}},
		{"write reaches every replica, fenced", api.FunctionWrite, "eu-west-1", prod, wiring.Plan{
			Stores: every(wiring.Write), Controls: every(wiring.Write), Fenced: true,
		}},
		{"an unknown function gets nothing", api.Function("delete-everything"), "us-east-1", prod, wiring.Plan{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wiring.Decide(tt.fn, tt.region, tt.regions); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decide(%s, %s) = %+v, want %+v", tt.fn, tt.region, got, tt.want)
			}
		})
	}
}

// TestDecideCoversEveryFunction keeps Decide in step with api.Functions:
// every function that may touch the table gets a store of its own replica.
func TestDecideCoversEveryFunction(t *testing.T) {
	for _, spec := range api.Functions() {
		p := wiring.Decide(spec.Name, "r", []string{"r"})
		if (spec.Access == api.AccessNone) != (p.Stores["r"] == 0) {
			t.Errorf("Decide(%s) = %+v for access %v", spec.Name, p, spec.Access)
		}
	}
}

// memStore is a store of one region that records the matches written to
// it.
type memStore struct {
	scores.Store
	region  string
	created []string
}

func (m *memStore) Ping(context.Context) error { return nil }

func (m *memStore) CreateMatch(_ context.Context, match scores.Match) error {
	m.created = append(m.created, match.MatchID)
	return nil
}

// memOpener opens memory stores and controls, recording what was opened.
type memOpener struct {
	stores   map[string]*memStore
	controls map[string]*writeregion.MemControl
	opened   []string
	fail     error
}

func newMemOpener(regions []string) *memOpener {
	o := &memOpener{stores: map[string]*memStore{}, controls: map[string]*writeregion.MemControl{}}
	for _, r := range regions {
		o.stores[r] = &memStore{region: r}
		o.controls[r] = writeregion.NewMemControl(r)
	}
	return o
}

func (o *memOpener) Store(kind wiring.Kind, region string) (wiring.Store, error) {
	o.opened = append(o.opened, "store "+kind.String()+" "+region)
	if o.fail != nil {
		return nil, o.fail
	}
	return o.stores[region], nil
}

func (o *memOpener) Control(kind wiring.Kind, region string) (writeregion.Control, error) {
	o.opened = append(o.opened, "control "+kind.String()+" "+region)
	return o.controls[region], nil
}

// seed seeds every replica's view with writeRegion at epoch, open, and
// replicates them.
func (o *memOpener) seed(t *testing.T, writeRegion string, epoch int64) {
	t.Helper()
	for r, c := range o.controls {
		if _, err := c.Seed(t.Context(), writeregion.View{Replica: r, WriteRegion: writeRegion, Epoch: epoch, State: writeregion.Open}); err != nil {
			t.Fatal(err)
		}
	}
	writeregion.Replicate(slices.Collect(maps.Values(o.controls))...)
}

// TestWriteGoesWhereTheViewsSay wires the write function in one region and
// checks that its store writes the replica of the region the views name,
// not its own, and that its belief is what the views hold.
func TestWriteGoesWhereTheViewsSay(t *testing.T) {
	o := newMemOpener(prod)
	o.seed(t, "eu-central-1", 1)
	deps, err := wiring.Deps(wiring.Config{Function: api.FunctionWrite, Region: "us-east-1", Regions: prod}, o)
	if err != nil {
		t.Fatalf("Deps: %v", err)
	}
	if deps.Region != "us-east-1" || deps.Belief == nil || deps.WriteProbes != nil {
		t.Errorf("deps = %+v, want region us-east-1, a belief and no probes", deps)
	}
	if err := deps.Store.CreateMatch(t.Context(), scores.Match{MatchID: "m1"}); err != nil {
		t.Fatalf("CreateMatch: %v", err)
	}
	for r, s := range o.stores {
		want := []string(nil)
		if r == "eu-central-1" {
			want = []string{"m1"}
		}
		if !slices.Equal(s.created, want) {
			t.Errorf("the store of %s holds %v, want %v", r, s.created, want)
		}
	}
	b, err := deps.Belief.Belief(t.Context())
	if err != nil || b != (writeregion.Belief{WriteRegion: "eu-central-1", Epoch: 1, State: writeregion.Open}) {
		t.Errorf("belief = %+v, %v; want eu-central-1 at epoch 1, open", b, err)
	}
	// Renewed through the replicas: the lease needs a majority of views
	// (the fence decides without waiting for the rest).
	renewed := 0
	for _, c := range o.controls {
		if c.Calls("Renew") > 0 {
			renewed++
		}
	}
	if renewed < writeregion.Majority(len(prod)) {
		t.Errorf("the lease was renewed through %d replicas, want at least a majority", renewed)
	}
}

func TestReadGetsItsBeliefAndProbes(t *testing.T) {
	o := newMemOpener(prod)
	o.seed(t, "eu-west-1", 3)
	deps, err := wiring.Deps(wiring.Config{Function: api.FunctionRead, Region: "us-east-1", Regions: prod}, o)
	if err != nil {
		t.Fatalf("Deps: %v", err)
	}
	if got := deps.Store.(*memStore).region; got != "us-east-1" {
		t.Errorf("the read store reaches %s, want its own replica", got)
	}
	if got := slices.Sorted(maps.Keys(deps.WriteProbes)); !slices.Equal(got, []string{"eu-central-1", "eu-west-1"}) {
		t.Errorf("probes of %v, want every other region", got)
	}
	b, err := deps.Belief.Belief(t.Context())
	if err != nil || b.WriteRegion != "eu-west-1" || b.Epoch != 3 {
		t.Errorf("belief = %+v, %v; want eu-west-1 at epoch 3", b, err)
	}
	if n := o.controls["eu-central-1"].Calls("Views") + o.controls["eu-west-1"].Calls("Views"); n != 0 {
		t.Errorf("the reader read other replicas' views %d times, want its own only", n)
	}
}

func TestHelloOpensNothing(t *testing.T) {
	o := newMemOpener(prod)
	deps, err := wiring.Deps(wiring.Config{Function: api.FunctionHello, Region: "us-east-1", Regions: prod}, o)
	if err != nil || deps.Store != nil || deps.Belief != nil || len(o.opened) != 0 {
		t.Errorf("hello: deps %+v, err %v, opened %v; want nothing", deps, err, o.opened)
	}
}

func TestDepsNamesAFailedOpen(t *testing.T) {
	boom := errors.New("no such endpoint")
	o := newMemOpener(prod)
	o.fail = boom
	_, err := wiring.Deps(wiring.Config{Function: api.FunctionRead, Region: "us-east-1", Regions: prod}, o)
	if !errors.Is(err, boom) {
		t.Fatalf("Deps = %v, want an error wrapping %v", err, boom)
	}
}

// fakeClock is a clock a test moves by hand.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

// TestBeliefCacheReadsOncePerTTL checks the reader's belief: read from its
// replica, kept for DefaultBeliefTTL, read again after, and ErrNoView
// before the replica is seeded.
func TestBeliefCacheReadsOncePerTTL(t *testing.T) {
	c := writeregion.NewMemControl("eu-west-1")
	clock := &fakeClock{now: time.Date(2026, 3, 1, 18, 30, 0, 0, time.UTC)}
	cache := wiring.NewBeliefCache(c, clock.Now)
	if _, err := cache.Belief(t.Context()); !errors.Is(err, writeregion.ErrNoView) {
		t.Fatalf("belief before seeding: %v, want ErrNoView", err)
	}
	if _, err := c.Seed(t.Context(), writeregion.View{Replica: "eu-west-1", WriteRegion: "eu-central-1", Epoch: 1, State: writeregion.Open}); err != nil {
		t.Fatal(err)
	}
	if b, err := cache.Belief(t.Context()); err != nil || b.WriteRegion != "eu-central-1" {
		t.Fatalf("belief = %+v, %v; want eu-central-1", b, err)
	}
	reads := c.Calls("Views")
	if _, err := c.Set(t.Context(), writeregion.Belief{WriteRegion: "us-east-1", Epoch: 2, State: writeregion.Open}, "test"); err != nil {
		t.Fatal(err)
	}
	clock.now = clock.now.Add(writeregion.DefaultBeliefTTL / 2)
	if b, _ := cache.Belief(t.Context()); b.WriteRegion != "eu-central-1" || c.Calls("Views") != reads {
		t.Errorf("within the TTL: belief %+v after %d reads, want the cached one and no read", b, c.Calls("Views")-reads)
	}
	clock.now = clock.now.Add(writeregion.DefaultBeliefTTL)
	if b, _ := cache.Belief(t.Context()); b.WriteRegion != "us-east-1" || b.Epoch != 2 {
		t.Errorf("after the TTL: belief %+v, want the move to us-east-1 at epoch 2", b)
	}
}

func TestLease(t *testing.T) {
	tests := []struct {
		name  string
		bound time.Duration
		want  time.Duration
	}{
		{"the Lambda bound takes the default lease", api.DefaultWriteTimeout, writeregion.DefaultLease},
		{"a shorter bound too", 100 * time.Millisecond, writeregion.DefaultLease},
		{"a busy machine's bound gets room to renew ahead", 10 * time.Second, 10*time.Second + writeregion.DefaultLease - api.DefaultWriteTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wiring.Lease(tt.bound)
			if got != tt.want {
				t.Errorf("Lease(%s) = %s, want %s", tt.bound, got, tt.want)
			}
			if got <= tt.bound+writeregion.RenewAhead {
				t.Errorf("Lease(%s) = %s leaves no time to admit a write and renew ahead", tt.bound, got)
			}
		})
	}
}

// deniedControl is a replica whose every call meets a defect of the
// deployment, as a missing grant is (package dynamo: CodeInternal).
type deniedControl struct{ *writeregion.MemControl }

var errDenied = &scores.Error{Code: scores.CodeInternal, Message: "internal error", Err: errors.New("AccessDeniedException: not authorized")}

func (d deniedControl) Views(context.Context) ([]writeregion.View, error) { return nil, errDenied }

func (d deniedControl) Renew(context.Context, writeregion.Belief, time.Time, string) (writeregion.View, error) {
	return writeregion.View{}, errDenied
}

// deniedOpener opens deniedControls in the regions of denied.
type deniedOpener struct {
	*memOpener
	denied map[string]bool
}

func (o deniedOpener) Control(kind wiring.Kind, region string) (writeregion.Control, error) {
	c, _ := o.memOpener.Control(kind, region)
	if o.denied[region] {
		return deniedControl{c.(*writeregion.MemControl)}, nil
	}
	return c, nil
}

// TestAFenceDefectIsNotARefusal checks that a write the fence refuses
// because a replica call met a defect (a missing grant) answers as the
// defect (500), while a refusal of the fence itself stays 503.
func TestAFenceDefectIsNotARefusal(t *testing.T) {
	two := []string{"eu-central-1", "us-east-1"}
	tests := []struct {
		name   string
		denied map[string]bool
		seeded bool
		want   scores.Code
	}{
		{"the belief cannot be read", map[string]bool{"us-east-1": true}, true, scores.CodeInternal},
		{"the lease cannot be renewed", map[string]bool{"eu-central-1": true}, true, scores.CodeInternal},
		{"not seeded is a refusal", nil, false, scores.CodeUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := deniedOpener{memOpener: newMemOpener(two), denied: tt.denied}
			if tt.seeded {
				o.seed(t, "eu-central-1", 1)
			}
			deps, err := wiring.Deps(wiring.Config{Function: api.FunctionWrite, Region: "us-east-1", Regions: two}, o)
			if err != nil {
				t.Fatal(err)
			}
			err = deps.Store.CreateMatch(t.Context(), scores.Match{MatchID: "m1"})
			var se *scores.Error
			if !errors.As(err, &se) || se.Code != tt.want {
				t.Errorf("CreateMatch = %v, want code %v", err, tt.want)
			}
		})
	}
}
