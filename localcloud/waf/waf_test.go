package waf

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// clock is a settable time.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestRateBasedRule(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	r := New(Limits{PerIP: 10, Window: 10 * time.Second, Delay: 2 * time.Second})
	r.now = c.now
	send := func(ip string, n int, every time.Duration) (passed int) {
		for range n {
			if r.Allow(ip) {
				passed++
			}
			c.t = c.t.Add(every)
		}
		return passed
	}
	if got := send("127.0.0.2", 10, 100*time.Millisecond); got != 10 {
		t.Fatalf("10 requests within the limit: %d passed, want 10", got)
	}
	// Above the limit, but within the delay: WAF has not acted yet.
	if got := send("127.0.0.2", 15, 100*time.Millisecond); got != 15 {
		t.Errorf("the first 1.5 s above the limit: %d of 15 passed, want all (the delay is 2 s)", got)
	}
	if got := send("127.0.0.2", 20, 100*time.Millisecond); got >= 10 {
		t.Errorf("after the delay: %d of 20 passed, want the flood blocked", got)
	}
	if got := send("127.0.0.3", 5, 100*time.Millisecond); got != 5 {
		t.Errorf("another client: %d of 5 passed, want all: limits are per IP address", got)
	}
	// Quiet for a window and the delay: blocking stops.
	c.t = c.t.Add(10 * time.Second)
	send("127.0.0.2", 3, time.Second)
	if !r.Allow("127.0.0.2") {
		t.Errorf("a client below its limit for longer than the delay is still blocked")
	}
	r.SetLimits(Limits{})
	if got := send("127.0.0.2", 100, time.Millisecond); got != 100 {
		t.Errorf("with the rule off: %d of 100 passed", got)
	}
}

func TestHandlerAnswersLikeWAF(t *testing.T) {
	r := New(Limits{PerIP: 1, Window: time.Minute})
	reached := 0
	h := r.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached++ }))
	var codes []int
	for range 3 {
		req := httptest.NewRequest(http.MethodGet, "/v1/health", nil)
		req.RemoteAddr = "127.0.0.2:4000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		codes = append(codes, rec.Code)
	}
	if codes[0] != http.StatusOK || codes[1] != http.StatusForbidden || codes[2] != http.StatusForbidden || reached != 1 {
		t.Errorf("statuses %v, %d reached the gateway; want the first passed and, with no delay, the rest blocked with 403 before the gateway", codes, reached)
	}
}
