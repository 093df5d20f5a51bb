package e2e

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// The exact bodies API Gateway answers for an unknown route and a refused token.
const (
	missingTokenBody = `{"message":"Missing Authentication Token"}`
	unauthorizedBody = `{"message":"Unauthorized"}`
)

// match is a match as the API returns it; only what the suite checks.
type match struct {
	TournamentID string `json:"tournament_id"`
	MatchID      string `json:"match_id"`
	Player1      string `json:"player1"`
	Player2      string `json:"player2"`
	Score        string `json:"score"`
	Winner       string `json:"winner"`
	RecordedBy   string `json:"recorded_by"`
}

func homeURL() string { return tgt.URLs[tgt.Home] }

// tournament returns a tournament ID unique to this run.
func tournament(name string) string { return "e2e-" + runID + "-" + name }

func matchURL(base, tournamentID, matchID string) string {
	return base + "/v1/tournament/" + url.PathEscape(tournamentID) + "/match/" + url.PathEscape(matchID)
}

func matchBody(tournamentID, matchID, p1, p2, score string) map[string]any {
	return map[string]any{"tournament_id": tournamentID, "match_id": matchID, "player1": p1, "player2": p2, "score": score}
}

// post records a match with POST and remembers it for cleanup.
func post(t *testing.T, u user, body map[string]any) response {
	t.Helper()
	r := do(t, "POST", homeURL()+"/v1/tournament/match", u.IDToken, body)
	if r.Status == 200 {
		rememberMatch(matchURL(homeURL(), body["tournament_id"].(string), body["match_id"].(string)), u.IDToken)
	}
	return r
}

func TestHello(t *testing.T) {
	for _, region := range tgt.regions() {
		t.Run(region, func(t *testing.T) {
			r := do(t, "GET", tgt.URLs[region]+"/v1/hello", "", nil)
			wantStatus(t, "GET /v1/hello", r, 200)
			if body := string(r.Body); !strings.Contains(body, "Hush") || !strings.Contains(body, region) {
				t.Errorf("GET /v1/hello = %q, want it to contain %q and %q", body, "Hush", region)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	for _, region := range tgt.regions() {
		t.Run(region, func(t *testing.T) {
			r := do(t, "GET", tgt.URLs[region]+"/v1/health", "", nil)
			wantStatus(t, "GET /v1/health", r, 200)
			var got struct{ Status, Region string }
			decode(t, "GET /v1/health", r, &got)
			if got.Status != "ok" || got.Region != region {
				t.Errorf("GET /v1/health = %+v, want status ok and region %s", got, region)
			}
		})
	}
}

func TestHelloAuthenticated(t *testing.T) {
	alice, _ := users(t)
	tests := []struct {
		name       string
		token      string
		wantStatus int
		wantBody   string // exact when set
	}{
		{name: "no token", wantStatus: 401, wantBody: unauthorizedBody},
		{name: "ID token", token: alice.IDToken, wantStatus: 200},
		{name: "access token", token: alice.AccessToken, wantStatus: 401, wantBody: unauthorizedBody},
		{name: "garbage", token: "not-a-jwt", wantStatus: 401, wantBody: unauthorizedBody},
		{name: "forged signature", token: forge(alice.IDToken), wantStatus: 401, wantBody: unauthorizedBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, "GET", homeURL()+"/v1/helloauthenticated", tt.token, nil)
			wantStatus(t, "GET /v1/helloauthenticated", r, tt.wantStatus)
			if tt.wantBody != "" && string(r.Body) != tt.wantBody {
				t.Errorf("body = %q, want %q", r.Body, tt.wantBody)
			}
			if tt.wantStatus == 200 && !strings.Contains(string(r.Body), alice.Name) {
				t.Errorf("body = %q, want it to greet %s", r.Body, alice.Name)
			}
		})
	}
}

// forge returns token with its signature replaced by another's bytes.
func forge(token string) string {
	i := strings.LastIndex(token, ".")
	sig := []byte(token[i+1:])
	slices.Reverse(sig)
	return token[:i+1] + string(sig)
}

func TestUnknownRoutes(t *testing.T) {
	alice, _ := users(t)
	tests := []struct {
		name, method, path, token string
	}{
		{name: "unknown path", method: "GET", path: "/v1/nothing-here"},
		{name: "unknown path with a token", method: "GET", path: "/v1/nothing-here", token: alice.IDToken},
		{name: "path outside v1", method: "GET", path: "/hello"},
		{name: "unknown method", method: "PATCH", path: "/v1/tournament/match", token: alice.IDToken},
		{name: "DELETE on hello", method: "DELETE", path: "/v1/hello"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, tt.method, homeURL()+tt.path, tt.token, nil)
			wantStatus(t, tt.method+" "+tt.path, r, 403)
			if string(r.Body) != missingTokenBody {
				t.Errorf("body = %q, want %q", r.Body, missingTokenBody)
			}
			if got := r.Header.Get("x-amzn-ErrorType"); got != "MissingAuthenticationTokenException" {
				t.Errorf("x-amzn-ErrorType = %q, want MissingAuthenticationTokenException", got)
			}
		})
	}
}

// TestRouteAuth calls every route of API v1 without a token and with an ID
// token: protected routes answer 401 without one before any handler runs;
// public routes ignore the header, answering the same either way.
func TestRouteAuth(t *testing.T) {
	alice, _ := users(t)
	tid := tournament("no-token")
	tests := []struct {
		method, path string
		protected    bool
		body         any
		wantStatus   int // for public routes
	}{
		{method: "GET", path: "/v1/hello", wantStatus: 200},
		{method: "GET", path: "/v1/health", wantStatus: 200},
		{method: "GET", path: "/v1/helloauthenticated", protected: true},
		{method: "POST", path: "/v1/tournament/match", protected: true, body: matchBody(tid, "m1", "ann", "bea", "5,4,9")},
		{method: "PUT", path: "/v1/tournament/match", protected: true, body: matchBody(tid, "m1", "ann", "bea", "5,4,9")},
		{method: "DELETE", path: "/v1/tournament/" + tid + "/match/m1", protected: true},
		{method: "GET", path: "/v1/tournament/" + tid + "/results", wantStatus: 404},
		{method: "GET", path: "/v1/tournament/" + tid + "/standings", wantStatus: 404},
		{method: "GET", path: "/v1/tournament/" + tid + "/match/m1", wantStatus: 404},
		{method: "GET", path: "/v1/player/e2e-" + runID + "-nobody/matches", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := do(t, tt.method, homeURL()+tt.path, "", tt.body)
			if tt.protected {
				wantStatus(t, "without a token", r, 401)
				if string(r.Body) != unauthorizedBody {
					t.Errorf("body = %q, want %q", r.Body, unauthorizedBody)
				}
				if got := r.Header.Get("x-amzn-ErrorType"); got != "UnauthorizedException" {
					t.Errorf("x-amzn-ErrorType = %q, want UnauthorizedException", got)
				}
				return
			}
			wantStatus(t, "without a token", r, tt.wantStatus)
			r = do(t, tt.method, homeURL()+tt.path, alice.IDToken, tt.body)
			wantStatus(t, "with an ID token", r, tt.wantStatus)
		})
	}
	// The protected routes with a token are exercised by TestMatchLifecycle
	// and TestHelloAuthenticated.
}

func TestValidation(t *testing.T) {
	alice, _ := users(t)
	tid := tournament("validation")
	full := matchBody(tid, "m1", "ann", "bea", "5,4,9")
	tests := []struct {
		name string
		body any
	}{
		{name: "missing score", body: without(full, "score")},
		{name: "missing player2", body: without(full, "player2")},
		{name: "missing tournament_id", body: without(full, "tournament_id")},
		{name: "score with no winner", body: with(full, "score", "5,-4")},
		{name: "game after the winning one", body: with(with(full, "score", "5,4,9,3"), "best_of", 5)},
		{name: "best_of 4", body: with(full, "best_of", 4)},
		{name: "ID with a slash", body: with(full, "match_id", "a/b")},
		{name: "not JSON", body: "{"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, method := range []string{"POST", "PUT"} {
				r := do(t, method, homeURL()+"/v1/tournament/match", alice.IDToken, tt.body)
				if r.Status == 200 {
					rememberMatch(matchURL(homeURL(), tid, "m1"), alice.IDToken)
				}
				wantStatus(t, method, r, 400)
				var got struct {
					Error string `json:"error"`
				}
				if json.Unmarshal(r.Body, &got) != nil || got.Error == "" {
					t.Errorf("%s: body = %q, want a JSON error", method, r.Body)
				}
			}
		})
	}
	// Nothing was stored by the refused requests.
	r := do(t, "GET", homeURL()+"/v1/tournament/"+tid+"/results", "", nil)
	wantStatus(t, "results after refused writes", r, 404)
}

func without(m map[string]any, key string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

func with(m map[string]any, key string, value any) map[string]any {
	out := without(m, key)
	out[key] = value
	return out
}

// TestMatchLifecycle follows the seed's reference behaviours and the new
// routes on one tournament: create, conflict, replace, list, standings,
// player history, ownership and deletion.
func TestMatchLifecycle(t *testing.T) {
	alice, bob := users(t)
	tid := tournament("lifecycle")
	ann, bea := "ann-"+runID, "bea-"+runID
	first := matchBody(tid, "m1", ann, bea, "6,-4,7,10")
	second := matchBody(tid, "m2", bea, ann, "5,4,9")

	r := do(t, "GET", homeURL()+"/v1/tournament/"+tid+"/results", "", nil)
	wantStatus(t, "results of an unknown tournament", r, 404)

	r = post(t, alice, first)
	wantStatus(t, "POST a new match", r, 200)
	var stored match
	decode(t, "POST a new match", r, &stored)
	if stored.MatchID != "m1" || stored.Winner != ann || stored.RecordedBy != alice.Name {
		t.Errorf("POST a new match = %+v, want match m1 won by %s recorded by %s", stored, ann, alice.Name)
	}

	r = post(t, alice, first)
	wantStatus(t, "POST the same match again", r, 409)

	for i := range 2 {
		r = do(t, "PUT", homeURL()+"/v1/tournament/match", alice.IDToken, second)
		wantStatus(t, "PUT the same match, time "+string(rune('1'+i)), r, 200)
	}
	rememberMatch(matchURL(homeURL(), tid, "m2"), alice.IDToken)

	r = do(t, "GET", homeURL()+"/v1/tournament/"+tid+"/results", "", nil)
	wantStatus(t, "results", r, 200)
	var results struct {
		Results []map[string]any `json:"results"`
	}
	decode(t, "results", r, &results)
	var ids []string
	for _, m := range results.Results {
		for _, key := range []string{"tournament_id", "match_id", "player1", "player2", "score"} {
			if _, ok := m[key]; !ok {
				t.Errorf("results item %v lacks %s", m, key)
			}
		}
		ids = append(ids, m["match_id"].(string))
	}
	if want := []string{"m1", "m2"}; !slices.Equal(ids, want) {
		t.Errorf("results match IDs = %v, want %v", ids, want)
	}

	r = do(t, "GET", matchURL(homeURL(), tid, "m1"), "", nil)
	wantStatus(t, "GET the match", r, 200)

	r = do(t, "GET", homeURL()+"/v1/tournament/"+tid+"/standings", "", nil)
	wantStatus(t, "standings", r, 200)
	var standings struct {
		Standings []struct {
			Player   string `json:"player"`
			Played   int    `json:"played"`
			Won      int    `json:"won"`
			GamesWon int    `json:"games_won"`
		} `json:"standings"`
	}
	decode(t, "standings", r, &standings)
	if len(standings.Standings) != 2 {
		t.Fatalf("standings = %s, want two players", r.Body)
	}
	// Each won one match; ann won 3-1 and lost 0-3 (games 3-4), bea won 3-0
	// and lost 1-3 (games 4-3), so bea leads on game difference.
	if got := standings.Standings[0]; got.Player != bea || got.Played != 2 || got.Won != 1 || got.GamesWon != 4 {
		t.Errorf("standings leader = %+v, want %s with 2 played, 1 won, 4 games won", got, bea)
	}

	r = do(t, "GET", homeURL()+"/v1/player/"+url.PathEscape(ann)+"/matches", "", nil)
	wantStatus(t, "player matches", r, 200)
	var history struct {
		Matches []match `json:"matches"`
	}
	decode(t, "player matches", r, &history)
	if len(history.Matches) != 2 {
		t.Errorf("player matches of %s = %s, want two matches", ann, r.Body)
	}

	r = do(t, "PUT", homeURL()+"/v1/tournament/match", bob.IDToken, with(first, "score", "1,2,3"))
	wantStatus(t, "PUT of another user's match", r, 403)
	r = do(t, "DELETE", matchURL(homeURL(), tid, "m1"), bob.IDToken, nil)
	wantStatus(t, "DELETE of another user's match", r, 403)
	r = do(t, "POST", homeURL()+"/v1/tournament/match", alice.AccessToken, matchBody(tid, "m3", ann, bea, "1,1,1"))
	wantStatus(t, "POST with an access token", r, 401)

	r = do(t, "GET", matchURL(homeURL(), tid, "m1"), "", nil)
	decode(t, "GET the match after refused changes", r, &stored)
	if stored.Score != "6,-4,7,10" {
		t.Errorf("score after bob's refused PUT = %q, want it unchanged", stored.Score)
	}

	r = do(t, "DELETE", matchURL(homeURL(), tid, "m1"), alice.IDToken, nil)
	wantStatus(t, "DELETE own match", r, 204)
	if len(bytes.TrimSpace(r.Body)) != 0 {
		t.Errorf("DELETE body = %q, want none", r.Body)
	}
	r = do(t, "GET", matchURL(homeURL(), tid, "m1"), "", nil)
	wantStatus(t, "GET a deleted match", r, 404)
	r = do(t, "DELETE", matchURL(homeURL(), tid, "m1"), alice.IDToken, nil)
	wantStatus(t, "DELETE a deleted match", r, 404)
}

// TestReplication writes a match in the home region and reads it back from
// every region. Local regions share one table; deployed ones replicate
// within seconds, so the wait is bounded.
func TestReplication(t *testing.T) {
	alice, _ := users(t)
	tid := tournament("replication")
	r := post(t, alice, matchBody(tid, "m1", "ann-"+runID, "bea-"+runID, "5,4,9"))
	wantStatus(t, "POST in the home region", r, 200)
	for _, region := range tgt.regions() {
		t.Run(region, func(t *testing.T) {
			t.Parallel()
			deadline := time.Now().Add(60 * time.Second)
			for {
				r := do(t, "GET", matchURL(tgt.URLs[region], tid, "m1"), "", nil)
				if r.Status == 200 {
					var got match
					decode(t, "GET the replicated match", r, &got)
					if got.Score != "5,4,9" {
						t.Errorf("replicated match score = %q, want %q", got.Score, "5,4,9")
					}
					return
				}
				if r.Status != 404 || time.Now().After(deadline) {
					t.Fatalf("GET the match in %s: %s, want 200 within 60s", region, r)
				}
				time.Sleep(500 * time.Millisecond)
			}
		})
	}
}
