// Package localcloud runs the whole of Hush on one machine: DynamoDB Local,
// cognito-local and one local API gateway per region of a stack, serving the
// same handlers that run in Lambda.
//
// The table is a global table that behaves like one: DynamoDB Local runs
// without -sharedDb, so it keeps a replica per region (a database per
// signing region); each region's functions reach the replicas through the
// links of package regionnet (a cross-region round-trip time, partitions,
// replicas that are down), and package replicator copies every committed
// change to the other replicas after a delay, last writer wins. Every write
// goes to the write region's replica, as the Lambda write function does;
// reads stay in their region. The user pool lives in cognito-local, as the
// cloud pool lives in the home region.
//
// The API other parts of Hush (the e2e suite, drills, the front door and
// status page) build on, all methods of *Stack and stable:
//
//   - CutOff(region) and Reconnect(region): a network partition of a
//     region: cross-region calls into and out of it hang until the caller
//     gives up (writes forwarded to it as the write region included), its
//     own gateway and functions keep working;
//   - TakeReplicaDown(region) and BringReplicaUp(region): its replica
//     refuses every call, its own region's included;
//   - NetworkStates(): which regions are cut off or down;
//   - WriteRegion() and SetWriteRegion(ctx, region): where writes go, moved
//     at once for every region (a drill stops writes and drains first);
//   - ReplicationLinks(): per link (From, To) the Backlog, Lag (age of the
//     oldest change waiting), LastLag and Applied; ReplicationDelay();
//   - SetWriteTimeout(ctx, d): the bound of a write (DefaultWriteTimeout
//     locally, api.DefaultWriteTimeout in Lambda);
//   - SetWriteRouting(ctx, on): a test hook; off, each region writes its
//     own replica, which the race tests' control run needs.
//
// The replicator keeps its stream positions and queued changes in
// <data dir>/replicator and resumes from them after a restart (see package
// replicator).
package localcloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/apidocs"
	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/internal/child"
	"github.com/hush-scores/hush/internal/dynamolocal"
	"github.com/hush-scores/hush/localcloud/cognitolocal"
	"github.com/hush-scores/hush/localcloud/datalock"
	"github.com/hush-scores/hush/localcloud/frontdoor"
	"github.com/hush-scores/hush/localcloud/gateway"
	"github.com/hush-scores/hush/localcloud/regionnet"
	"github.com/hush-scores/hush/localcloud/replicator"
	"github.com/hush-scores/hush/localcloud/waf"
	"github.com/hush-scores/hush/userpool"
)

// DefaultBasePort is where the CLI puts the first gateway unless told
// otherwise. The range is rarely used by other development tools.
const DefaultBasePort = 7460

// Port offsets from the base port: gateways take BasePort+i for region i,
// the emulators sit above the largest stack.
const (
	maxRegions         = 10
	offsetDynamoDB     = 10
	offsetCognitoLocal = 11
)

// Options configure Start.
type Options struct {
	// Stack names the stack (dev, stage, prod): the stage name, the table
	// (hush-<stack>) and the user pool are named after it.
	Stack string
	// Regions are the regions to serve, the first being the home region.
	// Empty means the regions of Pulumi.<stack>.yaml in the module root.
	Regions []string
	// DataDir keeps the emulators' data between runs; empty means
	// .hush/local/<stack> under the module root.
	DataDir string
	// Clean wipes the data of earlier runs first.
	Clean bool
	// BasePort is the port of the first region's gateway; the others follow,
	// DynamoDB Local takes BasePort+10 and cognito-local BasePort+11. Zero
	// picks free ports, for tests.
	BasePort int
	// Progress receives a line per start-up step; nil discards them.
	Progress io.Writer
	// ModuleRoot is the checkout holding go.mod, node_modules and the stack
	// files; empty means the nearest go.mod above the working directory.
	ModuleRoot string
	// Logger receives the handlers' and gateways' logs; nil means a JSON
	// file, logs/api.log in DataDir.
	Logger *slog.Logger
	// FrontDoor configures the front door's health checks.
	FrontDoor FrontDoorOptions
	// Throttle is the method throttling every gateway enforces, as API
	// Gateway does with the stack's hush:throttle; nil means the limits of
	// Pulumi.<stack>.yaml, and the zero Throttle turns throttling off.
	Throttle *gateway.Throttle
	// RateLimit is the per-IP rate-based rule in front of every gateway,
	// as the cloud's WAF web ACL (DefaultRateLimit); nil turns it off.
	RateLimit *waf.Limits
	// DynamoDBOptions configure the handlers' DynamoDB clients, after
	// dynamo.ConfigureClient: hush-load meters their requests with it.
	DynamoDBOptions []func(*dynamodb.Options)
	// WriteRegion is the region whose replica takes every write; empty
	// means hush:writeRegion of the stack file when Regions is empty, else
	// the first region.
	WriteRegion string
	// ReplicationDelay is how long a change waits before the replicator
	// applies it in the other regions; 0 means DefaultReplicationDelay, a
	// negative value none.
	ReplicationDelay time.Duration
	// CrossRegionRTT is added to every call from one region to another;
	// 0 means DefaultCrossRegionRTT, a negative value none.
	CrossRegionRTT time.Duration
	// WriteTimeout bounds each write; 0 means DefaultWriteTimeout.
	WriteTimeout time.Duration
}

// Region is one region's gateway.
type Region struct {
	Name string
	// URL is the stage URL, what HUSH_APIGW_URL holds: API v1 lives under URL/v1.
	URL  string
	Port int
	// FrontDoorURL is the front door for clients near the region: API v1
	// under FrontDoorURL/v1, as under a custom domain.
	FrontDoorURL string
}

// Info is what a client needs to use the stack.
type Info struct {
	Stack   string
	Regions []Region
	// HomeRegion is the first region, which holds the user pool.
	HomeRegion       string
	UserPoolID       string
	UserPoolClientID string
	// CognitoEndpoint is cognito-local's URL, the Cognito client's endpoint.
	CognitoEndpoint string
	// Issuer and JWKSURL are what the gateways check ID tokens against.
	Issuer  string
	JWKSURL string
	// DynamoDBEndpoint is DynamoDB Local's URL; Table is the table's name.
	DynamoDBEndpoint string
	// Secret is the secret access key the emulators' guards check
	// (datalock.Secret): sign with it (dynamolocal.Credentials,
	// cognitolocal.NewSignedClient). Never print it.
	Secret string
	// DynamoDBLoopbackOnly is true when DynamoDB Local listens on 127.0.0.1
	// only (dynamolocal's launcher, which needs a JDK's javac).
	DynamoDBLoopbackOnly bool
	Table                string
	DataDir              string
	LogDir               string
	// FrontDoorURL stands in for the stack's custom domain (API v1 under
	// FrontDoorURL/v1) for a client near the write region; each Region has
	// its own. StatusURL is the status page.
	FrontDoorURL string
	StatusURL    string
	// Throttle is the method throttling the gateways started with.
	Throttle gateway.Throttle
}

// DocsURL returns the address of the API's documentation page on the
// first region's gateway.
func (i Info) DocsURL() string {
	if len(i.Regions) == 0 {
		return ""
	}
	return fmt.Sprintf("http://127.0.0.1:%d%s", i.Regions[0].Port, apidocs.PagePath)
}

// URL returns the stage URL of region, or "" if the stack does not serve it.
func (i Info) URL(region string) string {
	for _, r := range i.Regions {
		if r.Name == region {
			return r.URL
		}
	}
	return ""
}

// Stack is a running local stack.
type Stack struct {
	info Info

	// dynamoOp serialises StopDynamoDB, StartDynamoDB and Close.
	dynamoOp sync.Mutex
	// mu guards the DynamoDB Local fields below, which the watcher reads.
	mu sync.Mutex
	// dynamo is the current DynamoDB Local process; StartDynamoDB replaces it.
	dynamo *dynamolocal.Instance
	// dynamoStopped is true between StopDynamoDB and StartDynamoDB, so the
	// watcher does not report the deliberate exit as a crash.
	dynamoStopped bool
	// dynamoChanged is closed (and replaced) whenever the fields above
	// change, to wake the watcher.
	dynamoChanged chan struct{}
	// dynamoOpts restarts DynamoDB Local on the same port and data.
	dynamoOpts dynamolocal.Options
	// secret signs every request to the emulators (datalock.Secret).
	secret string
	// dynamoExtra configures the handlers' DynamoDB clients after
	// dynamo.ConfigureClient (Options.DynamoDBOptions).
	dynamoExtra []func(*dynamodb.Options)

	// throttleMu guards throttle and throttlers (see throttle.go).
	throttleMu sync.Mutex
	throttle   gateway.Throttle
	throttlers []*gateway.Throttler
	// rateRules are the regions' per-IP rules (ratelimit.go), started
	// with rateLimit (Options.RateLimit).
	rateRules []*waf.Rule
	rateLimit *waf.Limits

	cognito *cognitolocal.Server
	// lock keeps other stacks off the data dir until Close.
	lock *datalock.Lock
	// gateways serve the regions; servers are the stack's other servers.
	gateways  []*gatewayServer
	frontDoor *frontdoor.FrontDoor
	// net links the regions' replicas; replicator makes them a global table.
	net           *regionnet.Network
	replicator    *replicator.Replicator
	streamClients sync.Map // by link, for the replicator
	// routing, clients and functions wire each region's functions to the
	// replicas; SetWriteRegion rewires them.
	routing   routing
	clients   clients
	functions map[string]*functions
	logger    *slog.Logger
	servers   []*http.Server
	files     []*os.File
	docs      http.Handler
	life      context.Context // ends with Close
	endLife   context.CancelFunc

	done      chan struct{}
	closing   chan struct{}
	errOnce   sync.Once
	err       error
	closeOnce sync.Once
}

// Start starts every part of the stack and returns once all of them answer.
// On failure it stops whatever it had started.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	if opts.Stack == "" {
		return nil, errors.New("localcloud: no stack name")
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	root := opts.ModuleRoot
	if root == "" {
		if root, err = child.ModuleRoot(); err != nil {
			return nil, fmt.Errorf("localcloud: %w", err)
		}
	}
	set, err := loadSettings(root, opts)
	if err != nil {
		return nil, err
	}
	regions := set.regions
	// Node.js and the npm package are checked before anything starts, so a
	// missing one is reported at once rather than after DynamoDB Local.
	if _, _, err := cognitolocal.Check(ctx, root); err != nil {
		return nil, fmt.Errorf("localcloud: %w", err)
	}
	dataDir := opts.DataDir
	if dataDir == "" {
		dataDir = filepath.Join(root, ".hush", "local", opts.Stack)
	}
	if dataDir, err = filepath.Abs(dataDir); err != nil {
		return nil, fmt.Errorf("localcloud: data dir: %w", err)
	}
	dirs := layout{root: dataDir}
	lock, err := dirs.prepare(opts.Clean)
	if err != nil {
		return nil, err
	}
	// The emulators' guards refuse requests not signed with it.
	secret, err := datalock.Secret(dataDir)
	if err != nil {
		lock.Release()
		return nil, err
	}

	// Every gateway port is taken before any child starts, so a busy port
	// fails at once and names itself.
	listeners, err := listen(regions, opts.BasePort)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			lock.Release()
			for _, l := range listeners {
				if l != nil {
					l.Close()
				}
			}
		}
	}()
	dynamoPort, cognitoPort, err := emulatorPorts(opts.BasePort)
	if err != nil {
		return nil, err
	}

	s := &Stack{
		done: make(chan struct{}), closing: make(chan struct{}), dynamoChanged: make(chan struct{}), lock: lock, throttle: set.throttle,
		dynamoExtra: opts.DynamoDBOptions, secret: secret, rateLimit: opts.RateLimit,
		routing:   routing{writeRegion: set.writeRegion, timeout: cmp.Or(opts.WriteTimeout, DefaultWriteTimeout)},
		functions: map[string]*functions{},
	}
	s.life, s.endLife = context.WithCancel(context.WithoutCancel(ctx))
	//nolint:contextcheck // stopping must not depend on the start-up context, which may be what ended
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	logger := opts.Logger
	if logger == nil {
		f, err := s.openLog(dirs, "api.log")
		if err != nil {
			return nil, err
		}
		logger = slog.New(slog.NewJSONHandler(f, nil))
	}
	s.logger = logger

	table := "hush-" + opts.Stack
	step := func(what string, fn func() error) error {
		fmt.Fprintf(progress, "%s... ", what)
		start := time.Now()
		if err := fn(); err != nil {
			fmt.Fprintln(progress, "failed")
			return err
		}
		fmt.Fprintf(progress, "ok (%.1fs)\n", time.Since(start).Seconds())
		return nil
	}

	if err := step("starting DynamoDB Local", func() error {
		log, err := s.openLog(dirs, "dynamodb-local.log")
		if err != nil {
			return err
		}
		s.dynamoOpts = dynamolocal.Options{
			Port: dynamoPort, DataDir: dirs.dynamo(), Stdout: log, Stderr: log, ModuleRoot: root,
			PerRegion: true, // a replica per region
			Secret:    secret,
		}
		s.dynamo, err = dynamolocal.Start(ctx, s.dynamoOpts)
		if err != nil {
			return fmt.Errorf("localcloud: %w", err)
		}
		// A restart must come back where the clients look for it.
		s.dynamoOpts.Port = s.dynamo.Port()
		return nil
	}); err != nil {
		return nil, err
	}
	if err := step("starting cognito-local", func() error {
		log, err := s.openLog(dirs, "cognito-local.log")
		if err != nil {
			return err
		}
		s.cognito, err = cognitolocal.Start(ctx, cognitolocal.Options{
			Dir: dirs.cognito(), Port: cognitoPort, ModuleRoot: root, Log: log, Secret: secret,
		})
		if err != nil {
			return fmt.Errorf("localcloud: %w", err)
		}
		return nil
	}); err != nil {
		return nil, err
	}

	home := regions[0]
	if err := step("creating table "+table+" with a replica per region", func() error {
		return s.startGlobalTable(ctx, opts, regions, dirs, table)
	}); err != nil {
		return nil, err
	}
	var pool cognitolocal.Pool
	if err := step("creating user pool hush-"+opts.Stack, func() error {
		if pool, err = cognitolocal.EnsurePool(ctx, s.cognito.NewClient(home), "hush-"+opts.Stack, userpool.Pool()); err != nil {
			return err
		}
		return cognitolocal.EnsureDemoUsers(ctx, s.cognito.NewClient(home), pool)
	}); err != nil {
		return nil, err
	}

	s.info = Info{
		Stack: opts.Stack, HomeRegion: home,
		UserPoolID: pool.ID, UserPoolClientID: pool.ClientID,
		CognitoEndpoint: s.cognito.Endpoint,
		Issuer:          s.cognito.Issuer(pool.ID), JWKSURL: s.cognito.JWKSURL(pool.ID),
		DynamoDBEndpoint: s.dynamo.Endpoint(), Secret: s.secret, Table: table, DynamoDBLoopbackOnly: s.dynamo.LoopbackOnly(),
		DataDir: dataDir, LogDir: dirs.logs(), Throttle: set.throttle,
	}
	bundle, err := apidocs.FindBundle(root)
	if err != nil {
		return nil, fmt.Errorf("localcloud: %w", err)
	}
	if s.docs, err = apidocs.Handler(api.OpenAPI(), bundle); err != nil {
		return nil, fmt.Errorf("localcloud: API docs: %w", err)
	}
	if err := s.startGateways(ctx, regions, listeners, step, logger); err != nil {
		return nil, err
	}
	if err := step("starting the front door and the status page", func() error { //nolint:contextcheck // its checks live as long as the stack, not Start
		return s.startEdge(opts.FrontDoor, opts.BasePort, logger)
	}); err != nil {
		return nil, err
	}
	go s.watch()
	return s, s.lock.Record(s.info.lockState()) // on error the deferred Close stops s
}

// startGateways serves every region's gateway on its listener, which it
// then owns (and sets to nil in listeners).
func (s *Stack) startGateways(ctx context.Context, regions []string, listeners []net.Listener, step func(string, func() error) error, logger *slog.Logger) error {
	for i, region := range regions {
		s.warmUp(ctx, region)
		if err := step("starting the gateway of "+region, func() error {
			h, err := s.regionHandler(ctx, region, logger)
			if err != nil {
				return err
			}
			port := listeners[i].Addr().(*net.TCPAddr).Port
			h = s.newRateRule(s.rateLimit).Handler(h) // before the throttling buckets, as WAF is
			s.serveGateway(region, h, listeners[i], slog.NewLogLogger(logger.Handler(), slog.LevelError))
			listeners[i] = nil // the server owns it now
			s.info.Regions = append(s.info.Regions, Region{
				Name: region, Port: port,
				URL: fmt.Sprintf("http://127.0.0.1:%d/%s", port, s.info.Stack),
			})
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// emulatorPorts returns the ports of DynamoDB Local and cognito-local for
// basePort, checked free, or zeros (any free port) when basePort is 0.
func emulatorPorts(basePort int) (dynamoPort, cognitoPort int, err error) {
	if basePort == 0 {
		return 0, 0, nil
	}
	dynamoPort, cognitoPort = basePort+offsetDynamoDB, basePort+offsetCognitoLocal
	if err := child.CheckPort(dynamoPort, "DynamoDB Local"); err != nil {
		return 0, 0, fmt.Errorf("localcloud: %w", err)
	}
	if err := child.CheckPort(cognitoPort, "cognito-local"); err != nil {
		return 0, 0, fmt.Errorf("localcloud: %w", err)
	}
	return dynamoPort, cognitoPort, nil
}

// listen takes the port of every region's gateway: basePort+i, or free
// ports when basePort is 0.
func listen(regions []string, basePort int) ([]net.Listener, error) {
	listeners := make([]net.Listener, len(regions))
	for i := range regions {
		port := 0
		if basePort != 0 {
			port = basePort + i
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			for _, l := range listeners[:i] {
				l.Close()
			}
			return nil, fmt.Errorf("localcloud: port %d for the gateway of %s is busy (is another local stack running? choose other ports with -base-port): %w", port, regions[i], err)
		}
		listeners[i] = l
	}
	return listeners, nil
}

// openLog opens a log file that Close closes.
func (s *Stack) openLog(dirs layout, name string) (*os.File, error) {
	f, err := dirs.openLog(name)
	if err != nil {
		return nil, err
	}
	s.files = append(s.files, f)
	return f, nil
}

// createTables creates the table in every region's replica.
func (s *Stack) createTables(ctx context.Context, regions []string, table string) error {
	for _, r := range regions {
		c, err := s.clients.get(ctx, r, r, clientSetup)
		if err != nil {
			return err
		}
		if err := dynamo.CreateTable(ctx, c, table); err != nil {
			return fmt.Errorf("localcloud: %s: %w", r, err)
		}
	}
	return nil
}

// regionHandler builds one region's gateway: the three functions wired to
// the replicas (see wire), behind the emulation of API Gateway, plus the API
// description outside the stage.
func (s *Stack) regionHandler(ctx context.Context, region string, logger *slog.Logger) (http.Handler, error) {
	fns, err := s.wire(ctx, region, logger)
	if err != nil {
		return nil, err
	}
	f := &functions{}
	f.current.Store(&fns)
	s.functions[region] = f
	// The authorizer refreshes its keys until the stack closes, not only
	// while Start runs.
	auth, err := gateway.NewCognitoAuthorizer(s.life, gateway.CognitoOptions{ //nolint:contextcheck // the key refresh lives as long as the stack
		Issuer: s.info.Issuer, JWKSURL: s.info.JWKSURL, ClientID: s.info.UserPoolClientID,
	})
	if err != nil {
		return nil, fmt.Errorf("localcloud: authorizer for %s: %w", region, err)
	}
	routes, err := documentRoutes(s.info.UserPoolID, s.info.UserPoolClientID)
	if err != nil {
		return nil, err
	}
	gw, err := gateway.New(gateway.Options{
		Region: region, Stage: s.info.Stack, Routes: routes, Functions: f.lambdas(), Authorizer: auth,
		Logger: logger.With("region", region), Throttler: s.newThrottler(),
	})
	if err != nil {
		return nil, fmt.Errorf("localcloud: gateway for %s: %w", region, err)
	}
	// The API description and its page live outside the stage, where API
	// Gateway would answer 403, so they cannot shadow a route. Everything
	// else goes to the gateway as sent: a ServeMux in front would answer
	// paths with "..", "." or "//" with its own redirect, which API Gateway
	// never does.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		switch {
		case r.Method == http.MethodGet && (path == apidocs.PagePath || strings.HasPrefix(path, apidocs.PagePath+"/")):
			s.docs.ServeHTTP(w, r)
		case r.Method == http.MethodGet && path == "/openapi.yaml":
			serveOpenAPI(w, r)
		default:
			gw.ServeHTTP(w, r)
		}
	}), nil
}

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	_, _ = w.Write(api.OpenAPI())
}

func (s *Stack) serve(srv *http.Server, l net.Listener, region string) {
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.fail(fmt.Errorf("localcloud: the gateway of %s stopped: %w", region, err))
	}
}

// watch reports the first child that exits on its own. DynamoDB Local
// stopped by StopDynamoDB is not a crash: the watcher waits for
// StartDynamoDB and then watches the new process.
func (s *Stack) watch() {
	for {
		s.mu.Lock()
		d, stopped, changed := s.dynamo, s.dynamoStopped, s.dynamoChanged
		s.mu.Unlock()
		var dynamoDone <-chan struct{} // nil while stopped on purpose: never ready
		if !stopped {
			dynamoDone = d.Done()
		}
		select {
		case <-s.closing:
			return
		case <-changed:
		case <-dynamoDone:
			s.mu.Lock()
			deliberate := s.dynamoStopped || s.dynamo != d
			s.mu.Unlock()
			if deliberate {
				continue
			}
			select {
			case <-s.closing:
			default:
				s.fail(fmt.Errorf("localcloud: DynamoDB Local stopped unexpectedly (%w); its last output:\n%s", d.Err(), d.Output()))
			}
			return
		case <-s.cognito.Done():
			if err := s.cognito.Err(); err != nil {
				s.fail(fmt.Errorf("localcloud: %w", err))
			}
			return
		}
	}
}

// StopDynamoDB stops DynamoDB Local and waits for it to exit, leaving the
// gateways running, so tests can watch the API while its table is
// unreachable. The stack does not report the exit as a failure. Stopping a
// stopped instance does nothing.
func (s *Stack) StopDynamoDB(ctx context.Context) error {
	s.dynamoOp.Lock()
	defer s.dynamoOp.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	d, stopped := s.dynamo, s.dynamoStopped
	s.dynamoStopped = true
	s.signalDynamoLocked()
	s.mu.Unlock()
	if stopped {
		return nil
	}
	if err := d.Stop(); err != nil {
		return fmt.Errorf("localcloud: stop DynamoDB Local: %w", err)
	}
	return nil
}

// StartDynamoDB starts DynamoDB Local again after StopDynamoDB, on the same
// port and data directory, so the gateways' clients reconnect by themselves
// and find every item written before the stop. It returns once the port
// answers; ctx bounds only the start-up. Starting a running instance does
// nothing.
func (s *Stack) StartDynamoDB(ctx context.Context) error {
	s.dynamoOp.Lock()
	defer s.dynamoOp.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	stopped := s.dynamoStopped
	s.mu.Unlock()
	if !stopped {
		return nil
	}
	d, err := dynamolocal.Start(ctx, s.dynamoOpts)
	if err != nil {
		return fmt.Errorf("localcloud: restart DynamoDB Local on port %d: %w", s.dynamoOpts.Port, err)
	}
	s.mu.Lock()
	s.dynamo, s.dynamoStopped = d, false
	s.signalDynamoLocked()
	s.mu.Unlock()
	for _, r := range s.info.Regions {
		s.warmUp(ctx, r.Name)
	}
	return nil
}

// usable refuses to touch DynamoDB Local once the stack is closing or has
// failed, or when ctx has ended.
func (s *Stack) usable(ctx context.Context) error {
	select {
	case <-s.closing:
		return errors.New("localcloud: the stack is closed")
	case <-s.done:
		return fmt.Errorf("localcloud: the stack has failed: %w", s.err)
	default:
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("localcloud: %w", err)
	}
	return nil
}

// signalDynamoLocked wakes the watcher; s.mu must be held.
func (s *Stack) signalDynamoLocked() {
	close(s.dynamoChanged)
	s.dynamoChanged = make(chan struct{})
}

func (s *Stack) fail(err error) {
	s.errOnce.Do(func() {
		s.err = err
		close(s.done)
	})
}

// Info returns what a client needs to use the stack.
func (s *Stack) Info() Info { return s.info }

// Done is closed when a part of the stack stops unexpectedly; Err then says
// which and why. Close does not close it.
func (s *Stack) Done() <-chan struct{} { return s.done }

// Err returns why the stack failed, or nil.
func (s *Stack) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// PIDs returns the process IDs of the emulators (each also a process group).
func (s *Stack) PIDs() []int {
	var pids []int
	s.mu.Lock()
	if s.dynamo != nil {
		pids = append(pids, s.dynamo.PID())
	}
	s.mu.Unlock()
	if s.cognito != nil {
		pids = append(pids, s.cognito.PID())
	}
	return pids
}

// Close stops the gateways, then the emulators, and waits for them. It is
// idempotent.
func (s *Stack) Close() error {
	var errs []error
	s.closeOnce.Do(func() {
		close(s.closing)
		// Waits for a StartDynamoDB in progress, whose process it must stop.
		s.dynamoOp.Lock()
		defer s.dynamoOp.Unlock()
		s.endLife()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// The front door first: its checks would report the gateways
		// stopping.
		if s.frontDoor != nil {
			s.frontDoor.Close()
		}
		for _, g := range s.gateways {
			g.shutdown(ctx)
		}
		for _, srv := range s.servers {
			if err := srv.Shutdown(ctx); err != nil {
				srv.Close()
			}
		}
		if s.cognito != nil {
			s.cognito.Close()
		}
		if s.replicator != nil {
			if err := s.replicator.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if s.net != nil {
			s.net.Close()
		}
		s.mu.Lock()
		d := s.dynamo
		s.mu.Unlock()
		if d != nil {
			if err := d.Stop(); err != nil {
				errs = append(errs, err)
			}
		}
		for _, f := range s.files {
			f.Close()
		}
		s.lock.Release() // after the emulators, which used the data
	})
	return errors.Join(errs...)
}
