package e2e

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hush-scores/hush/stackconfig"
)

// TestThrottleUnderDevLimits puts the local gateways under dev's method
// throttling (Pulumi.dev.yaml's hush:throttle), which is what the deploy
// workflow's e2e run meets in AWS, and shows that a burst beyond a method's
// bucket gets API Gateway's 429 while other methods keep serving, and that
// the race tests' kind of load still passes with the suite's retrying
// client. Against a deployed stack every test already runs under that
// stack's own limits, so this one is local-only.
func TestThrottleUnderDevLimits(t *testing.T) {
	stack := requireLocal(t, "it sets the local gateways' throttling to dev's limits")
	cfg, err := stackconfig.LoadFile(stackconfig.File("..", "dev"))
	if err != nil {
		t.Fatal(err)
	}
	dev := cfg.Throttle
	before := stack.Throttle()
	stack.SetThrottle(dev)
	t.Cleanup(func() { stack.SetThrottle(before) })
	t.Logf("dev's limits: rate %g/s, burst %d, per method", dev.RateLimit, dev.BurstLimit)

	t.Run("a burst beyond the bucket meets 429", func(t *testing.T) {
		n := 3 * dev.BurstLimit
		u := homeURL() + "/v1/hello"
		statuses := make([]int, n)
		ready := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		var bad []string
		start := time.Now()
		for i := range n {
			wg.Go(func() {
				<-ready
				// One attempt each: the point is what the gateway answers.
				req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
				if err != nil {
					panic(err)
				}
				resp, err := concurrentClient.Do(req)
				if err != nil {
					mu.Lock()
					bad = append(bad, err.Error())
					mu.Unlock()
					return
				}
				defer resp.Body.Close()
				body := make([]byte, 256)
				k, _ := resp.Body.Read(body)
				statuses[i] = resp.StatusCode
				if resp.StatusCode == http.StatusTooManyRequests {
					if got := string(body[:k]); got != `{"message":"Too Many Requests"}` || resp.Header.Get("x-amzn-ErrorType") != "TooManyRequestsException" {
						mu.Lock()
						bad = append(bad, fmt.Sprintf("429 with body %q and x-amzn-ErrorType %q", got, resp.Header.Get("x-amzn-ErrorType")))
						mu.Unlock()
					}
				}
			})
		}
		close(ready)
		wg.Wait()
		elapsed := time.Since(start)
		counts := map[int]int{}
		for _, s := range statuses {
			counts[s]++
		}
		t.Logf("%d GETs of /v1/hello at once: %v in %v", n, counts, elapsed.Round(time.Millisecond))
		for _, b := range bad {
			t.Errorf("answer: %s", b)
		}
		// The bucket holds the burst and refills at the rate while the
		// requests arrive; more than that served means no bucket.
		mostServed := dev.BurstLimit + int(dev.RateLimit*elapsed.Seconds()) + 1
		if counts[http.StatusOK] > mostServed {
			t.Errorf("%d served in %v, more than the bucket allows (%d)", counts[http.StatusOK], elapsed, mostServed)
		}
		if n > mostServed && counts[http.StatusTooManyRequests] == 0 {
			t.Errorf("no 429 for %d requests at once against a burst of %d", n, dev.BurstLimit)
		}
		if counts[http.StatusOK]+counts[http.StatusTooManyRequests] != n {
			t.Errorf("answers %v, want only 200 and 429", counts)
		}
		// Health is another method, with a bucket of its own.
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, homeURL()+"/v1/health", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := concurrentClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /v1/health right after /v1/hello's bucket ran dry: %d, want 200 (buckets are per method)", resp.StatusCode)
		}
	})

	t.Run("the race tests' load passes with retries", func(t *testing.T) {
		alice, _ := users(t)
		retriesBefore := throttled.retries.Load()
		tid := tournament("throttle-dev")
		t.Cleanup(func() { deleteTournament(t, tid, alice) })
		u := homeURL() + "/v1/tournament/match"

		// 50 concurrent POSTs of one match, as TestRaceCreateOneMatch.
		const same = 50
		out := make([]outcome, same)
		ready := make(chan struct{})
		var wg sync.WaitGroup
		for i := range same {
			wg.Go(func() {
				<-ready
				out[i] = callOnce(t.Context(), http.MethodPost, u, alice.IDToken, matchBody(tid, "same", "ann-"+runID, "bea-"+runID, "5,4,9"))
			})
		}
		close(ready)
		wg.Wait()
		if counts := statusCounts(out); counts[http.StatusOK] != 1 || counts[http.StatusConflict] != same-1 {
			t.Errorf("%d concurrent POSTs of one match under dev's limits: %v, want 1 x 200 and %d x 409", same, counts, same-1)
		}

		// Then more distinct writes than the bucket holds, from 32 workers.
		n := 3 * dev.BurstLimit
		writes := make([]outcome, n)
		start := time.Now()
		parallel(n, 32, func(i int) {
			writes[i] = callOnce(t.Context(), http.MethodPost, u, alice.IDToken,
				matchBody(tid, fmt.Sprintf("m%03d", i), "ann-"+runID, "bea-"+runID, "5,4,9"))
		})
		counts := statusCounts(writes)
		if counts[http.StatusOK] != n {
			t.Errorf("%d distinct POSTs under dev's limits: %v, want all 200", n, counts)
		}
		t.Logf("%d + %d POSTs under dev's limits in %v needed %d retries after 429",
			same, n, time.Since(start).Round(time.Millisecond), throttled.retries.Load()-retriesBefore)
	})
}
