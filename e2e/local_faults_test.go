package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// Bounds of the outage test. failFast is what a request may take while the
// table is down: the store's client gives up on a refused connection in
// well under a second (dynamo.ConfigureClient), so this only catches a
// hang or unbounded retries. hangGuard bounds every other request: the
// first ones after the restart meet a cold JVM, and the store's worst case
// (three attempts of 2 s) is about 6.5 s.
const (
	failFast       = 5 * time.Second
	hangGuard      = 10 * time.Second
	outageDuration = 2 * time.Second
	recoveryBound  = 15 * time.Second
)

// outageLog collects the requests of the outage test from its workers.
type outageLog struct {
	mu     sync.Mutex
	writes []outcome
	reads  []outcome
}

func (l *outageLog) add(write bool, o outcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if write {
		l.writes = append(l.writes, o)
	} else {
		l.reads = append(l.reads, o)
	}
}

// TestFaultDynamoDBOutage stops DynamoDB Local while writers and readers
// keep calling every region. During the outage every request answers 503
// with a JSON error body, fast; health answers 503 in every region. Once
// DynamoDB Local is back, requests succeed again within a bounded wait, and
// every write that was acknowledged with 200, before, during or after the
// outage, is readable in every region.
func TestFaultDynamoDBOutage(t *testing.T) {
	stack := requireLocal(t, "it stops and restarts DynamoDB Local")
	alice, _ := users(t)
	tid := tournament("faults")
	regions := tgt.regions()
	// Whatever happens, the table comes back for the tests that follow, and
	// everything written here (acknowledged or not) is deleted.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := stack.StartDynamoDB(ctx); err != nil {
			t.Errorf("restart DynamoDB Local after the test: %v", err)
		}
		deleteTournament(t, tid, alice)
	})

	seed := matchBody(tid, "seed", "ann-"+runID, "bea-"+runID, "5,4,9")
	r := do(t, "PUT", homeURL()+"/v1/tournament/match", alice.IDToken, seed)
	wantStatus(t, "PUT the seed match", r, 200)
	if r.Status != http.StatusOK {
		return
	}
	// The seed was written in the write region; the readers below expect it
	// (or a 503) in every region, so it must have replicated first.
	converge(t, "/v1/tournament/"+tid+"/match/seed", func(r response) bool { return r.Status == http.StatusOK })

	const writers, readers = 6, 4
	var rec outageLog
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				region := regions[(w+i)%len(regions)]
				body := matchBody(tid, fmt.Sprintf("w%d-%04d", w, i), fmt.Sprintf("p%d-%s", w, runID), "bea-"+runID, "6,-4,7,10")
				rec.add(true, callOnce(context.Background(), http.MethodPut, tgt.URLs[region]+"/v1/tournament/match", alice.IDToken, body))
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	for rd := range readers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				base := tgt.URLs[regions[(rd+i)%len(regions)]]
				var u string
				switch i % 3 {
				case 0:
					u = matchURL(base, tid, "seed")
				case 1:
					u = base + "/v1/tournament/" + tid + "/results?limit=5"
				default:
					u = base + "/v1/tournament/" + tid + "/standings"
				}
				rec.add(false, callOnce(context.Background(), http.MethodGet, u, "", nil))
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	time.Sleep(time.Second) // traffic before the outage
	if err := stack.StopDynamoDB(ctx); err != nil {
		t.Fatalf("StopDynamoDB: %v", err)
	}
	stopped := time.Now()
	checkHealth(t, "while DynamoDB Local is stopped", http.StatusServiceUnavailable, "unavailable")
	time.Sleep(outageDuration - time.Since(stopped))
	restarting := time.Now()
	if err := stack.StartDynamoDB(ctx); err != nil {
		t.Fatalf("StartDynamoDB: %v", err)
	}
	started := time.Now()

	// Recovery: the first success of every region's health, then of the
	// workers' writes.
	healthy := waitHealthy(t, started)
	time.Sleep(time.Second) // traffic after the outage
	close(stop)
	wg.Wait()
	checkHealth(t, "once DynamoDB Local is back", http.StatusOK, "ok")

	rec.mu.Lock()
	defer rec.mu.Unlock()
	all := slices.Concat(rec.writes, rec.reads)
	var during, late []outcome
	var maxOutage time.Duration
	firstWrite := time.Time{}
	for _, o := range all {
		if o.Err != nil {
			t.Errorf("no answer: %s", o)
			continue
		}
		if o.Status != http.StatusOK && o.Status != http.StatusServiceUnavailable {
			t.Errorf("%s, want 200 or 503", o)
		}
		if o.Status == http.StatusServiceUnavailable && !hasErrorBody(o.Body) {
			t.Errorf("503 without the JSON error body: %s", o)
		}
		if o.latency() > hangGuard {
			t.Errorf("%s: took longer than %v", o, hangGuard)
		}
		if o.Sent.After(stopped) && o.Done.Before(restarting) {
			during = append(during, o)
			maxOutage = max(maxOutage, o.latency())
			if o.Status != http.StatusServiceUnavailable {
				t.Errorf("during the outage: %s, want 503", o)
			}
			if o.latency() > failFast {
				t.Errorf("during the outage: %s, want an answer within %v", o, failFast)
			}
		}
		if o.Sent.After(started) {
			late = append(late, o)
			if o.Method == http.MethodPut && o.Status == http.StatusOK && (firstWrite.IsZero() || o.Done.Before(firstWrite)) {
				firstWrite = o.Done
			}
		}
	}
	if len(during) < writers+readers {
		t.Errorf("only %d requests fell inside the %v outage, want at least one per worker: the test proved nothing", len(during), outageDuration)
	}
	if firstWrite.IsZero() {
		t.Errorf("no write succeeded after DynamoDB Local came back (%d requests after it): %v", len(late), statusCounts(late))
	} else if d := firstWrite.Sub(started); d > recoveryBound {
		t.Errorf("the first write succeeded %v after DynamoDB Local came back, want within %v", d, recoveryBound)
	}
	t.Logf("requests: writes %v, reads %v; inside the outage %d, all 503, slowest %v",
		statusCounts(rec.writes), statusCounts(rec.reads), len(during), maxOutage.Round(time.Millisecond))
	t.Logf("StartDynamoDB took %v; every region healthy %v and a write acknowledged %v after it returned; requests sent after it returned: %v",
		started.Sub(restarting).Round(time.Millisecond), healthy.Round(time.Millisecond), firstWrite.Sub(started).Round(time.Millisecond), statusCounts(late))

	// Nothing acknowledged is lost: every write answered 200 is readable in
	// every region, as it was written, once replication has caught up.
	settle(t)
	var acked []outcome
	for _, o := range rec.writes {
		if o.Err == nil && o.Status == http.StatusOK {
			acked = append(acked, o)
		}
	}
	var mu sync.Mutex
	var lost []string
	parallel(len(acked)*len(regions), 16, func(i int) {
		var m match
		if err := json.Unmarshal(acked[i/len(regions)].Body, &m); err != nil {
			mu.Lock()
			lost = append(lost, fmt.Sprintf("acknowledged body %q: %v", acked[i/len(regions)].Body, err))
			mu.Unlock()
			return
		}
		region := regions[i%len(regions)]
		o := callOnce(context.Background(), http.MethodGet, matchURL(tgt.URLs[region], tid, m.MatchID), "", nil)
		var got match
		if o.Err != nil || o.Status != http.StatusOK || json.Unmarshal(o.Body, &got) != nil || got.Score != m.Score || got.RecordedBy != alice.Name {
			mu.Lock()
			lost = append(lost, fmt.Sprintf("%s in %s: %s", m.MatchID, region, o))
			mu.Unlock()
		}
	})
	for _, l := range lost {
		t.Errorf("acknowledged write not readable: %s", l)
	}
	t.Logf("%d acknowledged writes read back in %d regions (%d reads), %d missing", len(acked), len(regions), len(acked)*len(regions), len(lost))
}

// checkHealth wants every region's /v1/health to answer status with a JSON
// body naming state and the region.
func checkHealth(t *testing.T, when string, status int, state string) {
	t.Helper()
	for _, region := range tgt.regions() {
		o := callOnce(t.Context(), http.MethodGet, tgt.URLs[region]+"/v1/health", "", nil)
		var got struct{ Status, Region string }
		if o.Err != nil || o.Status != status || json.Unmarshal(o.Body, &got) != nil || got.Status != state || got.Region != region {
			t.Errorf("health of %s %s: %s, want %d {\"status\":%q,\"region\":%q}", region, when, o, status, state, region)
		}
		if o.latency() > hangGuard {
			t.Errorf("health of %s %s took %v, want under %v", region, when, o.latency(), hangGuard)
		}
	}
}

// waitHealthy polls every region's health until all answer 200, and
// returns how long after since that took.
func waitHealthy(t *testing.T, since time.Time) time.Duration {
	t.Helper()
	for _, region := range tgt.regions() {
		for {
			o := callOnce(t.Context(), http.MethodGet, tgt.URLs[region]+"/v1/health", "", nil)
			if o.Err == nil && o.Status == http.StatusOK {
				break
			}
			if time.Since(since) > recoveryBound {
				t.Fatalf("health of %s still %s %v after DynamoDB Local came back", region, o, recoveryBound)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return time.Since(since)
}
