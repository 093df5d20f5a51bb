package localcloud

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/api/wiring"
	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/localcloud/gateway"
	"github.com/hush-scores/hush/writeregion"
)

// functions are the Lambda functions of every region, wired to the
// replicas as the Lambda mains wire them (package wiring decides which
// stores, controls and probes each gets): the write function through a
// fence over every region's replica, the read function with its belief and
// its probes. The write region is data in the table, so a move needs no
// rewire; the test switches below rebuild them, as a deploy would.
type functions struct {
	clients *clients
	table   string
	logger  *slog.Logger
	// stackRegions are every region of the stack, as HUSH_REGIONS lists
	// them in the cloud.
	stackRegions []string

	mu sync.Mutex
	// off, a test hook, has each region write its own replica without a
	// fence (what Hush did before it had a write region, and what the race
	// tests' control run needs).
	off bool
	// unfenced, a test switch, has the write functions admit writes on
	// their belief alone, without a lease (wiring.Config.Unfenced).
	unfenced bool
	// timeout bounds each write (see DefaultWriteTimeout).
	timeout  time.Duration
	byRegion map[string]*regionFunctions
	regions  []string
}

// regionFunctions are one region's functions, swapped in at once on a
// rewire, so a request sees either the old wiring or the new one.
type regionFunctions struct {
	current atomic.Pointer[map[api.Function]gateway.LambdaFunc]
}

// lambdas returns what the gateway calls: a function per name that looks up
// the current wiring on every request.
func (f *regionFunctions) lambdas() map[api.Function]gateway.LambdaFunc {
	out := make(map[api.Function]gateway.LambdaFunc)
	for _, spec := range api.Functions() {
		name := spec.Name
		out[name] = func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			return (*f.current.Load())[name](ctx, ev)
		}
	}
	return out
}

func newFunctions(c *clients, table string, stackRegions []string, timeout time.Duration, logger *slog.Logger) *functions {
	return &functions{
		clients: c, table: table, logger: logger, stackRegions: stackRegions,
		timeout: timeout, byRegion: map[string]*regionFunctions{},
	}
}

// add warms region's replica up (see clients.warmUp) and wires its
// functions; it returns what its gateway calls.
func (f *functions) add(ctx context.Context, region string) (map[api.Function]gateway.LambdaFunc, error) {
	f.clients.warmUp(ctx, region, f.table)
	fns, err := f.wire(ctx, region)
	if err != nil {
		return nil, err
	}
	rf := &regionFunctions{}
	rf.current.Store(&fns)
	f.mu.Lock()
	f.byRegion[region] = rf
	f.regions = append(f.regions, region)
	f.mu.Unlock()
	return rf.lambdas(), nil
}

// wire builds region's functions with the current switches.
func (f *functions) wire(ctx context.Context, region string) (map[api.Function]gateway.LambdaFunc, error) {
	f.mu.Lock()
	off, unfenced, timeout := f.off, f.unfenced, f.timeout
	f.mu.Unlock()
	out := make(map[api.Function]gateway.LambdaFunc)
	for _, fn := range api.Functions() {
		open := &opener{ctx: ctx, f: f, region: region, timeout: timeout}
		d, err := wiring.Deps(wiring.Config{
			Function: fn.Name, Region: region, Regions: f.stackRegions, WriteTimeout: timeout, Unfenced: unfenced,
		}, open)
		if err != nil {
			return nil, fmt.Errorf("localcloud: %s of %s: %w", fn.Name, region, err)
		}
		if off && fn.Access == api.AccessWrite {
			// Each region writes its own replica, unfenced.
			own, err := open.Store(wiring.Write, region)
			if err != nil {
				return nil, fmt.Errorf("localcloud: %s of %s: %w", fn.Name, region, err)
			}
			d.Store = own
		}
		d.WriteTimeout, d.Logger = timeout, f.logger.With("region", region)
		out[fn.Name] = api.NewLambdaHandler(fn.Name, d)
	}
	return out, nil
}

// opener opens a function's stores and controls in region through the
// clients the local cloud hands out: its own replica with the functions'
// read bounds (kind read), any replica with the write bound (kind write,
// the write function's), or another region's replica with a probe's
// client (kind probe, the read function's). Each kind of client carries
// its function's identity, whose IAM policy is enforced on every call.
type opener struct {
	ctx     context.Context //nolint:containedctx // the clients' warm-up of Start
	f       *functions
	region  string
	timeout time.Duration
}

func (o *opener) client(kind wiring.Kind, to string) (*dynamodb.Client, error) {
	switch kind {
	case wiring.Write:
		return o.f.clients.get(o.ctx, o.region, to, clientWrite, o.timeout)
	case wiring.Probe:
		return o.f.clients.get(o.ctx, o.region, to, clientProbe)
	default:
		return o.f.clients.get(o.ctx, o.region, to, clientRead)
	}
}

func (o *opener) Store(kind wiring.Kind, to string) (wiring.Store, error) {
	c, err := o.client(kind, to)
	if err != nil {
		return nil, err
	}
	return dynamo.NewStore(c, o.f.table), nil
}

func (o *opener) Control(kind wiring.Kind, to string) (writeregion.Control, error) {
	c, err := o.client(kind, to)
	if err != nil {
		return nil, err
	}
	return dynamo.NewControl(c, o.f.table, to), nil
}

// reroute changes the routing with change and rewires every region.
func (f *functions) reroute(ctx context.Context, change func(f *functions)) error {
	f.mu.Lock()
	change(f)
	regions := f.regions
	f.mu.Unlock()
	for _, r := range regions {
		fns, err := f.wire(ctx, r)
		if err != nil {
			return err
		}
		f.mu.Lock()
		f.byRegion[r].current.Store(&fns)
		f.mu.Unlock()
	}
	return nil
}

// warmUp warms every region's replica up, after DynamoDB Local restarted.
func (f *functions) warmUp(ctx context.Context) {
	f.mu.Lock()
	regions := f.regions
	f.mu.Unlock()
	for _, r := range regions {
		f.clients.warmUp(ctx, r, f.table)
	}
}

// SetWriteRouting switches write routing on (the default) or off. Off, each
// region's write function writes its own replica without a fence, as
// before Hush had a write region: a test hook for the control run that
// proves the race tests can fail. Never a setting of a real stack.
func (s *Stack) SetWriteRouting(ctx context.Context, on bool) error {
	return s.functions.reroute(ctx, func(f *functions) { f.off = !on })
}

// SetUnfenced rewires the write functions to admit writes on their belief
// alone, without a lease, when unfenced is true (and back to the fence
// when false): a TEST SWITCH for the test that shows the fence is what
// keeps two regions from both taking writes. Never a setting of a real
// stack.
func (s *Stack) SetUnfenced(ctx context.Context, unfenced bool) error {
	return s.functions.reroute(ctx, func(f *functions) { f.unfenced = unfenced })
}

// SetWriteTimeout sets the bound of every write, the write region's
// retries included; 0 means DefaultWriteTimeout. api.DefaultWriteTimeout
// is the Lambda functions' bound, for drills of a write region that hangs.
func (s *Stack) SetWriteTimeout(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		d = DefaultWriteTimeout
	}
	return s.functions.reroute(ctx, func(f *functions) { f.timeout = d })
}
