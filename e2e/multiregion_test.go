package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hush-scores/hush/internal/stats"
)

// convergeBound bounds every wait for replication. On the local stack the
// replication delay is a few hundred ms; deployed global tables replicate
// within seconds.
const convergeBound = 120 * time.Second

// figure prints a measured figure where `go test` shows it without -v.
func figure(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	t.Log(msg)
	fmt.Fprintf(os.Stderr, "e2e figure: %s: %s\n", t.Name(), msg)
}

// multiRegion skips a test that needs several regions when the target has
// one, saying why.
func multiRegion(t *testing.T) []string {
	t.Helper()
	regions := tgt.regions()
	if len(regions) < 2 {
		t.Skipf("the target (%s) has one region; multi-region behaviour needs a stack with several (prod, or the local stack the suite starts)", tgt.Source)
	}
	return regions
}

// converge waits until GET url answers, in every region, what want accepts,
// and returns how long each region took.
func converge(t *testing.T, path string, want func(response) bool) map[string]time.Duration {
	t.Helper()
	start := time.Now()
	took := map[string]time.Duration{}
	for _, region := range tgt.regions() {
		for {
			r := do(t, http.MethodGet, tgt.URLs[region]+path, "", nil)
			if want(r) {
				took[region] = time.Since(start)
				break
			}
			if time.Since(start) > convergeBound {
				t.Fatalf("%s in %s: %s after %s, never what was expected", path, region, r, convergeBound)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return took
}

// isMatch accepts a 200 whose match has the given score and recorder.
func isMatch(score, recordedBy string) func(response) bool {
	return func(r response) bool {
		var m match
		return r.Status == http.StatusOK && json.Unmarshal(r.Body, &m) == nil && m.Score == score && m.RecordedBy == recordedBy
	}
}

// raceCreate sends n POSTs of one match at once, spread over every region.
func raceCreate(t *testing.T, alice user, tid string, n int) []outcome {
	t.Helper()
	regions := tgt.regions()
	body := matchBody(tid, "m1", "ann-"+runID, "bea-"+runID, "5,4,9")
	out := make([]outcome, n)
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-ready
			out[i] = callOnce(t.Context(), http.MethodPost, tgt.URLs[regions[i%len(regions)]]+"/v1/tournament/match", alice.IDToken, body)
		})
	}
	close(ready)
	wg.Wait()
	return out
}

// TestMultiRegionCreateOnce sends 50 creates of one match at once through
// every region: exactly one wins, 49 are told it exists, and every region
// ends with the winner. The control run switches write routing off (each
// region writes its own replica, as before the write region) and must see
// more than one 200, which proves the test can fail.
func TestMultiRegionCreateOnce(t *testing.T) {
	multiRegion(t)
	alice, _ := users(t)
	const n = 50
	tid := tournament("mr-create")
	out := raceCreate(t, alice, tid, n)
	counts := statusCounts(out)
	figure(t, "%d creates of one match over %d regions: %v", n, len(tgt.regions()), counts)
	var winner match
	for _, o := range out {
		switch {
		case o.Err != nil:
			t.Errorf("create: %s", o)
		case o.Status == http.StatusOK:
			_ = json.Unmarshal(o.Body, &winner)
			rememberMatch(matchURL(homeURL(), tid, "m1"), alice.IDToken)
		case o.Status == http.StatusConflict:
			if !strings.Contains(string(o.Body), "exists already") {
				t.Errorf("409 body %s, want it to say the match exists already", o.Body)
			}
		default:
			t.Errorf("create: %s, want 200 or 409", o)
		}
	}
	if counts[http.StatusOK] != 1 || counts[http.StatusConflict] != n-1 {
		t.Fatalf("statuses = %v, want exactly 1 x 200 and %d x 409", counts, n-1)
	}
	converge(t, "/v1/tournament/"+tid+"/match/m1", isMatch(winner.Score, winner.RecordedBy))

	t.Run("control without write routing", func(t *testing.T) { createWithoutWriteRouting(t, alice, n) })
}

// TestMultiRegionOwnerKeepsMatch has the owner and another user replace one
// match at the same time through different regions: the other user only
// ever gets 403, and every region ends with the owner's last version.
func TestMultiRegionOwnerKeepsMatch(t *testing.T) {
	regions := multiRegion(t)
	alice, bob := users(t)
	tid := tournament("mr-owner")
	r := post(t, alice, matchBody(tid, "m1", "ann-"+runID, "bea-"+runID, "5,4,9"))
	wantStatus(t, "POST the contested match", r, http.StatusOK)
	if r.Status != http.StatusOK {
		return
	}
	const rounds = 20
	scores := []string{"5,4,9", "6,-4,7,10", "1,2,3"}
	aliceURL := tgt.URLs[regions[1%len(regions)]] + "/v1/tournament/match"
	bobURL := tgt.URLs[regions[2%len(regions)]] + "/v1/tournament/match"
	var aliceOut, bobOut []outcome
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range rounds {
			aliceOut = append(aliceOut, callOnce(t.Context(), http.MethodPut, aliceURL, alice.IDToken, matchBody(tid, "m1", "ann-"+runID, "bea-"+runID, scores[i%len(scores)])))
		}
	})
	wg.Go(func() {
		for range rounds {
			bobOut = append(bobOut, callOnce(t.Context(), http.MethodPut, bobURL, bob.IDToken, matchBody(tid, "m1", "ann-"+runID, "bea-"+runID, "11,11,11")))
		}
	})
	wg.Wait()
	figure(t, "owner through %s: %v; other user through %s: %v", regions[1%len(regions)], statusCounts(aliceOut), regions[2%len(regions)], statusCounts(bobOut))
	for _, o := range bobOut {
		if o.Err != nil || o.Status != http.StatusForbidden {
			t.Errorf("other user's replace: %s, want 403", o)
		}
	}
	last := ""
	for i, o := range aliceOut {
		if o.Err != nil || o.Status != http.StatusOK {
			t.Errorf("owner's replace: %s, want 200", o)
			continue
		}
		last = scores[i%len(scores)]
	}
	converge(t, "/v1/tournament/"+tid+"/match/m1", isMatch(last, alice.Name))
}

// TestMultiRegionConvergence writes matches through every region and
// measures how long each takes to be readable in every region.
func TestMultiRegionConvergence(t *testing.T) {
	regions := multiRegion(t)
	alice, _ := users(t)
	tid := tournament("mr-converge")
	t.Cleanup(func() { deleteTournament(t, tid, alice) })
	const n = 30
	var mu sync.Mutex
	var visible []time.Duration
	var wg sync.WaitGroup
	for i := range n {
		id := fmt.Sprintf("m%02d", i)
		o := callOnce(t.Context(), http.MethodPost, tgt.URLs[regions[i%len(regions)]]+"/v1/tournament/match", alice.IDToken,
			matchBody(tid, id, "ann-"+runID, "bea-"+runID, "5,4,9"))
		if o.Err != nil || o.Status != http.StatusOK {
			t.Fatalf("write %s: %s", id, o)
		}
		for _, region := range regions {
			wg.Go(func() {
				u := matchURL(tgt.URLs[region], tid, id)
				for {
					r := callOnce(t.Context(), http.MethodGet, u, "", nil)
					if r.Err == nil && r.Status == http.StatusOK {
						mu.Lock()
						visible = append(visible, r.Done.Sub(o.Done))
						mu.Unlock()
						return
					}
					if time.Since(o.Done) > convergeBound {
						t.Errorf("%s never readable in %s: %s", id, region, r)
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
			})
		}
	}
	wg.Wait()
	delay := replicationDelay()
	ps := stats.Percentiles(visible, 50, 99, 100)
	figure(t, "time to visible after the 200, %d writes x %d regions (replication delay %s): p50 %s, p99 %s, max %s",
		n, len(regions), delay, ps[0].Round(time.Millisecond), ps[1].Round(time.Millisecond), ps[2].Round(time.Millisecond))
}
