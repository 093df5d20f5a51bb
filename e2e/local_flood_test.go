package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/localcloud/gateway"
	"github.com/hush-scores/hush/localcloud/waf"
)

// Flood test (issue 23). The flood and the second client come from
// distinct loopback addresses, as distinct clients on the Internet do, so
// the per-IP rule can tell them apart.
const (
	floodAddr  = "127.0.0.2"
	readerAddr = "127.0.0.3"
	// floodFor bounds the flood; floodWorkers send at once.
	floodFor     = 8 * time.Second
	floodWorkers = 8
)

// floodLimits are the per-IP rule during the test: the cloud's rule scaled
// down to seconds (25 requests a second instead of 20 over 5 minutes), its
// delay before blocking included. A local region answers a few hundred
// requests a second on a small machine, so the flood passes the limit and
// the second client, polling 5 times a second at most, does not.
var floodLimits = waf.Limits{PerIP: 50, Window: 2 * time.Second, Delay: 3 * time.Second}

// floodThrottle is the stage's method throttling during the test.
var floodThrottle = gateway.Throttle{RateLimit: 10, BurstLimit: 10}

// clientFrom returns an HTTP client whose connections leave from addr.
func clientFrom(addr string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: d.DialContext, MaxIdleConnsPerHost: floodWorkers, Proxy: nil,
	}}
}

// TestFloodKeepsTheRegionAndOtherClients floods every public route,
// /v1/health included, through the front door from one address for a few
// seconds, while a second client reads standings from another. The region
// must stay in the front door (its check counts 5xx only, as the cloud's
// alarm does, so 429s and 403s do not take it out), the flood must be
// blocked by the per-IP rule once its delay has passed, and the second
// client's reads must keep getting answers: every one under 500, never
// blocked, and, once the rule blocks the flood, nearly all of them 200.
func TestFloodKeepsTheRegionAndOtherClients(t *testing.T) {
	s := requireLocal(t, "it changes the gateways' per-IP rule")
	before, throttle := s.RateLimit(), s.Throttle()
	s.SetRateLimit(floodLimits)
	// The stage's method buckets scaled down as well, so that the flood
	// drains them (429s, /v1/health's included) before the rule blocks it:
	// what took a region out of DNS when its check was an HTTP probe.
	s.SetThrottle(floodThrottle)
	t.Cleanup(func() { s.SetRateLimit(before); s.SetThrottle(throttle) })
	info := s.Info()
	base := strings.TrimRight(info.FrontDoorURL, "/")

	alice, _ := users(t)
	tid := tournament("flood")
	r := post(t, alice, matchBody(tid, "m1", "fann-"+runID, "fbea-"+runID, "5,4,9"))
	wantStatus(t, "the match the flood reads", r, http.StatusOK)
	defer do(t, http.MethodDelete, matchURL(tgt.URLs[tgt.Home], tid, "m1"), alice.IDToken, nil)

	// Every public route, with the parameters of that match.
	var paths []string
	for _, route := range api.Routes() {
		if route.Auth || route.Method != http.MethodGet {
			continue
		}
		p := strings.NewReplacer("{tournamentId}", tid, "{matchId}", "m1", "{player}", "fann-"+runID).Replace(route.Path)
		paths = append(paths, p)
	}
	if len(paths) < 6 {
		t.Fatalf("public routes %v: want health, hello and the four reads", paths)
	}

	ctx, cancel := context.WithTimeout(t.Context(), floodFor)
	defer cancel()
	start := time.Now()
	var floodSent, floodBlocked, floodThrottled, flood5xx atomic.Int64
	var wg sync.WaitGroup
	flooder := clientFrom(floodAddr)
	for w := range floodWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ctx.Err() == nil; i++ {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+paths[i%len(paths)], nil)
				res, err := flooder.Do(req)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				floodSent.Add(1)
				switch {
				case res.StatusCode == http.StatusForbidden:
					floodBlocked.Add(1)
				case res.StatusCode == http.StatusTooManyRequests:
					floodThrottled.Add(1)
				case res.StatusCode >= 500:
					flood5xx.Add(1)
				}
			}
		}()
	}

	// The second client: a spectator's poll of the standings.
	type read struct {
		at     time.Duration
		status int
	}
	var reads []read
	wg.Add(1)
	go func() {
		defer wg.Done()
		reader := clientFrom(readerAddr)
		for ctx.Err() == nil {
			req, _ := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodGet, base+"/v1/tournament/"+tid+"/standings", nil)
			at := time.Since(start)
			status := 0
			if res, err := reader.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				status = res.StatusCode
			}
			reads = append(reads, read{at, status})
			time.Sleep(200 * time.Millisecond)
		}
	}()

	// The front door's view of the regions, polled all along.
	var unhealthy []string
	statusClient := clientFrom("127.0.0.1")
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodGet, strings.TrimRight(info.StatusURL, "/")+"/status.json", nil)
		if res, err := statusClient.Do(req); err == nil {
			var st struct {
				FrontDoor struct {
					Regions []struct {
						Name    string `json:"name"`
						Healthy bool   `json:"healthy"`
					} `json:"regions"`
				} `json:"frontDoor"`
			}
			if json.NewDecoder(res.Body).Decode(&st) == nil {
				for _, reg := range st.FrontDoor.Regions {
					if !reg.Healthy {
						unhealthy = append(unhealthy, reg.Name)
					}
				}
			}
			res.Body.Close()
		}
		time.Sleep(200 * time.Millisecond)
	}
	wg.Wait()

	t.Logf("flood: %d requests in %s from %s, %d blocked (403), %d throttled (429), %d 5xx; second client: %d reads",
		floodSent.Load(), floodFor, floodAddr, floodBlocked.Load(), floodThrottled.Load(), flood5xx.Load(), len(reads))
	if len(unhealthy) > 0 {
		t.Errorf("the front door saw regions unhealthy during the flood: %v", unhealthy)
	}
	if floodThrottled.Load() == 0 {
		t.Errorf("no flood request was throttled: the flood never drained the method buckets, so it proves nothing about the health check")
	}
	if floodBlocked.Load() == 0 {
		t.Errorf("no flood request was blocked: the per-IP rule did not act after its %s delay", floodLimits.Delay)
	}
	settled := floodLimits.Delay + time.Second // the rule blocks, the buckets refill
	var late, lateOK int
	for _, rd := range reads {
		switch {
		case rd.status == 0 || rd.status >= 500:
			t.Errorf("second client at %s: status %d, want an answer under 500", rd.at.Round(time.Millisecond), rd.status)
		case rd.status == http.StatusForbidden:
			t.Errorf("second client at %s: blocked (403), but it is far below its limit", rd.at.Round(time.Millisecond))
		}
		if rd.at >= settled {
			late++
			if rd.status == http.StatusOK {
				lateOK++
			}
		}
	}
	if late == 0 || float64(lateOK) < 0.9*float64(late) {
		t.Errorf("second client after %s: %d of %d reads answered 200, want at least 90%%", settled, lateOK, late)
	}
}
