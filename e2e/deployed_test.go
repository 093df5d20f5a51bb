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

	"github.com/hush-scores/hush/stackconfig"
)

// requireDeployed skips a test against the local stack the suite started:
// the test checks an AWS behaviour that the local stack only models from
// its own assumptions (IAM's evaluation of the grants, API Gateway's
// Cognito authorizer, its throttling), so only AWS can say whether the
// assumption holds. TestMain lists such skips with the local-only ones.
func requireDeployed(t *testing.T, what string) {
	t.Helper()
	if localStack != nil {
		localOnlySkips.add(t.Name())
		t.Skipf("%s: the local stack only assumes what AWS does here; run the suite against a deployed stack (HUSH_STACK_OUTPUTS or HUSH_APIGW_URL) to check it", what)
	}
}

// TestDeployedGrants takes every route through every region of a deployed
// stack: each function runs under its own IAM role there, so a grant the
// code needs and the role lacks answers 500 (AccessDeniedException, see
// dynamo/errors.go), in the region whose role lacks it. Locally the same
// policies are enforced by package iamguard, which this test cannot see.
func TestDeployedGrants(t *testing.T) {
	requireDeployed(t, "IAM's evaluation of the functions' roles")
	alice, _ := users(t)
	for _, region := range tgt.regions() {
		t.Run(region, func(t *testing.T) {
			base := tgt.URLs[region]
			tid := tournament("grants-" + region)
			body := matchBody(tid, "m1", "Ann Grant", "Bo Grant", "5,4,9")
			noServerError := func(what string, r response) {
				t.Helper()
				if r.Status >= 500 {
					t.Errorf("%s in %s: %s; a 500 here is a missing grant: look for AccessDeniedException in the function's log", what, region, r)
				}
			}
			r := do(t, "GET", base+"/v1/health", "", nil)
			noServerError("GET /v1/health", r)
			var health struct {
				Status    string `json:"status"`
				WritePath string `json:"write_path"`
			}
			decode(t, "health", r, &health)
			if health.Status != "ok" || health.WritePath != "ok" {
				t.Errorf("health in %s = %s, want status and write_path ok (the read role's GetItem on both replicas)", region, r.Body)
			}
			r = do(t, "POST", base+"/v1/tournament/match", alice.IDToken, body)
			noServerError("POST a match", r)
			wantStatus(t, "POST a match", r, 200)
			rememberMatch(matchURL(base, tid, "m1"), alice.IDToken)
			// The region's own replica gets the match by replication.
			deadline := time.Now().Add(30 * time.Second)
			for {
				r = do(t, "GET", matchURL(base, tid, "m1"), "", nil)
				noServerError("GET the match", r)
				if r.Status == 200 || time.Now().After(deadline) {
					break
				}
				time.Sleep(time.Second)
			}
			wantStatus(t, "GET the match", r, 200)
			for _, path := range []string{"/v1/tournament/" + tid + "/results", "/v1/tournament/" + tid + "/standings", "/v1/player/Ann%20Grant/matches"} {
				r = do(t, "GET", base+path, "", nil)
				noServerError("GET "+path, r)
				wantStatus(t, "GET "+path, r, 200)
			}
			body["score"] = "-5,-4,-9"
			r = do(t, "PUT", base+"/v1/tournament/match", alice.IDToken, body)
			noServerError("PUT the match", r)
			wantStatus(t, "PUT the match", r, 200)
			r = do(t, "DELETE", matchURL(base, tid, "m1"), alice.IDToken, nil)
			noServerError("DELETE the match", r)
			wantStatus(t, "DELETE the match", r, 204)
		})
	}
}

// TestDeployedAuthorizer checks what the local gateway assumes of API
// Gateway's Cognito authorizer: it answers 401 {"message":"Unauthorized"}
// itself, before any function runs, for a missing token, a token whose
// signature does not verify and an access token (a user pool authorizer
// without scopes takes ID tokens only), and lets a valid ID token through.
func TestDeployedAuthorizer(t *testing.T) {
	requireDeployed(t, "API Gateway's Cognito authorizer")
	alice, _ := users(t)
	u := homeURL() + "/v1/helloauthenticated"
	tampered := alice.IDToken
	if i := strings.LastIndexByte(tampered, '.'); i > 0 && i+2 < len(tampered) {
		c := byte('A')
		if tampered[i+1] == 'A' {
			c = 'B'
		}
		tampered = tampered[:i+1] + string(c) + tampered[i+2:]
	}
	for _, tt := range []struct {
		name, token string
		want        int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"a signature that does not verify", tampered, http.StatusUnauthorized},
		{"an access token", alice.AccessToken, http.StatusUnauthorized},
		{"a valid ID token", alice.IDToken, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, "GET", u, tt.token, nil)
			wantStatus(t, tt.name, r, tt.want)
			if tt.want == http.StatusUnauthorized && strings.TrimSpace(string(r.Body)) != unauthorizedBody {
				t.Errorf("%s: body %s, want API Gateway's %s", tt.name, r.Body, unauthorizedBody)
			}
		})
	}
}

// TestDeployedThrottle checks what the local gateway assumes of API
// Gateway's method throttling: a burst well beyond a method's bucket meets
// 429 {"message":"Too Many Requests"} from the gateway, and nothing else
// fails. AWS calls these limits best-effort targets, and an account's
// regional bucket is shared by every API in it, so the test asks only for
// some 429s, not for the local token bucket's exact count. HUSH_STACK names
// the stack whose Pulumi.<stack>.yaml holds the limits.
func TestDeployedThrottle(t *testing.T) {
	requireDeployed(t, "API Gateway's throttling")
	stack := os.Getenv("HUSH_STACK")
	if stack == "" {
		t.Fatal("set HUSH_STACK to the deployed stack's name (dev, stage or prod): its Pulumi.<stack>.yaml holds the throttle limits")
	}
	cfg, err := stackconfig.LoadFile(stackconfig.File("..", stack))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Throttle.BurstLimit <= 0 {
		t.Fatalf("stack %s has no hush:throttle burst limit to test", stack)
	}
	n := 4 * cfg.Throttle.BurstLimit
	u := homeURL() + "/v1/hello"
	statuses := make([]int, n)
	bodies := make([]string, n)
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-ready
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
			if err != nil {
				return
			}
			resp, err := concurrentClient.Do(req) // one attempt each
			if err != nil {
				bodies[i] = err.Error()
				return
			}
			defer resp.Body.Close()
			var b json.RawMessage
			_ = json.NewDecoder(resp.Body).Decode(&b)
			statuses[i], bodies[i] = resp.StatusCode, string(b)
		})
	}
	close(ready)
	wg.Wait()
	counts := map[int]int{}
	for i, s := range statuses {
		counts[s]++
		switch s {
		case http.StatusOK:
		case http.StatusTooManyRequests:
			if bodies[i] != `{"message":"Too Many Requests"}` {
				t.Errorf("429 with body %s, want API Gateway's", bodies[i])
			}
		default:
			t.Errorf("answer %d %s, want 200 or 429", s, bodies[i])
		}
	}
	t.Logf("%d requests at once against %s's burst of %d, rate %g/s: %v", n, stack, cfg.Throttle.BurstLimit, cfg.Throttle.RateLimit, counts)
	if counts[http.StatusTooManyRequests] == 0 {
		t.Errorf("no 429 for %d requests at once: %s", n, fmt.Sprint(counts))
	}
}
