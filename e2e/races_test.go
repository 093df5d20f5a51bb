package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"
)

// The race tests run against any target: they need nothing but the API.

// concurrentClient serves the many goroutines of the race and fault tests.
// Its timeout is the hang guard: a request that takes longer is reported,
// never waited for. It is above the suite's local write bound (30 s):
// DynamoDB Local makes a transaction wait for the items another holds, so
// 50 creates of one match queue for many seconds on a busy machine. It
// keeps enough idle connections for every worker.
var concurrentClient = func() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 64
	return &http.Client{Timeout: 45 * time.Second, Transport: tr}
}()

// outcome is one request made from a goroutine, where t.Fatal is not
// allowed: a transport error (such as the client's timeout) is kept in Err.
type outcome struct {
	Method, URL string
	Status      int
	Body        []byte
	Sent, Done  time.Time
	Err         error
}

func (o outcome) latency() time.Duration { return o.Done.Sub(o.Sent) }

func (o outcome) String() string {
	if o.Err != nil {
		return fmt.Sprintf("%s %s: %v after %v", o.Method, o.URL, o.Err, o.latency().Round(time.Millisecond))
	}
	return fmt.Sprintf("%s %s: %d %s after %v", o.Method, o.URL, o.Status, o.Body, o.latency().Round(time.Millisecond))
}

// callOnce sends one request with concurrentClient; body, when not nil, is
// JSON-encoded. It is safe in any goroutine.
func callOnce(ctx context.Context, method, u, token string, body any) outcome {
	o := outcome{Method: method, URL: u, Sent: time.Now()}
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			o.Err = err
			o.Done = time.Now()
			return o
		}
		payload = b
	}
	a, err := sendRetrying(ctx, concurrentClient, newRequest(method, u, token, payload, body != nil))
	o.Done = time.Now()
	if !a.Sent.IsZero() {
		o.Sent = a.Sent
	}
	o.Status, o.Body, o.Err = a.Status, a.Body, err
	return o
}

// hasErrorBody reports whether body is the handlers' JSON error,
// {"error": "..."}.
func hasErrorBody(body []byte) bool {
	var e struct {
		Error *string `json:"error"`
	}
	return json.Unmarshal(body, &e) == nil && e.Error != nil && *e.Error != ""
}

// parallel runs fn(i) for i in [0, n) on at most workers goroutines.
func parallel(n, workers int, fn func(i int)) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(n, workers) {
		wg.Go(func() {
			for i := range jobs {
				fn(i)
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

// tournamentMatches lists a tournament through its results, following the
// cursor page by page. A tournament without matches answers 404, which is
// an empty list here.
// ctx is a parameter because cleanups run after t.Context() has ended.
func tournamentMatches(ctx context.Context, t *testing.T, base, tournamentID string) []match {
	t.Helper()
	var all []match
	cursor := ""
	for page := 1; ; page++ {
		u := base + "/v1/tournament/" + url.PathEscape(tournamentID) + "/results?limit=100"
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		o := callOnce(ctx, http.MethodGet, u, "", nil)
		if o.Err == nil && o.Status == http.StatusNotFound && page == 1 {
			return nil
		}
		if o.Err != nil || o.Status != http.StatusOK {
			t.Fatalf("list tournament %s, page %d: %s, want 200", tournamentID, page, o)
		}
		var body struct {
			Results []match `json:"results"`
			Cursor  string  `json:"cursor"`
		}
		if err := json.Unmarshal(o.Body, &body); err != nil {
			t.Fatalf("list tournament %s, page %d: body %q: %v", tournamentID, page, o.Body, err)
		}
		all = append(all, body.Results...)
		if body.Cursor == "" {
			return all
		}
		if page > 1000 {
			t.Fatalf("list tournament %s: still a cursor after %d pages", tournamentID, page)
		}
		cursor = body.Cursor
	}
}

// deleteTournament deletes every match of a tournament that the listing
// shows, as owner, and checks that none is left.
func deleteTournament(t *testing.T, tournamentID string, owner user) {
	t.Helper()
	ctx := context.Background()
	ms := tournamentMatches(ctx, t, homeURL(), tournamentID)
	var mu sync.Mutex
	var failed []string
	parallel(len(ms), 16, func(i int) {
		o := callOnce(ctx, http.MethodDelete, matchURL(homeURL(), tournamentID, ms[i].MatchID), owner.IDToken, nil)
		if o.Err != nil || (o.Status != http.StatusNoContent && o.Status != http.StatusNotFound) {
			mu.Lock()
			failed = append(failed, o.String())
			mu.Unlock()
		}
	})
	for _, f := range failed {
		t.Errorf("clean up: %s, want 204", f)
	}
	if left := tournamentMatches(ctx, t, homeURL(), tournamentID); len(left) != 0 {
		t.Errorf("clean up: %d matches of %s left after deleting them", len(left), tournamentID)
	}
}

// statusCounts counts outcomes by status; transport errors count as -1.
func statusCounts(outs []outcome) map[int]int {
	c := map[int]int{}
	for _, o := range outs {
		if o.Err != nil {
			c[-1]++
			continue
		}
		c[o.Status]++
	}
	return c
}

// TestRaceCreateOneMatch sends 50 POSTs of one match at once: the create is
// conditional, so exactly one succeeds and 49 are told it exists.
func TestRaceCreateOneMatch(t *testing.T) {
	alice, _ := users(t)
	tid := tournament("race-create")
	const n = 50
	body := matchBody(tid, "m1", "ann-"+runID, "bea-"+runID, "5,4,9")
	u := homeURL() + "/v1/tournament/match"
	out := make([]outcome, n)
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-ready
			out[i] = callOnce(t.Context(), http.MethodPost, u, alice.IDToken, body)
		})
	}
	close(ready)
	wg.Wait()
	counts := statusCounts(out)
	if counts[http.StatusOK] > 0 {
		rememberMatch(matchURL(homeURL(), tid, "m1"), alice.IDToken)
	}
	t.Logf("50 concurrent POSTs of one match: %v", counts)
	if counts[http.StatusOK] != 1 || counts[http.StatusConflict] != n-1 {
		t.Errorf("statuses = %v, want exactly 1 x 200 and %d x 409", counts, n-1)
	}
	for _, o := range out {
		if o.Err == nil && o.Status == http.StatusConflict && !hasErrorBody(o.Body) {
			t.Errorf("409 body %q is not a JSON error", o.Body)
			break
		}
		if o.Err != nil || (o.Status != http.StatusOK && o.Status != http.StatusConflict) {
			t.Errorf("unexpected answer: %s", o)
		}
	}
	r := do(t, "GET", matchURL(homeURL(), tid, "m1"), "", nil)
	wantStatus(t, "GET the raced match", r, 200)
	var got match
	decode(t, "GET the raced match", r, &got)
	if got.RecordedBy != alice.Name || got.Score != "5,4,9" {
		t.Errorf("raced match recorded_by %q score %q, want %q and 5,4,9", got.RecordedBy, got.Score, alice.Name)
	}
}

// TestRaceDistinctWrites creates 500 matches of one tournament from 32
// workers spread over every region; each is then readable by GET in the
// region that wrote it, and the paginated results list all 500 exactly once.
func TestRaceDistinctWrites(t *testing.T) {
	loosenWriteBound(t, "500 writes from 32 workers are about every write being stored once, and on this machine one DynamoDB Local transaction under that load can outlast 1.8 s")
	alice, _ := users(t)
	tid := tournament("race-distinct")
	t.Cleanup(func() { deleteTournament(t, tid, alice) })
	const n, workers = 500, 32
	regions := tgt.regions()
	id := func(i int) string { return fmt.Sprintf("m%03d", i) }
	region := func(i int) string { return regions[i%len(regions)] }
	out := make([]outcome, n)
	start := time.Now()
	parallel(n, workers, func(i int) {
		out[i] = callOnce(t.Context(), http.MethodPost, tgt.URLs[region(i)]+"/v1/tournament/match", alice.IDToken,
			matchBody(tid, id(i), fmt.Sprintf("p%d-%s", i%7, runID), fmt.Sprintf("q%d-%s", i%5, runID), "5,4,9"))
	})
	elapsed := time.Since(start)
	counts := statusCounts(out)
	t.Logf("%d distinct POSTs over %d workers and %d regions: %v in %v (%.0f/s)",
		n, workers, len(regions), counts, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	for _, o := range out {
		if o.Err != nil || o.Status != http.StatusOK {
			t.Errorf("write: %s, want 200", o)
		}
	}
	if t.Failed() {
		return
	}

	// Every match by GET where it was written. A deployed region's reads
	// are eventually consistent, so a 404 is retried for a while.
	var mu sync.Mutex
	retried := 0
	parallel(n, workers, func(i int) {
		u := matchURL(tgt.URLs[region(i)], tid, id(i))
		deadline := time.Now().Add(60 * time.Second)
		for {
			o := callOnce(t.Context(), http.MethodGet, u, "", nil)
			if o.Err == nil && o.Status == http.StatusNotFound && time.Now().Before(deadline) {
				mu.Lock()
				retried++
				mu.Unlock()
				time.Sleep(500 * time.Millisecond)
				continue
			}
			var m match
			if o.Err != nil || o.Status != http.StatusOK || json.Unmarshal(o.Body, &m) != nil || m.MatchID != id(i) || m.Score != "5,4,9" {
				t.Errorf("read back %s: %s, want 200 with the match", id(i), o)
			}
			return
		}
	})
	t.Logf("read back %d matches by GET (%d reads retried after a 404)", n, retried)

	// And all of them, once each, through the paginated listing.
	deadline := time.Now().Add(60 * time.Second)
	for {
		ms := tournamentMatches(t.Context(), t, homeURL(), tid)
		ids := make([]string, 0, len(ms))
		for _, m := range ms {
			ids = append(ids, m.MatchID)
		}
		slices.Sort(ids)
		want := make([]string, n)
		for i := range n {
			want[i] = id(i)
		}
		if slices.Equal(ids, want) {
			t.Logf("the results listing holds all %d matches once, in pages of 100", n)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("results of %s list %d matches (%d distinct), want the %d written, once each",
				tid, len(ids), len(slices.Compact(ids)), n)
		}
		time.Sleep(time.Second)
	}
}

// TestRaceOwnerKeepsMatch has the owner and another user replace one match
// at the same time, many times: the other user is refused every time and
// never becomes the owner, whatever the interleaving.
func TestRaceOwnerKeepsMatch(t *testing.T) {
	alice, bob := users(t)
	tid := tournament("race-owner")
	p1, p2 := "ann-"+runID, "bea-"+runID
	r := post(t, alice, matchBody(tid, "m1", p1, p2, "5,4,9"))
	wantStatus(t, "POST the contested match", r, 200)
	if r.Status != http.StatusOK {
		return
	}
	aliceScores := []string{"5,4,9", "6,-4,7,10"}
	const workers, rounds = 10, 10
	u := homeURL() + "/v1/tournament/match"
	var mu sync.Mutex
	var aliceOut, bobOut []outcome
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			<-ready
			for i := range rounds {
				o := callOnce(t.Context(), http.MethodPut, u, alice.IDToken, matchBody(tid, "m1", p1, p2, aliceScores[(w+i)%2]))
				mu.Lock()
				aliceOut = append(aliceOut, o)
				mu.Unlock()
			}
		})
		wg.Go(func() {
			<-ready
			for range rounds {
				o := callOnce(t.Context(), http.MethodPut, u, bob.IDToken, matchBody(tid, "m1", p1, p2, "-5,-4,-9"))
				mu.Lock()
				bobOut = append(bobOut, o)
				mu.Unlock()
			}
		})
	}
	close(ready)
	wg.Wait()
	t.Logf("concurrent PUTs of one match: owner %v, other user %v", statusCounts(aliceOut), statusCounts(bobOut))
	for _, o := range bobOut {
		if o.Err != nil || o.Status != http.StatusForbidden || !hasErrorBody(o.Body) {
			t.Errorf("other user's PUT: %s, want 403 with a JSON error", o)
		}
	}
	for _, o := range aliceOut {
		// 429 is the store's documented "try again" when a transaction
		// conflict outlasts the retries the write's deadline holds.
		if o.Err != nil || (o.Status != http.StatusOK && o.Status != http.StatusTooManyRequests) {
			t.Errorf("owner's PUT: %s, want 200 (or 429 try again)", o)
		}
	}
	if c := statusCounts(aliceOut); c[http.StatusOK] == 0 {
		t.Errorf("none of the owner's %d PUTs succeeded: %v", len(aliceOut), c)
	}
	r = do(t, "GET", matchURL(homeURL(), tid, "m1"), "", nil)
	wantStatus(t, "GET the contested match", r, 200)
	var got match
	decode(t, "GET the contested match", r, &got)
	if got.RecordedBy != alice.Name || !slices.Contains(aliceScores, got.Score) {
		t.Errorf("contested match recorded_by %q score %q, want %q with one of the owner's scores %v", got.RecordedBy, got.Score, alice.Name, aliceScores)
	}
}
