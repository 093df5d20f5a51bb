package gateway

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand, so token buckets refill
// exactly when the test says.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// throttledFixture is a gateway with dev's limits (rate 10/s, burst 20 in
// this test, whatever the stack file says) on a clock that stands still.
func throttledFixture(t *testing.T, limits Throttle) (*fixture, *Throttler, *fakeClock) {
	t.Helper()
	clock := &fakeClock{now: fixedNow}
	th := NewThrottler(limits)
	th.now = clock.Now
	f := newFixture(t, func(o *Options) { o.Throttler = th })
	return f, th, clock
}

func TestThrottleIsATokenBucketPerMethod(t *testing.T) {
	limits := Throttle{RateLimit: 10, BurstLimit: 20}
	f, _, clock := throttledFixture(t, limits)

	// A full bucket serves the burst, then the next request is throttled.
	for i := range limits.BurstLimit {
		if rec := f.do("GET", "/dev/v1/hello", nil, nil); rec.Code != 200 {
			t.Fatalf("request %d of the burst: status %d, want 200", i+1, rec.Code)
		}
	}
	calls := f.fn.calls()
	rec := f.do("GET", "/dev/v1/hello", nil, nil)
	checkGatewayError(t, "request over the burst", rec.Result(), rec.Body.String(), 429, `{"message":"Too Many Requests"}`, "TooManyRequestsException")
	if f.fn.calls() != calls {
		t.Error("a throttled request reached the Lambda function")
	}

	// Another method has a bucket of its own, and so has the same HTTP
	// method on another resource.
	for _, target := range []string{"/dev/v1/health", "/dev/v1/tournament/t1/results", "/dev/v1/tournament/t2/results"} {
		if rec := f.do("GET", target, nil, nil); rec.Code != 200 {
			t.Errorf("GET %s after /v1/hello's bucket ran dry: status %d, want 200 (buckets are per method)", target, rec.Code)
		}
	}
	// Path parameters do not make new methods: t1 and t2 above took two
	// tokens from the one bucket of GET /v1/tournament/{tournamentId}/results.
	for i := range limits.BurstLimit - 2 {
		if rec := f.do("GET", "/dev/v1/tournament/t"+string(rune('a'+i))+"/results", nil, nil); rec.Code != 200 {
			t.Fatalf("results request %d: status %d, want 200", i+3, rec.Code)
		}
	}
	if rec := f.do("GET", "/dev/v1/tournament/tz/results", nil, nil); rec.Code != 429 {
		t.Errorf("results request %d: status %d, want 429: every tournament shares the method's bucket", limits.BurstLimit+1, rec.Code)
	}

	// The bucket refills at the rate: a tenth of a second buys one request
	// at 10/s, and no more.
	clock.Advance(100 * time.Millisecond)
	if rec := f.do("GET", "/dev/v1/hello", nil, nil); rec.Code != 200 {
		t.Errorf("after 100 ms at 10/s: status %d, want 200", rec.Code)
	}
	if rec := f.do("GET", "/dev/v1/hello", nil, nil); rec.Code != 429 {
		t.Errorf("second request after 100 ms at 10/s: status %d, want 429", rec.Code)
	}
	// A quiet spell refills the bucket to the burst, not beyond.
	clock.Advance(time.Hour)
	served := 0
	for range 2 * limits.BurstLimit {
		if f.do("GET", "/dev/v1/hello", nil, nil).Code == 200 {
			served++
		}
	}
	if served != limits.BurstLimit {
		t.Errorf("after an hour idle, %d requests served at once, want the burst %d", served, limits.BurstLimit)
	}
}

func TestThrottleComesBeforeTheAuthorizer(t *testing.T) {
	f, _, _ := throttledFixture(t, Throttle{RateLimit: 1, BurstLimit: 1})
	header := http.Header{"Authorization": {"not-a-token"}}
	if rec := f.do("POST", "/dev/v1/tournament/match", nil, header); rec.Code != 401 {
		t.Fatalf("first request: status %d, want 401", rec.Code)
	}
	rec := f.do("POST", "/dev/v1/tournament/match", nil, header)
	checkGatewayError(t, "throttled protected route", rec.Result(), rec.Body.String(), 429, `{"message":"Too Many Requests"}`, "TooManyRequestsException")
	if f.auth.n != 1 {
		t.Errorf("the authorizer was called %d times, want 1: a throttled request is refused before its token is checked", f.auth.n)
	}
}

func TestThrottleLimitsCanChangeAndTurnOff(t *testing.T) {
	f, th, _ := throttledFixture(t, Throttle{RateLimit: 1, BurstLimit: 1})
	f.do("GET", "/dev/v1/hello", nil, nil)
	if rec := f.do("GET", "/dev/v1/hello", nil, nil); rec.Code != 429 {
		t.Fatalf("over a burst of 1: status %d, want 429", rec.Code)
	}
	th.SetLimits(Throttle{RateLimit: 1, BurstLimit: 3})
	for i := range 3 {
		if rec := f.do("GET", "/dev/v1/hello", nil, nil); rec.Code != 200 {
			t.Errorf("request %d under the new burst of 3: status %d, want 200", i+1, rec.Code)
		}
	}
	th.SetLimits(Throttle{})
	for i := range 100 {
		if rec := f.do("GET", "/dev/v1/hello", nil, nil); rec.Code != 200 {
			t.Fatalf("request %d with throttling off: status %d, want 200", i+1, rec.Code)
		}
	}
	if got := th.Limits(); !got.Off() {
		t.Errorf("Limits() = %+v, want off", got)
	}
}

func TestNoThrottlerNeverThrottles(t *testing.T) {
	f := newFixture(t)
	for i := range 500 {
		if rec := f.do("GET", "/dev/v1/hello", nil, nil); rec.Code != 200 {
			t.Fatalf("request %d without a Throttler: status %d, want 200", i+1, rec.Code)
		}
	}
}
