// Package api serves API v1 of Hush over net/http: the handlers of every
// route in Routes, the middleware that reads the caller and the request ID
// from API Gateway's context, the Lambda adapter, and the OpenAPI description.
// It knows the domain through package scores and storage only through the
// scores.Store interface.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/hush-scores/hush/internal/statusrec"
	"github.com/hush-scores/hush/scores"
)

// Deps are what the handlers need. They are read once, when the handler is
// built; nothing reads the environment during a request.
type Deps struct {
	// Store keeps the matches. Only the hello function may leave it nil.
	Store scores.Store
	// Region is the AWS region serving the request, shown by hello and health.
	Region string
	// Logger receives structured logs; nil means JSON on standard error.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Belief says what this region believes of the write region, read
	// from its own replica (package writeregion): health reports it and
	// probes the replica it names. Nil means a fixed belief in
	// WriteRegion (the hello function, tests).
	Belief BeliefSource
	// WriteRegion is the write region health reports when Belief is nil;
	// "" means Region.
	WriteRegion string
	// WriteProbes read the other regions' replicas for health's
	// write_path, by region: health pings the one its belief names. None
	// is needed for this region, whose own read answers for it. The write
	// region moves at run time, so a reader holds a probe of every other
	// region.
	WriteProbes map[string]Pinger
	// WriteTimeout bounds each write (its retries included), so a write
	// region that hangs answers 503 rather than holding the client; 0 means
	// DefaultWriteTimeout.
	WriteTimeout time.Duration
}

// DefaultWriteTimeout bounds a write from the handler's side. With the
// gateway and Lambda around it, an unreachable write region answers 503
// within 2 s; a healthy one commits in tens of milliseconds, even across
// an ocean, and a busy laptop's DynamoDB Local gets as long as it can.
// Checked against prod's farthest pair (us-east-1 to eu-central-1, about
// 90 ms) on a cold connection: the handshakes and the read cost three round
// trips and the transaction one more, about 360 ms of the 1.8 s.
const DefaultWriteTimeout = 1800 * time.Millisecond

// server holds the dependencies every handler shares.
type server struct {
	store        scores.Store
	region       string
	logger       *slog.Logger
	now          func() time.Time
	belief       BeliefSource
	writeRegion  string
	writePaths   map[string]*writePath // by region; none for this region
	writeTimeout time.Duration
}

// handlers maps every OperationID of Routes to its handler. With Routes it is
// the one place that lists the routes; a test checks that the two agree.
func (s *server) handlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"getHello":              s.getHello,
		"getHelloAuthenticated": s.getHelloAuthenticated,
		"getHealth":             s.getHealth,
		"createMatch":           s.createMatch,
		"putMatch":              s.putMatch,
		"listResults":           s.listResults,
		"getStandings":          s.getStandings,
		"getMatch":              s.getMatch,
		"deleteMatch":           s.deleteMatch,
		"listPlayerMatches":     s.listPlayerMatches,
	}
}

// NewHandler returns the handler of the routes of Routes served by fn, or of
// every route when fn is "". It panics when a route has no handler or a
// function that touches the table has no store: both are wiring bugs that
// must stop a Lambda at init, not fail a request.
func NewHandler(fn Function, deps Deps) http.Handler {
	s := &server{
		store: deps.Store, region: deps.Region, logger: deps.Logger, now: deps.Now,
		belief: deps.Belief, writeRegion: deps.WriteRegion, writeTimeout: deps.WriteTimeout,
	}
	if s.logger == nil {
		s.logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.writeRegion == "" {
		s.writeRegion = s.region
	}
	if s.writeTimeout <= 0 {
		s.writeTimeout = DefaultWriteTimeout
	}
	s.writePaths = map[string]*writePath{}
	for region, p := range deps.WriteProbes {
		if region != s.region && p != nil {
			s.writePaths[region] = newWritePath(p, s.now)
		}
	}
	handlers := s.handlers()
	mux := http.NewServeMux()
	var served []servedRoute
	for _, rt := range Routes() {
		if fn != "" && rt.Function != fn {
			continue
		}
		h, ok := handlers[rt.OperationID]
		if !ok {
			panic(fmt.Sprintf("api: route %s %s (%s) has no handler", rt.Method, rt.Path, rt.OperationID))
		}
		if rt.Function != FunctionHello && s.store == nil {
			panic(fmt.Sprintf("api: function %s needs Deps.Store", rt.Function))
		}
		var handler http.Handler = h
		if rt.Auth {
			handler = requireCaller(handler)
		}
		mux.Handle(rt.Method+" "+rt.Path, handler)
		served = append(served, servedRoute{route: rt, handler: handler})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// ServeMux reads a wildcard segment that decodes to exactly "/"
		// ("%2F") as a trailing slash and matches nothing, although API
		// Gateway matched the route; so try the templates segment by
		// segment before answering 404, and let the handler judge the value.
		for _, sr := range served {
			if sr.route.Method == r.Method && matchTemplate(r, sr.route.Path) {
				sr.handler.ServeHTTP(w, r)
				return
			}
		}
		// API Gateway answers unknown routes itself; this only catches a
		// request sent to the wrong function, and answers it in JSON like
		// every error.
		writeError(w, r, scores.Errorf(scores.CodeNotFound, "no such route"))
	})
	return s.middleware(mux)
}

// servedRoute is a route with the handler that serves it.
type servedRoute struct {
	route   Route
	handler http.Handler
}

// matchTemplate reports whether the escaped path of r fits the route
// template, each {name} taking one non-empty segment, and if so sets the
// decoded path values on r.
func matchTemplate(r *http.Request, template string) bool {
	got := strings.Split(r.URL.EscapedPath(), "/")
	want := strings.Split(template, "/")
	if len(got) != len(want) {
		return false
	}
	values := map[string]string{}
	for i, seg := range want {
		name, isParam := strings.CutPrefix(seg, "{")
		if !isParam {
			if got[i] != seg {
				return false
			}
			continue
		}
		value, err := url.PathUnescape(got[i])
		if err != nil || value == "" {
			return false
		}
		values[strings.TrimSuffix(name, "}")] = value
	}
	for name, value := range values {
		r.SetPathValue(name, value)
	}
	return true
}

// middleware gives every request a logger carrying its request ID, reads the
// caller from the authorizer's claims, logs one line per request, and turns
// a panic into a logged 500 rather than a crashed Lambda.
func (s *server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx := r.Context()
		requestID := ""
		if gw, ok := core.GetAPIGatewayContextFromContext(ctx); ok {
			requestID = gw.RequestID
		}
		if requestID == "" {
			requestID = newRequestID()
		}
		log := s.logger.With("request_id", requestID)
		ctx = context.WithValue(ctx, loggerKey{}, log)
		if _, ok := CallerFrom(ctx); !ok {
			if c, ok := callerFromGateway(r.WithContext(ctx)); ok {
				ctx = WithCaller(ctx, c)
			}
		}
		rec := statusrec.New(w)
		// Nothing is cacheable unless a public read says otherwise
		// (writeCacheable); errors keep this.
		rec.Header().Set("Cache-Control", cacheNever)
		r = r.WithContext(ctx)
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic in handler", "panic", fmt.Sprint(p))
				if rec.Status() == 0 {
					writeError(rec, r, scores.Errorf(scores.CodeInternal, "panic"))
				}
			}
			log.Info("request",
				"method", r.Method,
				"route", r.Pattern,
				"status", rec.Status(),
				"duration_ms", float64(time.Since(start).Microseconds())/1000)
		}()
		next.ServeHTTP(rec, r)
	})
}

// requireCaller answers 401 when the request carries no caller. API Gateway
// stops such requests first; this is defence in depth.
func requireCaller(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := CallerFrom(r.Context()); !ok {
			writeError(w, r, scores.Errorf(scores.CodeUnauthorized, "unauthorized"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// newRequestID returns a random ID for requests that did not come through
// API Gateway, so their log lines can still be told apart.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "local-" + hex.EncodeToString(b[:])
}
