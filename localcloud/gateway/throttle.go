package gateway

import (
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/hush-scores/hush/stackconfig"
)

// Throttle is a stage's method throttling, as API Gateway's method settings
// for "*/*" set it (throttlingRateLimit, throttlingBurstLimit): the stack
// file's hush:throttle. The zero Throttle means no throttling.
type Throttle = stackconfig.Throttle

// Throttler enforces a Throttle the way API Gateway applies a stage's
// default method throttling: one token bucket per method (HTTP method and
// resource path), each with the stage's rate and burst, so a flood of one
// method does not throttle another. A request that finds its method's
// bucket empty gets API Gateway's 429 and never reaches the function.
//
// A Throttler is safe for concurrent use; SetLimits changes the limits of
// a running gateway, as a `pulumi up` of new method settings would.
type Throttler struct {
	mu      sync.Mutex
	limits  Throttle
	buckets map[string]*rate.Limiter
	now     func() time.Time
}

// NewThrottler returns a Throttler with limits; the zero Throttle lets
// every request through.
func NewThrottler(limits Throttle) *Throttler {
	return &Throttler{limits: limits, buckets: map[string]*rate.Limiter{}, now: time.Now}
}

// Limits returns the limits in force.
func (t *Throttler) Limits() Throttle {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.limits
}

// SetLimits replaces the limits. Every bucket starts full again, as after
// a new deployment of the stage's settings.
func (t *Throttler) SetLimits(limits Throttle) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.limits = limits
	t.buckets = map[string]*rate.Limiter{}
}

// Allow takes a token from the bucket of method on resourcePath (the route
// template, like /v1/tournament/{tournamentId}/results) and reports whether
// there was one. A nil Throttler allows everything.
func (t *Throttler) Allow(method, resourcePath string) bool {
	if t == nil {
		return true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.limits.Off() {
		return true
	}
	key := method + " " + resourcePath
	b, ok := t.buckets[key]
	if !ok {
		// A new bucket starts full: API Gateway serves a burst at once.
		b = rate.NewLimiter(rate.Limit(t.limits.RateLimit), t.limits.BurstLimit)
		t.buckets[key] = b
	}
	return b.AllowN(t.now(), 1)
}

// bodyThrottled is API Gateway's default THROTTLED gateway response. The
// status and error type are what AWS documents and SDKs retry on; the body
// text is as commonly reported for stage and method throttling, not checked
// against a primary source (AWS re:Post also mentions "Exceeded throttle
// limit" for usage plans, which Hush does not use).
var bodyThrottled = []byte(`{"message":"Too Many Requests"}`)

// ThrottledErrorType is the x-amzn-ErrorType of a throttled request.
const ThrottledErrorType = "TooManyRequestsException"

// writeThrottled answers a request whose method's bucket is empty.
func writeThrottled(w http.ResponseWriter) (int, int) {
	return writeGatewayError(w, http.StatusTooManyRequests, ThrottledErrorType, bodyThrottled), len(bodyThrottled)
}
