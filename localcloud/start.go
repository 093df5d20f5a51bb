package localcloud

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/hush-scores/hush/internal/dynamolocal"
	"github.com/hush-scores/hush/localcloud/cognitolocal"
	"github.com/hush-scores/hush/localcloud/gateway"
	"github.com/hush-scores/hush/localcloud/statuspage"
	"github.com/hush-scores/hush/userpool"
)

// Start starts every part of the stack and returns once all of them answer.
// On failure it closes whatever it had started.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	set, err := resolveSettings(ctx, opts)
	if err != nil {
		return nil, err
	}
	s := &Stack{set: set, life: newLife(ctx)}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	progress := cmp.Or[io.Writer](opts.Progress, io.Discard)
	// Each step opens one part; the data dir comes first, so a second stack
	// on it is refused before anything else, then the ports, so a busy one
	// is named before any emulator starts. Steps without a name print
	// nothing (the gateways print a line per region).
	steps := []struct {
		what string
		open func(context.Context, *Stack) error
	}{
		{"", openDataDirStep},
		{"", takePortsStep},
		{"starting DynamoDB Local", openDynamoDBStep},
		{"starting cognito-local", openCognitoStep},
		{"creating table " + set.name + " with a replica per region", openGlobalTableStep},
		{"creating user pool " + set.name, openUserPoolStep},
		{"", seedWriteRegionStep},
		{"", openBeliefsStep},
		{"", openFunctionsStep},
		{"", func(ctx context.Context, s *Stack) error { return openGatewaysStep(ctx, s, progress) }},
		{"starting the front door and the status page", openEdgeStep},
	}
	for _, st := range steps {
		if err := step(progress, st.what, func() error { return st.open(ctx, s) }); err != nil {
			return nil, err
		}
	}
	go s.watch()
	if err := s.writeStackOutput(); err != nil {
		return nil, err
	}
	return s, s.data.record(s.info) // on error the deferred Close stops s
}

// step runs fn, reporting it on progress as "what... ok (1.2s)" unless
// what is empty.
func step(progress io.Writer, what string, fn func() error) error {
	if what == "" {
		return fn()
	}
	fmt.Fprintf(progress, "%s... ", what)
	start := time.Now()
	if err := fn(); err != nil {
		fmt.Fprintln(progress, "failed")
		return err
	}
	fmt.Fprintf(progress, "ok (%.1fs)\n", time.Since(start).Seconds())
	return nil
}

// onClose registers the close of a part just opened.
func (s *Stack) onClose(fn func() error) { s.closers = append(s.closers, fn) }

func openDataDirStep(_ context.Context, s *Stack) error {
	d, err := openDataDir(s.set.dataDir, s.set.opts.Clean, s.set.opts.Logger)
	if err != nil {
		return err
	}
	s.data = d
	s.onClose(d.close)
	s.info = Info{
		Stack: s.set.opts.Stack, HomeRegion: s.set.regions[0], Table: s.set.name,
		DataDir: s.set.dataDir, LogDir: d.logs(), Throttle: s.set.throttle, Secret: d.secret,
	}
	return nil
}

func takePortsStep(_ context.Context, s *Stack) error {
	ls, err := takePorts(s.set.ports, s.set.regions)
	if err != nil {
		return err
	}
	s.ports = ls
	s.onClose(ls.close)
	return nil
}

func openDynamoDBStep(ctx context.Context, s *Stack) error {
	log, err := s.data.openLog("dynamodb-local.log")
	if err != nil {
		return err
	}
	d, err := openDynamoDB(ctx, dynamolocal.Options{
		Port: s.set.ports.dynamoDB(), DataDir: s.data.dynamo(),
		Stdout: log, Stderr: log, ModuleRoot: s.set.root, Secret: s.data.secret,
	}, s.life.usable)
	if err != nil {
		return err
	}
	s.dynamo = d
	s.onClose(d.close)
	s.info.DynamoDBEndpoint, s.info.DynamoDBLoopbackOnly = d.inst.Endpoint(), d.inst.LoopbackOnly()
	return nil
}

func openCognitoStep(ctx context.Context, s *Stack) error {
	log, err := s.data.openLog("cognito-local.log")
	if err != nil {
		return err
	}
	c, err := cognitolocal.Start(ctx, cognitolocal.Options{
		Dir: s.data.cognito(), Port: s.set.ports.cognito(), ModuleRoot: s.set.root, Log: log, Secret: s.data.secret,
		SelfSignUp: s.set.selfSignUp,
	})
	if err != nil {
		return fmt.Errorf("localcloud: %w", err)
	}
	s.cognito = c
	s.onClose(func() error { c.Close(); return nil }) // its exit status says nothing once asked to stop
	s.info.CognitoEndpoint = c.Endpoint
	return nil
}

func openGlobalTableStep(ctx context.Context, s *Stack) error {
	log, err := s.data.openLog("replicator.log")
	if err != nil {
		return err
	}
	g, err := openGlobalTable(ctx, globalTableOptions{
		regions: s.set.regions, table: s.set.name, target: s.info.DynamoDBEndpoint,
		rtt: s.set.opts.CrossRegionRTT, delay: s.set.opts.ReplicationDelay, extra: s.set.opts.DynamoDBOptions,
		dir: s.data.replicator(), log: log, stack: s.set.opts.Stack, logger: s.data.logger, secret: s.data.secret,
	})
	if err != nil {
		return err
	}
	s.table = g
	s.onClose(g.close)
	return nil
}

// openUserPoolStep creates the user pool (hush-<stack>) and its demo
// users in the home region, where the cloud pool lives. The demo users are
// admin-created, so they exist whatever hush:selfSignUp says.
func openUserPoolStep(ctx context.Context, s *Stack) error {
	c := s.cognito.NewClient(s.info.HomeRegion)
	design := userpool.Pool()
	design.SelfSignUp = s.set.selfSignUp
	pool, err := cognitolocal.EnsurePool(ctx, c, s.set.name, design)
	if err != nil {
		return err
	}
	s.info.SelfSignUp = s.set.selfSignUp
	if err := cognitolocal.EnsureDemoUsers(ctx, c, pool); err != nil {
		return err
	}
	s.info.UserPoolID, s.info.UserPoolClientID = pool.ID, pool.ClientID
	s.info.Issuer, s.info.JWKSURL = s.cognito.Issuer(pool.ID), s.cognito.JWKSURL(pool.ID)
	return nil
}

func openFunctionsStep(_ context.Context, s *Stack) error {
	s.functions = newFunctions(s.table.clients, s.set.name, s.set.regions, s.set.writeTimeout, s.data.logger)
	return nil
}

// openGatewaysStep serves every region's gateway on its port, each over
// the region's functions, warmed up first.
func openGatewaysStep(ctx context.Context, s *Stack, progress io.Writer) error {
	g, err := openGateways(gatewaysOptions{
		stage: s.info.Stack, root: s.set.root, poolID: s.info.UserPoolID, life: s.life.ctx,
		auth:     gateway.CognitoOptions{Issuer: s.info.Issuer, JWKSURL: s.info.JWKSURL, ClientID: s.info.UserPoolClientID},
		throttle: s.set.throttle, rateLimit: s.set.opts.RateLimit, logger: s.data.logger, failed: s.life.fail,
	})
	if err != nil {
		return err
	}
	s.gateways = g
	s.onClose(g.close)
	for i, region := range s.set.regions {
		fns, err := s.functions.add(ctx, region)
		if err != nil {
			return err
		}
		if err := step(progress, "starting the gateway of "+region, func() error {
			port := s.ports[i].Addr().(*net.TCPAddr).Port
			if err := g.add(region, fns, s.ports[i]); err != nil {
				return err
			}
			s.ports[i] = nil // the gateway owns it now
			s.info.Regions = append(s.info.Regions, Region{
				Name: region, Port: port, URL: fmt.Sprintf("http://127.0.0.1:%d/%s", port, s.info.Stack),
			})
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

func openEdgeStep(_ context.Context, s *Stack) error {
	e, err := openEdge(edgeOptions{ //nolint:contextcheck // its checks live as long as the stack, not Start
		regions: s.info.Regions, writeRegion: s.WriteRegion, checks: s.set.opts.FrontDoor,
		ports: s.set.ports, logger: s.data.logger,
		status: statuspage.Sources{
			Stack: s.info.Stack, WriteRegion: writeRegionState{s}, Replication: replicationStats{s},
		},
		faults: s.Faults(), failed: s.life.fail,
	})
	if err != nil {
		return err
	}
	s.edge = e
	s.onClose(e.close)
	// The default vantage follows the write region the views name.
	s.beliefs.moved = func(region string) { e.frontDoor.Resync("the write region moved to " + region) }
	go s.beliefs.watch(s.life.ctx) //nolint:contextcheck // the watch lives as long as the stack, not Start
	s.info.FrontDoorURL, s.info.StatusURL = e.frontDoorURL(""), e.statusURL()
	for i := range s.info.Regions {
		s.info.Regions[i].FrontDoorURL = e.frontDoorURL(s.info.Regions[i].Name)
	}
	return nil
}
