package localcloud

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/api/wiring"
	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/localcloud/gateway"
)

// functions are the Lambda functions of every region, wired to the
// replicas as the Lambda mains wire them (package wiring decides which
// store and probe each gets). They are rebuilt when the routing changes,
// as a `pulumi up` redeploys them with a new WRITE_REGION.
type functions struct {
	clients *clients
	table   string
	logger  *slog.Logger

	mu sync.Mutex
	// writeRegion takes every write unless off, a test hook, has each
	// region write its own replica (what Hush did before it had a write
	// region, and what the race tests' control run needs).
	writeRegion string
	off         bool
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

func newFunctions(c *clients, table, writeRegion string, timeout time.Duration, logger *slog.Logger) *functions {
	return &functions{
		clients: c, table: table, logger: logger,
		writeRegion: writeRegion, timeout: timeout, byRegion: map[string]*regionFunctions{},
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

// wire builds region's functions with the current routing.
func (f *functions) wire(ctx context.Context, region string) (map[api.Function]gateway.LambdaFunc, error) {
	f.mu.Lock()
	target, timeout := f.writeRegion, f.timeout
	if f.off {
		target = region
	}
	f.mu.Unlock()
	out := make(map[api.Function]gateway.LambdaFunc)
	for _, fn := range api.Functions() {
		d, err := wiring.Deps(fn.Name, region, target, f.opener(ctx, fn, region, target, timeout))
		if err != nil {
			return nil, fmt.Errorf("localcloud: %s of %s: %w", fn.Name, region, err)
		}
		d.WriteTimeout, d.Logger = timeout, f.logger.With("region", region)
		out[fn.Name] = api.NewLambdaHandler(fn.Name, d)
	}
	return out, nil
}

// opener opens fn's stores in region: its own replica with the functions'
// read bounds, the write region's with the write bound when fn writes, or
// with a probe's client of its own when fn only reads (health's write
// path). Each kind of client carries its function's identity, whose IAM
// policy is enforced on every call.
func (f *functions) opener(ctx context.Context, fn api.FunctionSpec, region, target string, timeout time.Duration) wiring.Opener {
	return func(r wiring.Replica) (wiring.Store, error) {
		to, kind, bounds := region, clientRead, []time.Duration(nil)
		switch {
		case r == wiring.WriteRegion && fn.Access == api.AccessWrite:
			to, kind, bounds = target, clientWrite, []time.Duration{timeout}
		case r == wiring.WriteRegion:
			to, kind = target, clientProbe
		}
		c, err := f.clients.get(ctx, region, to, kind, bounds...)
		if err != nil {
			return nil, err
		}
		return dynamo.NewStore(c, f.table), nil
	}
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

// WriteRegion returns the region whose replica takes every write.
func (s *Stack) WriteRegion() string {
	s.functions.mu.Lock()
	defer s.functions.mu.Unlock()
	return s.functions.writeRegion
}

// SetWriteRouting switches write routing on (the default) or off. Off, each
// region's write function writes its own replica, as before Hush had a
// write region: a test hook for the control run that proves the race tests
// can fail. Never a setting of a real stack.
func (s *Stack) SetWriteRouting(ctx context.Context, on bool) error {
	return s.functions.reroute(ctx, func(f *functions) { f.off = !on })
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
