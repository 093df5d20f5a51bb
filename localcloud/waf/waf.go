// Package waf emulates, in front of a local gateway, the AWS WAF web ACL
// every stage of the cloud stack sits behind (components/ratelimit.go): a
// rate-based rule that blocks one client IP address above its limit with
// 403, before the request reaches the gateway's throttling buckets, so one
// flooding client cannot spend the stage's shared method buckets for
// everyone.
//
// As AWS documents for rate-based rules, blocking does not start the
// moment a client passes its limit: WAF counts requests over its window and
// acts after a delay (up to about a minute), and stops blocking with a
// similar delay once the rate falls. Limits.Delay emulates both; tests use
// a short one.
package waf

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Limits configure a rate-based rule.
type Limits struct {
	// PerIP is the most requests one IP address may send in Window; zero
	// turns the rule off.
	PerIP  int
	Window time.Duration
	// Delay is how long a client stays above the limit before blocking
	// starts, and below it before blocking stops.
	Delay time.Duration
}

// Rule is a running rate-based rule.
type Rule struct {
	mu      sync.Mutex
	limits  Limits
	clients map[string]*client
	now     func() time.Time
}

// slots is how many parts of the window a client's count is kept in: the
// count is of the last Window, to a twentieth of it.
const slots = 20

type client struct {
	// counts are the requests of each slot of the window; slot is the
	// index of the current one, which began at slotAt.
	counts [slots]int
	slot   int
	slotAt time.Time
	// over is when the client last went above the limit, or zero while it
	// is below; under likewise for going back below while blocked.
	over, under time.Time
	blocked     bool
}

// New returns a rule with limits.
func New(l Limits) *Rule {
	return &Rule{limits: l, clients: map[string]*client{}, now: time.Now}
}

// SetLimits replaces the limits and forgets every client, as a change of
// the web ACL would start its counts again.
func (r *Rule) SetLimits(l Limits) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.limits, r.clients = l, map[string]*client{}
}

// Limits returns the limits in force.
func (r *Rule) Limits() Limits {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.limits
}

// count adds a request at now to c and returns the requests of the last
// window.
func (c *client) count(now time.Time, window time.Duration) int {
	step := window / slots
	if c.slotAt.IsZero() {
		c.slotAt = now
	}
	for n := 0; now.Sub(c.slotAt) >= step && n <= slots; n++ {
		c.slot = (c.slot + 1) % slots
		c.counts[c.slot] = 0
		c.slotAt = c.slotAt.Add(step)
	}
	if now.Sub(c.slotAt) >= step { // idle for longer than the window
		c.slotAt = now
	}
	c.counts[c.slot]++
	total := 0
	for _, n := range c.counts {
		total += n
	}
	return total
}

// Allow counts a request from ip and reports whether it passes. Blocked
// requests count too, as WAF rates every request its rule sees, so a
// client that keeps flooding stays blocked.
func (r *Rule) Allow(ip string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.limits
	if l.PerIP <= 0 || l.Window <= 0 {
		return true
	}
	now := r.now()
	c := r.clients[ip]
	if c == nil {
		c = &client{}
		r.clients[ip] = c
	}
	above := c.count(now, l.Window) > l.PerIP
	switch {
	case above && !c.blocked:
		c.under = time.Time{}
		if c.over.IsZero() {
			c.over = now
		}
		if now.Sub(c.over) >= l.Delay {
			c.blocked = true
		}
	case !above && c.blocked:
		c.over = time.Time{}
		if c.under.IsZero() {
			c.under = now
		}
		if now.Sub(c.under) >= l.Delay {
			c.blocked = false
		}
	case above:
		c.under = time.Time{}
	default:
		c.over = time.Time{}
	}
	return !c.blocked
}

// Handler returns next behind the rule: a blocked request gets WAF's
// default answer, 403 Forbidden, and never reaches next.
func (r *Rule) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ip := req.RemoteAddr
		if h, _, err := net.SplitHostPort(ip); err == nil {
			ip = h
		}
		if !r.Allow(ip) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("x-amzn-ErrorType", "ForbiddenException")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"message":"Forbidden"}` + "\n"))
			return
		}
		next.ServeHTTP(w, req)
	})
}
