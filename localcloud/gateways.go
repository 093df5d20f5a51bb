package localcloud

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/api/gatewaydoc"
	"github.com/hush-scores/hush/apidocs"
	"github.com/hush-scores/hush/localcloud/gateway"
	"github.com/hush-scores/hush/localcloud/waf"
	"github.com/hush-scores/hush/stackconfig"
	"github.com/hush-scores/hush/userpool/tokencheck"
)

// gatewayServer serves one region's gateway on its port, and can be stopped
// and started again on the same port, so a drill can take a region's
// gateway away: clients and health checks then find the port refusing
// connections, as they would a region whose API is down.
type gatewayServer struct {
	region   string
	addr     string
	handler  http.Handler
	errorLog *log.Logger
	// failed reports a server that stopped by itself.
	failed func(error)

	mu  sync.Mutex
	srv *http.Server // nil while stopped
}

func (g *gatewayServer) serve(l net.Listener) {
	srv := &http.Server{Handler: g.handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: g.errorLog}
	g.mu.Lock()
	g.srv = srv
	g.mu.Unlock()
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.failed(fmt.Errorf("localcloud: the gateway of %s stopped: %w", g.region, err))
		}
	}()
}

// stop closes the listener and every connection at once: a stopped
// gateway does not finish what it was doing. Stopping a stopped gateway
// does nothing.
func (g *gatewayServer) stop() error {
	g.mu.Lock()
	srv := g.srv
	g.srv = nil
	g.mu.Unlock()
	if srv == nil {
		return nil
	}
	if err := srv.Close(); err != nil {
		return fmt.Errorf("localcloud: stop the gateway of %s: %w", g.region, err)
	}
	return nil
}

// shutdown stops the gateway gracefully, for Close.
func (g *gatewayServer) shutdown(ctx context.Context) {
	g.mu.Lock()
	srv := g.srv
	g.srv = nil
	g.mu.Unlock()
	if srv != nil && srv.Shutdown(ctx) != nil {
		srv.Close()
	}
}

// start listens on the gateway's port again. Starting a running gateway
// does nothing.
func (g *gatewayServer) start() error {
	g.mu.Lock()
	running := g.srv != nil
	g.mu.Unlock()
	if running {
		return nil
	}
	l, err := net.Listen("tcp", g.addr)
	if err != nil {
		return fmt.Errorf("localcloud: start the gateway of %s again on %s: %w", g.region, g.addr, err)
	}
	g.serve(l)
	return nil
}

// gateways are every region's API Gateway: the emulation of package
// gateway over the region's functions, with the stack's method
// throttling, each served on its own port (see gatewayServer).
type gateways struct {
	stage string
	// life bounds the authorizers' key refresh: the stack's, not Start's.
	life context.Context
	auth gateway.CognitoOptions
	// issuers are the issuers every gateway trusts, each with its keys
	// (identity.go); more than one replaces auth. lambda checks them with
	// the Lambda TOKEN authorizer's code (hush:authorizer lambda).
	issuers []gateway.CognitoOptions
	lambda  bool
	routes  []api.Route
	docs    http.Handler
	logger  *slog.Logger
	failed  func(error)

	servers []*gatewayServer

	// mu guards throttle, throttlers and rateRules.
	mu         sync.Mutex
	throttle   stackconfig.Throttle
	throttlers []*gateway.Throttler
	// rateRules are the regions' per-IP rules (ratelimit.go), started
	// with rateLimit (Options.RateLimit).
	rateRules []*waf.Rule
	rateLimit *waf.Limits
}

// gatewaysOptions are what openGateways needs.
type gatewaysOptions struct {
	stage, root string
	// poolID names the user pool the routes' authorizer trusts.
	poolID   string
	life     context.Context
	auth     gateway.CognitoOptions
	issuers  []gateway.CognitoOptions
	lambda   bool
	throttle stackconfig.Throttle
	// rateLimit is the per-IP rule in front of every gateway (nil: none).
	rateLimit *waf.Limits
	logger    *slog.Logger
	// failed reports a gateway that stopped by itself.
	failed func(error)
}

// openGateways prepares what every region's gateway shares: the routes of
// the OpenAPI document a deployed region is defined from, and the API's
// documentation page.
func openGateways(o gatewaysOptions) (*gateways, error) {
	routes, err := documentRoutes(o.poolID, o.auth.ClientID)
	if err != nil {
		return nil, err
	}
	bundle, err := apidocs.FindBundle(o.root)
	if err != nil {
		return nil, fmt.Errorf("localcloud: %w", err)
	}
	docs, err := apidocs.Handler(api.OpenAPI(), bundle)
	if err != nil {
		return nil, fmt.Errorf("localcloud: API docs: %w", err)
	}
	return &gateways{
		stage: o.stage, life: o.life, auth: o.auth, issuers: o.issuers, lambda: o.lambda, routes: routes, docs: docs,
		logger: o.logger, failed: o.failed, throttle: o.throttle, rateLimit: o.rateLimit,
	}, nil
}

// add serves region's gateway over fns on l, which it then owns.
func (g *gateways) add(region string, fns map[api.Function]gateway.LambdaFunc, l net.Listener) error {
	// The authorizer refreshes its keys until the stack closes, not only
	// while Start runs.
	auth, err := g.newAuthorizer(region)
	if err != nil {
		return fmt.Errorf("localcloud: authorizer for %s: %w", region, err)
	}
	gw, err := gateway.New(gateway.Options{
		Region: region, Stage: g.stage, Routes: g.routes, Functions: fns, Authorizer: auth,
		Logger: g.logger.With("region", region), Throttler: g.newThrottler(),
	})
	if err != nil {
		return fmt.Errorf("localcloud: gateway for %s: %w", region, err)
	}
	srv := &gatewayServer{
		// The per-IP rule comes before the throttling buckets, as WAF does.
		region: region, addr: l.Addr().String(), handler: g.newRateRule().Handler(g.withDocs(gw)),
		errorLog: slog.NewLogLogger(g.logger.Handler(), slog.LevelError), failed: g.failed,
	}
	g.servers = append(g.servers, srv)
	srv.serve(l)
	return nil
}

// withDocs serves the API description and its page outside the stage,
// where API Gateway would answer 403, so they cannot shadow a route.
// Everything else goes to the gateway as sent: a ServeMux in front would
// answer paths with "..", "." or "//" with its own redirect, which API
// Gateway never does.
func (g *gateways) withDocs(gw http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		switch {
		case r.Method == http.MethodGet && (path == apidocs.PagePath || strings.HasPrefix(path, apidocs.PagePath+"/")):
			g.docs.ServeHTTP(w, r)
		case r.Method == http.MethodGet && path == "/openapi.yaml":
			w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
			_, _ = w.Write(api.OpenAPI())
		default:
			gw.ServeHTTP(w, r)
		}
	})
}

// server returns region's gateway server.
func (g *gateways) server(region string) (*gatewayServer, error) {
	for _, srv := range g.servers {
		if srv.region == region {
			return srv, nil
		}
	}
	return nil, fmt.Errorf("localcloud: %q is not a region of this stack", region)
}

// close stops every gateway gracefully, giving each request in flight a
// few seconds.
func (g *gateways) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range g.servers {
		srv.shutdown(ctx)
	}
	return nil
}

// newThrottler returns a region's throttler with the stack's limits.
func (g *gateways) newThrottler() *gateway.Throttler {
	g.mu.Lock()
	defer g.mu.Unlock()
	th := gateway.NewThrottler(g.throttle)
	g.throttlers = append(g.throttlers, th)
	return th
}

// Throttle returns the method throttling every gateway enforces now.
func (s *Stack) Throttle() stackconfig.Throttle {
	s.gateways.mu.Lock()
	defer s.gateways.mu.Unlock()
	return s.gateways.throttle
}

// SetThrottle changes the method throttling of every region's gateway,
// as a `pulumi up` of new limits would; every bucket starts full. The
// zero Throttle turns throttling off.
func (s *Stack) SetThrottle(t stackconfig.Throttle) {
	s.gateways.mu.Lock()
	defer s.gateways.mu.Unlock()
	s.gateways.throttle = t
	for _, th := range s.gateways.throttlers {
		th.SetLimits(t)
	}
}

// newAuthorizer returns region's authorizer: the Lambda TOKEN
// authorizer's own code (userpool/tokencheck, as handlers/authorizer runs
// it) trusting g.issuers, or the emulation of API Gateway's Cognito
// authorizer, of the pool's issuer or of each of g.issuers.
func (g *gateways) newAuthorizer(region string) (gateway.Authorizer, error) {
	if g.lambda {
		names := make([]string, len(g.issuers))
		jwks := make(map[string]string, len(g.issuers))
		for i, o := range g.issuers {
			names[i], jwks[o.Issuer] = o.Issuer, o.JWKSURL
		}
		v, err := tokencheck.New(g.life, tokencheck.Options{
			Issuers: names, ClientID: g.auth.ClientID, JWKSURL: func(iss string) string { return jwks[iss] },
		})
		if err != nil {
			return nil, fmt.Errorf("localcloud: %w", err)
		}
		return gateway.NewLambdaAuthorizer(region, g.stage, compactJWS, v.Authorize), nil
	}
	if len(g.issuers) > 1 {
		return gateway.NewIssuerAuthorizer(g.life, g.issuers)
	}
	return gateway.NewCognitoAuthorizer(g.life, g.auth)
}

// compactJWS is the Lambda token authorizer's identityValidationExpression
// as the deployed API declares it.
var compactJWS = regexp.MustCompile(gatewaydoc.CompactJWSExpression)
