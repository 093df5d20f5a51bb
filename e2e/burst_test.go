package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hush-scores/hush/localcloud"
)

// burstAnswer is the one answer a burst request got: no retry, since the
// point is what the API answers under contention.
type burstAnswer struct {
	status     int
	body       []byte
	retryAfter string
	errorType  string
	err        error
}

// TestBurstOneTournament sends 40 writes at once, each of a different
// match of one tournament, through one region. Every write updates its
// players' standing items, and the 40 share four players, so most
// transactions collide, and DynamoDB cancels the colliders
// (TransactionConflict; locally package txconflict does the same). With the
// cloud's bounds the store retries within the write's deadline and then
// answers 429 with Retry-After, so: no 5xx; every answer 200 or 429; every
// 200 is readable; and the standings add up to exactly the matches that
// got 200.
func TestBurstOneTournament(t *testing.T) {
	alice, _ := users(t)
	if localStack != nil {
		t.Logf("write bound: %v, the local stack's default and the Lambda functions' (api.DefaultWriteTimeout)", localcloud.DefaultWriteTimeout)
	} else {
		t.Logf("write bound: the deployed stack's own (%s)", tgt.Source)
	}
	// Through the write region, whose replica the reads below see at once.
	var health struct {
		WriteRegion string `json:"write_region"`
	}
	r := do(t, "GET", homeURL()+"/v1/health", "", nil)
	wantStatus(t, "GET /v1/health", r, 200)
	decode(t, "health", r, &health)
	base, ok := tgt.URLs[health.WriteRegion]
	if !ok {
		t.Fatalf("the write region %q has no URL among %v", health.WriteRegion, tgt.regions())
	}

	const n = 40
	tid := tournament("burst-" + randomID())
	// A few writes one after another first: the write function's first
	// transactions after a start are slow (a cold DynamoDB Local here, a
	// new connection in the cloud), and the burst is about contention.
	var lone []time.Duration
	for i := range 3 {
		body := matchBody(tid+"-warm", fmt.Sprintf("w%d", i), "Warm One", "Warm Two", "5,4,9")
		sent := time.Now()
		r := do(t, "POST", base+"/v1/tournament/match", alice.IDToken, body)
		lone = append(lone, time.Since(sent).Round(time.Millisecond))
		wantStatus(t, "a lone write before the burst", r, 200)
		rememberMatch(matchURL(base, tid+"-warm", body["match_id"].(string)), alice.IDToken)
	}
	t.Logf("lone writes before the burst took %v", lone)
	players := []string{"Ann Burst", "Bo Burst", "Cy Burst", "Di Burst"}
	bodies := make([]map[string]any, n)
	for i := range n {
		score := "5,4,9" // player1 wins 3-0
		if i%2 == 1 {
			score = "-5,-4,-9"
		}
		bodies[i] = matchBody(tid, fmt.Sprintf("m%02d", i), players[i%4], players[(i+1)%4], score)
	}
	answers := make([]burstAnswer, n)
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			payload, _ := json.Marshal(bodies[i])
			<-ready
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/v1/tournament/match", bytes.NewReader(payload))
			if err != nil {
				answers[i].err = err
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", alice.IDToken)
			resp, err := concurrentClient.Do(req)
			if err != nil {
				answers[i].err = err
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			answers[i] = burstAnswer{status: resp.StatusCode, body: body, err: err,
				retryAfter: resp.Header.Get("Retry-After"), errorType: resp.Header.Get("x-amzn-ErrorType")}
		})
	}
	start := time.Now()
	close(ready)
	wg.Wait()
	elapsed := time.Since(start)

	counts := map[string]int{}
	var won []map[string]any
	for i, a := range answers {
		id := bodies[i]["match_id"]
		switch {
		case a.err != nil:
			counts["transport error"]++
			t.Errorf("POST %s: %v", id, a.err)
		case a.status == http.StatusOK:
			counts["200"]++
			won = append(won, bodies[i])
			rememberMatch(matchURL(base, tid, id.(string)), alice.IDToken)
		case a.status == http.StatusTooManyRequests && a.errorType == "TooManyRequestsException":
			// API Gateway's throttling, before any function ran.
			counts["429 throttled by the gateway"]++
		case a.status == http.StatusTooManyRequests:
			counts["429 contention"]++
			if a.retryAfter == "" || !hasErrorBody(a.body) || !strings.Contains(string(a.body), "try again") {
				t.Errorf("POST %s: 429 with Retry-After %q and body %s, want Retry-After and a JSON error saying to try again", id, a.retryAfter, a.body)
			}
		default:
			counts[fmt.Sprint(a.status)]++
			t.Errorf("POST %s: %d %s, want 200 or 429 (never a 5xx)", id, a.status, a.body)
		}
	}
	t.Logf("%d concurrent POSTs to %d matches of one tournament through %s in %v: %v", n, n, health.WriteRegion, elapsed.Round(time.Millisecond), counts)
	if len(won) == 0 {
		t.Fatalf("no write of the burst succeeded: %v", counts)
	}

	// Every 200 is readable, and the standings are the sum of exactly
	// those matches: the 429s wrote nothing.
	type line struct{ played, won, lost int }
	want := map[string]*line{}
	for _, b := range won {
		r := do(t, "GET", matchURL(base, tid, b["match_id"].(string)), "", nil)
		wantStatus(t, "GET "+b["match_id"].(string), r, 200)
		p1, p2 := b["player1"].(string), b["player2"].(string)
		for _, p := range []string{p1, p2} {
			if want[p] == nil {
				want[p] = &line{}
			}
			want[p].played++
		}
		winner, loser := p1, p2
		if strings.HasPrefix(b["score"].(string), "-") {
			winner, loser = p2, p1
		}
		want[winner].won++
		want[loser].lost++
	}
	r = do(t, "GET", base+"/v1/tournament/"+tid+"/standings", "", nil)
	wantStatus(t, "standings", r, 200)
	var standings struct {
		Standings []struct {
			Player string `json:"player"`
			Played int    `json:"played"`
			Won    int    `json:"won"`
			Lost   int    `json:"lost"`
		} `json:"standings"`
	}
	decode(t, "standings", r, &standings)
	if len(standings.Standings) != len(want) {
		t.Errorf("standings of %d players, want %d: %s", len(standings.Standings), len(want), r.Body)
	}
	for _, s := range standings.Standings {
		w := want[s.Player]
		if w == nil || s.Played != w.played || s.Won != w.won || s.Lost != w.lost {
			t.Errorf("standing of %s: played %d won %d lost %d, want %+v from the %d matches that got 200", s.Player, s.Played, s.Won, s.Lost, w, len(won))
		}
	}
}
