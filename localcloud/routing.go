package localcloud

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/internal/dynamolocal"
	"github.com/hush-scores/hush/localcloud/gateway"
)

// functions are one region's Lambda functions. They are rebuilt when the
// write region moves, as a `pulumi up` redeploys them with a new
// WRITE_REGION, and swapped in at once, so a request sees either the old
// wiring or the new one.
type functions struct {
	current atomic.Pointer[map[api.Function]gateway.LambdaFunc]
}

// lambdas returns what the gateway calls: a function per name that looks up
// the current wiring on every request.
func (f *functions) lambdas() map[api.Function]gateway.LambdaFunc {
	out := make(map[api.Function]gateway.LambdaFunc)
	for _, spec := range api.Functions() {
		name := spec.Name
		out[name] = func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			return (*f.current.Load())[name](ctx, ev)
		}
	}
	return out
}

// routing is where writes go: the write region, or, with routing switched
// off by a test hook, each region's own replica (what Hush did before it
// had a write region, and what the race tests' control run needs).
type routing struct {
	mu          sync.Mutex
	writeRegion string
	off         bool
	// timeout bounds each write (see DefaultWriteTimeout).
	timeout time.Duration
}

// clients hands out DynamoDB clients by the region they run in and the
// replica they reach, so each pair is built once. endpoint says where the
// replica of to is reached from from.
type clients struct {
	endpoint func(from, to string) string
	// extra configure the functions' clients after the defaults
	// (Options.DynamoDBOptions).
	extra []func(*dynamodb.Options)
	// secret signs for the emulator's guard (datalock.Secret).
	secret string
	mu     sync.Mutex
	byKey  map[string]*dynamodb.Client
}

// The kinds of client: what the read and write functions use, with the
// bounds of the Lambda functions, and one for setting the stack up.
const (
	clientRead        = "read"
	clientWrite       = "write"
	clientSetup       = "setup"
	clientReplication = "replication"
)

// configureSetup gives table creation and warm-up the time a cold DynamoDB
// Local on a busy machine needs; the functions' bounds are AWS's.
func configureSetup(o *dynamodb.Options) {
	dynamo.ConfigureClient(o)
	o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(30 * time.Second)
}

// configureReplication makes one attempt per call, bounded: the
// replicator retries by itself, and a call into a partition must give up.
func configureReplication(o *dynamodb.Options) {
	dynamo.ConfigureClient(o)
	o.RetryMaxAttempts = 1
	o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(replicationCallTimeout)
}

// configureWrite is dynamo.ConfigureWriteClient with the local stack's
// bound on one attempt.
func configureWrite(timeout time.Duration) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		dynamo.ConfigureWriteClient(o)
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(timeout).
			WithDialerOptions(func(d *net.Dialer) { d.Timeout = dynamo.WriteDialTimeout })
	}
}

// get returns a client in region from of the replica of region to, of the
// given kind; writes are bounded by writeTimeout.
func (c *clients) get(ctx context.Context, from, to, kind string, writeTimeout ...time.Duration) (*dynamodb.Client, error) {
	key := fmt.Sprintf("%s>%s/%s%v", from, to, kind, writeTimeout)
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.byKey[key]; ok {
		return cl, nil
	}
	configure := map[string]func(*dynamodb.Options){
		clientRead: dynamo.ConfigureEmulator, clientWrite: dynamo.ConfigureWriteClient, clientSetup: configureSetup,
		clientReplication: configureReplication,
	}[kind]
	if kind == clientWrite && len(writeTimeout) > 0 {
		configure = configureWrite(writeTimeout[0])
	}
	// The client signs for the replica's region: DynamoDB Local keeps a
	// database per signing region. The functions' clients take the extra
	// options too (hush-load meters their requests).
	fns := []func(*dynamodb.Options){dynamolocal.Credentials(c.secret), configure}
	if kind == clientRead || kind == clientWrite {
		fns = append(fns, c.extra...)
	}
	cl, err := dynamolocal.NewClient(ctx, c.endpoint(from, to), to, fns...)
	if err != nil {
		return nil, fmt.Errorf("localcloud: dynamodb client of %s from %s: %w", to, from, err)
	}
	if c.byKey == nil {
		c.byKey = map[string]*dynamodb.Client{}
	}
	c.byKey[key] = cl
	return cl, nil
}

// wire builds region's functions as the Lambda mains do: read reads the
// local replica and probes the write region, write writes to the write
// region's replica.
func (s *Stack) wire(ctx context.Context, region string, logger *slog.Logger) (map[api.Function]gateway.LambdaFunc, error) {
	s.routing.mu.Lock()
	writeRegion, off, timeout := s.routing.writeRegion, s.routing.off, s.routing.timeout
	s.routing.mu.Unlock()
	target := writeRegion
	if off {
		target = region
	}
	local, err := s.clients.get(ctx, region, region, clientRead)
	if err != nil {
		return nil, err
	}
	remote, err := s.clients.get(ctx, region, target, clientWrite, timeout)
	if err != nil {
		return nil, err
	}
	table := s.info.Table
	deps := api.Deps{
		Store: dynamo.NewStore(local, table), Region: region, WriteRegion: target, WriteTimeout: timeout,
		Logger: logger.With("region", region),
	}
	if target != region {
		deps.WriteProbe = dynamo.NewStore(remote, table)
	}
	write := deps
	write.Store = dynamo.NewStore(remote, table)
	out := make(map[api.Function]gateway.LambdaFunc)
	for _, fn := range api.Functions() {
		d := deps
		if fn.Access == api.AccessWrite {
			d = write
		}
		out[fn.Name] = api.NewLambdaHandler(fn.Name, d)
	}
	return out, nil
}

// rewire rebuilds every region's functions after the routing changed.
func (s *Stack) rewire(ctx context.Context) error {
	for _, r := range s.info.Regions {
		fns, err := s.wire(ctx, r.Name, s.logger)
		if err != nil {
			return err
		}
		s.functions[r.Name].current.Store(&fns)
	}
	return nil
}

// WriteRegion returns the region whose replica takes every write.
func (s *Stack) WriteRegion() string {
	s.routing.mu.Lock()
	defer s.routing.mu.Unlock()
	return s.routing.writeRegion
}

// SetWriteRegion moves the write region, as `pulumi config set
// hush:writeRegion` and `pulumi up` do in the cloud, but for every region
// at once. It does not stop writes or wait for replication to drain: a
// drill does that first (see the README's runbook).
func (s *Stack) SetWriteRegion(ctx context.Context, region string) error {
	if s.info.URL(region) == "" {
		return fmt.Errorf("localcloud: %q is not a region of this stack", region)
	}
	s.routing.mu.Lock()
	s.routing.writeRegion = region
	s.routing.mu.Unlock()
	if err := s.rewire(ctx); err != nil {
		return err
	}
	if s.frontDoor != nil {
		// Routing already follows; this logs the default vantage's move.
		s.frontDoor.Resync("the write region moved to " + region)
	}
	return nil
}

// SetWriteRouting switches write routing on (the default) or off. Off, each
// region's write function writes its own replica, as before Hush had a
// write region: a test hook for the control run that proves the race tests
// can fail. Never a setting of a real stack.
func (s *Stack) SetWriteRouting(ctx context.Context, on bool) error {
	s.routing.mu.Lock()
	s.routing.off = !on
	s.routing.mu.Unlock()
	return s.rewire(ctx)
}

// SetWriteTimeout sets the bound of every write, the write region's
// retries included; 0 means DefaultWriteTimeout. api.DefaultWriteTimeout
// is the Lambda functions' bound, for drills of a write region that hangs.
func (s *Stack) SetWriteTimeout(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		d = DefaultWriteTimeout
	}
	s.routing.mu.Lock()
	s.routing.timeout = d
	s.routing.mu.Unlock()
	return s.rewire(ctx)
}

// checkWriteRegion returns the write region a stack starts with.
func checkWriteRegion(want string, regions []string) (string, error) {
	if want == "" {
		return regions[0], nil
	}
	if !slices.Contains(regions, want) {
		return "", fmt.Errorf("localcloud: write region %q is not one of the regions %v", want, regions)
	}
	return want, nil
}

// jsonLogger logs JSON lines to f.
func jsonLogger(f *os.File) *slog.Logger { return slog.New(slog.NewJSONHandler(f, nil)) }

// warmUp runs one transaction against region's replica and ignores how it
// ends. DynamoDB Local answers its first transaction after a start slowly
// (class loading and JIT, seconds on a busy machine), and the write path's
// bounds, which are AWS's, would turn that first write into a 503. A
// condition check on a key no item has is cancelled without writing, so
// nothing reaches the stream.
func (s *Stack) warmUp(ctx context.Context, region string) {
	c, err := s.clients.get(ctx, region, region, clientSetup)
	if err != nil {
		return
	}
	key := map[string]types.AttributeValue{
		dynamo.AttrPK: &types.AttributeValueMemberS{Value: "HUSH#WARMUP"},
		dynamo.AttrSK: &types.AttributeValueMemberS{Value: "HUSH#WARMUP"},
	}
	_, _ = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{
		ConditionCheck: &types.ConditionCheck{
			TableName: aws.String(s.info.Table), Key: key, ConditionExpression: aws.String("attribute_exists(PK)"),
		},
	}}})
}
