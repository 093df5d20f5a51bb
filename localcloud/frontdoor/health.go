package frontdoor

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Since issue 23 the cloud's checks follow a CloudWatch alarm of each
// region's 5xx answers instead of probing it (components/healthalarm.go);
// the front door still probes, on Route 53's schedule below, but counts an
// answer as the alarm would: only a 5xx, or no answer, fails.
//
// Route 53's rules for an HTTP health check of an endpoint, from "How Amazon
// Route 53 determines whether a health check is healthy" (Route 53 Developer
// Guide, read 2026-11):
//   - a checker must connect within 4 s, and the endpoint must answer with a
//     2xx or 3xx status within 2 s after connecting;
//   - the interval is 10 or 30 s (30 s by default), and the failure threshold
//     (3 by default, 1 to 10) is the number of consecutive checks that must
//     fail, or pass, to change the status either way;
//   - a new health check is healthy until there is enough data;
//   - an inverted check is unhealthy when its status is healthy, and the other
//     way round.
//
// What is simplified here: Route 53 runs about 15 checkers that do not
// coordinate, and calls an endpoint healthy while more than 18% of them
// report it healthy; the front door is one checker on one machine. Whether
// Route 53 applies an inversion at once or only after its next round of
// checks is not documented (unverified); here it applies at once.
const (
	DefaultInterval        = 30 * time.Second
	DefaultThreshold       = 3
	DefaultConnectTimeout  = 4 * time.Second
	DefaultResponseTimeout = 2 * time.Second
)

// maxThreshold is Route 53's largest failure threshold.
const maxThreshold = 10

// keptChecks is how many recent checks each region keeps for the status page.
const keptChecks = 20

// maxInFlight bounds the checks of one region that may wait for an answer at
// once. Checks start on every interval whether or not the previous one has
// answered, as Route 53's independent checkers do, so a hanging region is
// detected within the threshold and the time limit rather than one time
// limit per check.
const maxInFlight = 8

// userAgent is what the checker sends, so a region's access log tells its
// checks from clients. Route 53's checkers are said to send
// "Amazon-Route53-Health-Check-Service" (unverified: not found in AWS's
// documentation); this one says it is a stand-in.
const userAgent = "Amazon-Route53-Health-Check-Service (hush local front door)"

// Check is the outcome of one health check of a region.
type Check struct {
	At time.Time `json:"at"`
	// Pass is true when the answer counts as healthy by Route 53's rule
	// (2xx or 3xx in time), before any inversion.
	Pass      bool    `json:"pass"`
	Status    int     `json:"status,omitempty"`
	LatencyMS float64 `json:"latencyMs"`
	// Error says why a check without a status failed (refused, timed out).
	Error string `json:"error,omitempty"`
	// WritePath is what the region's health answer says of its path to the
	// write region, when it says; it never decides the check, as it never
	// decides Route 53's.
	WritePath string `json:"writePath,omitempty"`
}

// verdict is a region's measured status: what its checks say, before
// inversion.
type verdict struct {
	healthy bool
	// streak counts the consecutive checks that disagree with healthy.
	streak int
}

// observe takes one check's outcome and reports whether the status changed:
// it flips after threshold consecutive checks that disagree with it.
func (v *verdict) observe(pass bool, threshold int) bool {
	if pass == v.healthy {
		v.streak = 0
		return false
	}
	v.streak++
	if v.streak < threshold {
		return false
	}
	v.healthy, v.streak = pass, 0
	return true
}

// newProber returns the HTTP client of the health checks: a fresh
// connection for every check (unverified for Route 53, but its time limits
// start at the connection), no redirects followed (a 3xx is healthy as it
// is), and Route 53's time limits.
func newProber(connect, response time.Duration) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: connect}).DialContext,
			ResponseHeaderTimeout: response,
			DisableKeepAlives:     true,
			Proxy:                 nil, // checks go straight to the region
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// probe runs one check of url.
func probe(ctx context.Context, client *http.Client, url string, limit time.Duration) Check {
	start := time.Now()
	c := Check{At: start}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		c.Error = err.Error()
		return c
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := client.Do(req)
	c.LatencyMS = ms(time.Since(start))
	if err != nil {
		c.Error = describe(err)
		return c
	}
	defer resp.Body.Close()
	// Route 53 reads at most the first 5,120 bytes, and only to match a
	// search string; the front door reads as much for the status page.
	var body struct {
		WritePath string `json:"write_path"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 5120)).Decode(&body) == nil {
		c.WritePath = body.WritePath
	}
	c.Status = resp.StatusCode
	// The cloud's check follows an alarm of the region's 5xx answers
	// (components/healthalarm.go), so a region answering 429 (throttled)
	// or 403 (blocked by its per-IP rule) is up: no flood of anonymous
	// requests takes it out of DNS. Unlike the alarm, which sees no data
	// when a region answers nothing at all, no answer fails here.
	c.Pass = resp.StatusCode < 500
	return c
}

// describe shortens a client error to what a person reading the status
// page needs.
func describe(err error) string {
	var timeout interface{ Timeout() bool }
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &timeout) && timeout.Timeout()) {
		return "timed out"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return "connection refused"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return "no answer: " + err.Error()
}

// ms turns a duration into milliseconds for JSON.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
