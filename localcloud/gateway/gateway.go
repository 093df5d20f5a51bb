// Package gateway is the local stand-in for API Gateway: an http.Handler that
// answers as a REST API stage with a Cognito user pools authorizer and Lambda
// proxy integrations does, in front of the same Lambda handler functions that
// run in AWS. It builds the proxy event API Gateway would send, calls the
// function in process, and turns its proxy response into the HTTP answer.
//
// What it reproduces, and where local differs from AWS, is written down in
// README.md beside this file.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/uuid"

	"github.com/hush-scores/hush/api"
)

// LambdaFunc is a Lambda function behind a proxy integration: the signature
// of api.NewLambdaHandler and of any aws-lambda-go handler of API Gateway
// proxy events.
type LambdaFunc func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// Authorizer checks the token of a request to a route that needs one.
// Authorize returns the token's claims rendered as API Gateway's Cognito
// authorizer passes them to Lambda (every value a string), or an error when
// the token must be refused with 401.
type Authorizer interface {
	Authorize(ctx context.Context, token string) (map[string]string, error)
}

// Options configure a gateway.
type Options struct {
	// Region is the AWS region this gateway stands for; it is logged with
	// every request. The handlers learn their region from their own deps.
	Region string
	// Stage is the stage name, the first path segment of every URL.
	Stage string
	// Routes are the methods and paths served, normally api.Routes().
	Routes []api.Route
	// Functions serve the routes; every Route.Function needs one.
	Functions map[api.Function]LambdaFunc
	// Authorizer checks tokens on routes with Auth; required when any has.
	Authorizer Authorizer
	// MaxBodyBytes is the request payload limit; 0 means API Gateway's 10 MB.
	MaxBodyBytes int64
	// Logger receives the access log and errors; nil means JSON on stderr.
	Logger *slog.Logger
	// Now is the clock for requestTime; nil means time.Now.
	Now func() time.Time
	// Throttler enforces the stage's method throttling (see throttle.go);
	// nil means none.
	Throttler *Throttler
}

// DefaultMaxBodyBytes is API Gateway's request payload limit for REST APIs.
const DefaultMaxBodyBytes = 10 << 20

// lambdaPayloadLimit is Lambda's limit on a synchronous invocation's request
// and response payloads. API Gateway cannot invoke or relay beyond it.
const lambdaPayloadLimit = 6 << 20

// Identifiers API Gateway puts in every event. Locally they are fixed.
const (
	apiID     = "local"
	accountID = "000000000000"
)

type gateway struct {
	stage   string
	prefix  string // "/" + stage
	region  string
	root    *resource
	auth    Authorizer
	maxBody int64
	log     *slog.Logger
	now     func() time.Time
	resIDs  map[string]string // template path -> resourceId
	limits  *Throttler
}

// New returns a gateway serving opts.Routes under /<stage>. It fails when a
// route has no function, a route needs a token but there is no Authorizer,
// or the routes do not form a valid API Gateway resource tree.
func New(opts Options) (http.Handler, error) {
	if opts.Stage == "" || strings.ContainsAny(opts.Stage, "/?#%") {
		return nil, fmt.Errorf("gateway: stage %q must be a non-empty name without /, ?, # or %%", opts.Stage)
	}
	if len(opts.Routes) == 0 {
		return nil, errors.New("gateway: no routes")
	}
	g := &gateway{
		stage:   opts.Stage,
		prefix:  "/" + opts.Stage,
		region:  opts.Region,
		root:    newResource("/"),
		auth:    opts.Authorizer,
		maxBody: opts.MaxBodyBytes,
		log:     opts.Logger,
		now:     opts.Now,
		resIDs:  map[string]string{},
		limits:  opts.Throttler,
	}
	if g.maxBody <= 0 {
		g.maxBody = DefaultMaxBodyBytes
	}
	if g.log == nil {
		g.log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if g.now == nil {
		g.now = time.Now
	}
	for _, r := range opts.Routes {
		fn := opts.Functions[r.Function]
		if fn == nil {
			return nil, fmt.Errorf("gateway: route %s %s: no function %q in Options.Functions", r.Method, r.Path, r.Function)
		}
		if r.Auth && opts.Authorizer == nil {
			return nil, fmt.Errorf("gateway: route %s %s needs a token but Options.Authorizer is nil", r.Method, r.Path)
		}
		if err := g.root.add(&route{Route: r, fn: fn}); err != nil {
			return nil, err
		}
		g.resIDs[r.Path] = resourceID(r.Path)
	}
	return g, nil
}

// Gateway responses, as API Gateway's default gateway responses render them.
var (
	bodyMissingToken  = []byte(`{"message":"Missing Authentication Token"}`)
	bodyUnauthorized  = []byte(`{"message":"Unauthorized"}`)
	bodyTooLarge      = []byte(`{"message":"Request Too Long"}`)
	bodyInternalError = []byte(`{"message": "Internal server error"}`)
	bodyBadRequest    = []byte(`{"message":"Bad Request"}`)
)

// ids are the identifiers of one request.
type ids struct {
	request  string // requestContext.requestId, header x-amzn-RequestId
	extended string // requestContext.extendedRequestId, header x-amz-apigw-id
	trace    string // header X-Amzn-Trace-Id
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	at := g.now()
	id := newIDs(at)
	h := w.Header()
	// API Gateway spells these headers this way; set the map directly so
	// net/http does not canonicalize them.
	h["x-amzn-RequestId"] = []string{id.request}
	h["x-amz-apigw-id"] = []string{id.extended}
	h["X-Amzn-Trace-Id"] = []string{id.trace}

	status, n, resourcePath := g.serve(w, r, id, at)

	g.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("requestId", id.request),
		slog.String("ip", clientIP(r)),
		slog.String("requestTime", at.UTC().Format(requestTimeLayout)),
		slog.String("httpMethod", r.Method),
		slog.String("resourcePath", resourcePath),
		slog.String("path", r.URL.EscapedPath()),
		slog.String("protocol", r.Proto),
		slog.Int("status", status),
		slog.Int("responseLength", n),
		slog.Float64("latencyMs", float64(time.Since(began).Microseconds())/1000),
		slog.String("stage", g.stage),
		slog.String("region", g.region),
	)
}

// serve answers r and returns the status, body length and matched resource
// path, for the access log.
func (g *gateway) serve(w http.ResponseWriter, r *http.Request, id ids, at time.Time) (int, int, string) {
	if r.ContentLength > g.maxBody {
		return writeGatewayError(w, http.StatusRequestEntityTooLarge, "", bodyTooLarge), len(bodyTooLarge), ""
	}
	rawPath := r.URL.EscapedPath()
	rt, params, ok := g.route(r.Method, rawPath)
	if !ok {
		return writeGatewayError(w, http.StatusForbidden, "MissingAuthenticationTokenException", bodyMissingToken), len(bodyMissingToken), ""
	}
	// Throttling is checked before the authorizer, so a throttled request
	// costs no token check. Whether API Gateway orders them so is not
	// documented in what we found; only the 429 itself is.
	if !g.limits.Allow(r.Method, rt.Path) {
		status, n := writeThrottled(w)
		return status, n, rt.Path
	}

	var claims map[string]string
	if rt.Auth {
		// More than one Authorization header leaves open which token was
		// verified and which one the function reads its groups from; it is
		// refused. Unverified: what API Gateway itself does with several
		// (README.md, Known differences).
		values := r.Header.Values("Authorization")
		token := ""
		if len(values) == 1 {
			token = bearer(values[0])
		}
		if token == "" {
			return writeGatewayError(w, http.StatusUnauthorized, "UnauthorizedException", bodyUnauthorized), len(bodyUnauthorized), rt.Path
		}
		c, err := g.auth.Authorize(r.Context(), token)
		if err != nil {
			g.log.LogAttrs(r.Context(), slog.LevelWarn, "token refused",
				slog.String("requestId", id.request), slog.String("error", err.Error()))
			return writeGatewayError(w, http.StatusUnauthorized, "UnauthorizedException", bodyUnauthorized), len(bodyUnauthorized), rt.Path
		}
		claims = c
	}

	var body []byte
	var err error
	if r.Body != nil { // a server request always has one; a handcrafted one may not
		body, err = io.ReadAll(io.LimitReader(r.Body, g.maxBody+1))
	}
	if err != nil {
		g.log.LogAttrs(r.Context(), slog.LevelWarn, "read request body",
			slog.String("requestId", id.request), slog.String("error", err.Error()))
		return writeGatewayError(w, http.StatusBadRequest, "BadRequestException", bodyBadRequest), len(bodyBadRequest), rt.Path
	}
	if int64(len(body)) > g.maxBody {
		return writeGatewayError(w, http.StatusRequestEntityTooLarge, "", bodyTooLarge), len(bodyTooLarge), rt.Path
	}

	ev := g.event(r, rt, params, claims, body, rawPath, id, at)
	resp, err := g.invoke(r.Context(), rt.fn, ev)
	if errors.Is(err, errEventTooLarge) {
		return writeGatewayError(w, http.StatusRequestEntityTooLarge, "", bodyTooLarge), len(bodyTooLarge), rt.Path
	}
	if err != nil {
		g.log.LogAttrs(r.Context(), slog.LevelError, "lambda integration failed",
			slog.String("requestId", id.request),
			slog.String("function", string(rt.Function)),
			slog.String("error", err.Error()))
		return writeGatewayError(w, http.StatusBadGateway, "InternalServerErrorException", bodyInternalError), len(bodyInternalError), rt.Path
	}
	n := writeProxyResponse(w, resp)
	return resp.StatusCode, n, rt.Path
}

// route finds the route of method and the escaped request path. API Gateway
// ignores trailing slashes when it matches a resource; an empty segment
// (a double slash) matches nothing.
func (g *gateway) route(method, rawPath string) (*route, map[string]string, bool) {
	rest, ok := strings.CutPrefix(rawPath, g.prefix)
	if !ok || (rest != "" && rest[0] != '/') {
		return nil, nil, false
	}
	rest = strings.TrimRight(rest, "/")
	if rest == "" {
		return nil, nil, false // the stage root has no methods
	}
	rt, params := g.root.match(method, strings.Split(rest[1:], "/"), nil)
	if rt == nil {
		return nil, nil, false
	}
	return rt, params, true
}

// bearer returns the token of an Authorization header value. The Cognito
// authorizer takes the raw token and also accepts it after "Bearer ".
func bearer(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		v = strings.TrimSpace(v[7:])
	}
	return v
}

const requestTimeLayout = "02/Jan/2006:15:04:05 -0700"

// event builds the Lambda proxy event API Gateway sends for r.
func (g *gateway) event(r *http.Request, rt *route, params, claims map[string]string, body []byte, rawPath string, id ids, at time.Time) events.APIGatewayProxyRequest {
	ip := clientIP(r)
	headers, multi := eventHeaders(r, ip, id.trace)
	query, multiQuery := eventQuery(r.URL.RawQuery)
	// domainName is the API's own name in AWS, never the client's Host:
	// the Lambda proxy builds the request URL from it, so a Host of "a:b"
	// would make every request unparsable. Locally it is the listener's
	// address.
	domain := listenerAddr(r)
	ev := events.APIGatewayProxyRequest{
		Resource:                        rt.Path,
		Path:                            strings.TrimPrefix(rawPath, g.prefix),
		HTTPMethod:                      r.Method,
		Headers:                         headers,
		MultiValueHeaders:               multi,
		QueryStringParameters:           query,
		MultiValueQueryStringParameters: multiQuery,
		PathParameters:                  params,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:         accountID,
			ResourceID:        g.resIDs[rt.Path],
			Stage:             g.stage,
			DomainName:        domain,
			DomainPrefix:      domainPrefix(domain),
			RequestID:         id.request,
			ExtendedRequestID: id.extended,
			Protocol:          r.Proto,
			Identity: events.APIGatewayRequestIdentity{
				SourceIP:  ip,
				UserAgent: r.UserAgent(),
			},
			ResourcePath:     rt.Path,
			Path:             rawPath,
			HTTPMethod:       r.Method,
			RequestTime:      at.UTC().Format(requestTimeLayout),
			RequestTimeEpoch: at.UnixMilli(),
			APIID:            apiID,
		},
	}
	if claims != nil {
		c := make(map[string]any, len(claims))
		for k, v := range claims {
			c[k] = v
		}
		if _, flat := g.auth.(interface{ lambdaContext() }); flat {
			ev.RequestContext.Authorizer = c
		} else {
			ev.RequestContext.Authorizer = map[string]any{"claims": c}
		}
	}
	if utf8.Valid(body) {
		ev.Body = string(body)
	} else {
		ev.Body = base64.StdEncoding.EncodeToString(body)
		ev.IsBase64Encoded = true
	}
	return ev
}

// eventHeaders returns r's headers as the event carries them, the last
// value of each and all of them, with the ones API Gateway adds: Host
// (net/http moves it out of the header map), X-Forwarded-For with the
// client's address ip appended, X-Forwarded-Port and -Proto, and the
// trace ID.
func eventHeaders(r *http.Request, ip, trace string) (map[string]string, map[string][]string) {
	headers := make(map[string]string, len(r.Header)+4)
	multi := make(map[string][]string, len(r.Header)+4)
	for k, vs := range r.Header {
		if len(vs) == 0 {
			continue
		}
		multi[k] = vs
		headers[k] = vs[len(vs)-1]
	}
	set := func(k, v string) {
		headers[k] = v
		multi[k] = []string{v}
	}
	set("Host", r.Host)
	if xff := headers["X-Forwarded-For"]; xff != "" {
		set("X-Forwarded-For", xff+", "+ip)
	} else {
		set("X-Forwarded-For", ip)
	}
	set("X-Forwarded-Port", serverPort(r))
	if r.TLS != nil {
		set("X-Forwarded-Proto", "https")
	} else {
		set("X-Forwarded-Proto", "http")
	}
	set("X-Amzn-Trace-Id", trace)
	return headers, multi
}

// eventQuery returns the query parameters of raw, the last value of each
// (as in AWS) and all of them; nil for none. ParseQuery keeps what it can
// read of a malformed query, as API Gateway does; "+" reads as a space.
func eventQuery(raw string) (map[string]string, map[string][]string) {
	if raw == "" {
		return nil, nil
	}
	values, _ := url.ParseQuery(raw)
	if len(values) == 0 {
		return nil, nil
	}
	query := make(map[string]string, len(values))
	multi := make(map[string][]string, len(values))
	for k, vs := range values {
		multi[k] = vs
		query[k] = vs[len(vs)-1]
	}
	return query, multi
}

// errEventTooLarge is an event over Lambda's request payload limit. Lambda
// refuses the invocation, and API Gateway answers the client 413, not 502:
// the request is what is too large.
var errEventTooLarge = errors.New("exceeds Lambda's 6 MB request payload limit")

// invoke calls fn as the Lambda service would: the event and the response
// cross a JSON boundary, so the function sees exactly what it would decode
// in AWS, and a panic or an error is a failed invocation.
func (g *gateway) invoke(ctx context.Context, fn LambdaFunc, ev events.APIGatewayProxyRequest) (resp events.APIGatewayProxyResponse, err error) {
	payload, err := json.Marshal(ev)
	if err != nil {
		return resp, fmt.Errorf("gateway: encode event: %w", err)
	}
	if len(payload) > lambdaPayloadLimit {
		return resp, fmt.Errorf("gateway: event of %d bytes: %w", len(payload), errEventTooLarge)
	}
	var in events.APIGatewayProxyRequest
	if err := json.Unmarshal(payload, &in); err != nil {
		return resp, fmt.Errorf("gateway: decode event: %w", err)
	}
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: uuid.NewString()})

	out, err := callWithin(ctx, api.LambdaTimeout, fn, in)
	if err != nil {
		return resp, err
	}
	payload, err = json.Marshal(out)
	if err != nil {
		return resp, fmt.Errorf("gateway: encode lambda response: %w", err)
	}
	if len(payload) > lambdaPayloadLimit {
		return resp, fmt.Errorf("gateway: lambda response of %d bytes exceeds Lambda's 6 MB payload limit", len(payload))
	}
	if err := json.Unmarshal(payload, &resp); err != nil {
		return resp, fmt.Errorf("gateway: decode lambda response: %w", err)
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return resp, fmt.Errorf("gateway: malformed Lambda proxy response: statusCode %d", resp.StatusCode)
	}
	if resp.IsBase64Encoded {
		if _, err := base64.StdEncoding.DecodeString(resp.Body); err != nil {
			return resp, fmt.Errorf("gateway: malformed Lambda proxy response: body is not base64: %w", err)
		}
	}
	return resp, nil
}

// call runs fn, turning a panic into an error that carries the stack.
func call(ctx context.Context, fn LambdaFunc, ev events.APIGatewayProxyRequest) (resp events.APIGatewayProxyResponse, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("gateway: lambda panicked: %v\n%s", p, debug.Stack())
		}
	}()
	resp, err = fn(ctx, ev)
	if err != nil {
		err = fmt.Errorf("gateway: lambda returned an error: %w", err)
	}
	return resp, err
}

// gatewayHeaders are the response headers API Gateway owns; a function's
// values for them are dropped.
var gatewayHeaders = map[string]bool{
	"x-amzn-requestid": true,
	"x-amz-apigw-id":   true,
	"x-amzn-trace-id":  true,
	"x-amzn-errortype": true,
}

// writeProxyResponse writes a validated Lambda proxy response and returns
// the number of body bytes. Headers and multiValueHeaders are merged; for a
// name in both, multiValueHeaders wins, as API Gateway documents.
func writeProxyResponse(w http.ResponseWriter, resp events.APIGatewayProxyResponse) int {
	h := w.Header()
	for k, vs := range resp.MultiValueHeaders {
		if gatewayHeaders[strings.ToLower(k)] {
			continue
		}
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range resp.Headers {
		if gatewayHeaders[strings.ToLower(k)] || len(h.Values(k)) > 0 {
			continue
		}
		h.Set(k, v)
	}
	if resp.StatusCode == http.StatusNotModified {
		// A 304 has no body, so neither a type nor a length of its own: the
		// function's ETag and Cache-Control pass as they are, as every
		// header does (API Gateway's handling of a proxy 304 is taken from
		// its documentation of passing headers through, not observed here).
		w.WriteHeader(resp.StatusCode)
		return 0
	}
	if h.Get("Content-Type") == "" {
		// API Gateway labels a proxy response without a type as JSON.
		h.Set("Content-Type", "application/json")
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		body, _ = base64.StdEncoding.DecodeString(resp.Body) // checked in invoke
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	n, _ := w.Write(body)
	return n
}

// writeGatewayError writes one of API Gateway's own responses and returns
// status.
func writeGatewayError(w http.ResponseWriter, status int, errorType string, body []byte) int {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	// As the gateway responses of api/gatewaydoc declare.
	h.Set("Cache-Control", "no-store")
	if errorType != "" {
		h["x-amzn-ErrorType"] = []string{errorType}
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return status
}

func newIDs(at time.Time) ids {
	var b [23]byte
	_, _ = rand.Read(b[:])
	return ids{
		request:  uuid.NewString(),
		extended: base64.StdEncoding.EncodeToString(b[:11]),
		trace:    "Root=1-" + strconv.FormatInt(at.Unix(), 16) + "-" + hex.EncodeToString(b[11:23]),
	}
}

// resourceID derives a stable 6-character ID for a resource, in the shape of
// API Gateway's resource IDs.
func resourceID(path string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(path))
	s := strconv.FormatUint(uint64(h.Sum32()), 36)
	for len(s) < 6 {
		s = "0" + s
	}
	return s[len(s)-6:]
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func serverPort(r *http.Request) string {
	if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(addr.String()); err == nil {
			return port
		}
	}
	if _, port, err := net.SplitHostPort(r.Host); err == nil {
		return port
	}
	if r.TLS != nil {
		return "443"
	}
	return "80"
}

// listenerAddr returns the address of the listener that accepted r, or
// "localhost" for a request that came through none (a test's recorder).
func listenerAddr(r *http.Request) string {
	if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return addr.String()
	}
	return "localhost"
}

func domainPrefix(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	prefix, _, _ := strings.Cut(host, ".")
	return prefix
}
