package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/hush-scores/hush/scores"
)

var (
	alice = &scores.Caller{Sub: "sub-alice", Username: "alice"}
	bob   = &scores.Caller{Sub: "sub-bob", Username: "bob"}
	admin = &scores.Caller{Sub: "sub-carol", Username: "carol", Groups: []string{"players", scores.AdminGroup}}
	t0    = time.Date(2026, 3, 1, 18, 30, 0, 0, time.UTC)
)

// testEnv is one handler over an in-memory store, with its logs captured.
type testEnv struct {
	store *memStore
	h     http.Handler
	logs  *bytes.Buffer
	clock time.Time
}

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	e := &testEnv{store: newMemStore(), logs: &bytes.Buffer{}, clock: t0}
	e.h = NewHandler("", Deps{
		Store:  e.store,
		Region: "eu-central-1",
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    func() time.Time { e.clock = e.clock.Add(time.Minute); return e.clock },
	})
	return e
}

func (e *testEnv) do(t testing.TB, method, path, body string, caller *scores.Caller) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if caller != nil {
		req = req.WithContext(WithCaller(req.Context(), *caller))
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// seed records a match through the API, as caller.
func (e *testEnv) seed(t testing.TB, caller *scores.Caller, body string) scores.Match {
	t.Helper()
	rec := e.do(t, "POST", "/v1/tournament/match", body, caller)
	if rec.Code != http.StatusOK {
		t.Fatalf("seed %s: status %d, body %s", body, rec.Code, rec.Body)
	}
	var m scores.Match
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("seed: decode %s: %v", rec.Body, err)
	}
	return m
}

func matchJSON(tournament, match, p1, p2, score string) string {
	b, _ := json.Marshal(map[string]string{
		"tournament_id": tournament, "match_id": match, "player1": p1, "player2": p2, "score": score,
	})
	return string(b)
}

// errorBody checks that rec is a JSON error with the given status and
// returns its body.
func errorBody(t testing.TB, status int, code int, header http.Header, body []byte) ErrorBody {
	t.Helper()
	if code != status {
		t.Fatalf("status = %d, want %d (body %s)", code, status, body)
	}
	if mt, _, _ := mime.ParseMediaType(header.Get("Content-Type")); mt != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", header.Get("Content-Type"))
	}
	var eb ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		t.Fatalf("error body %q is not JSON: %v", body, err)
	}
	if eb.Error == "" {
		t.Errorf("error body %s has no \"error\"", body)
	}
	if strings.Contains(string(body), "secret-internal-detail") {
		t.Errorf("error body %s leaks an internal cause", body)
	}
	return eb
}

func wantError(t testing.TB, rec *httptest.ResponseRecorder, status int) ErrorBody {
	t.Helper()
	return errorBody(t, status, rec.Code, rec.Header(), rec.Body.Bytes())
}

func TestEveryRouteHasAHandler(t *testing.T) {
	handlers := (&server{}).handlers()
	seen := map[string]bool{}
	for _, rt := range Routes() {
		if _, ok := handlers[rt.OperationID]; !ok {
			t.Errorf("route %s %s: no handler for %q", rt.Method, rt.Path, rt.OperationID)
		}
		seen[rt.OperationID] = true
	}
	for id := range handlers {
		if !seen[id] {
			t.Errorf("handler %q serves no route", id)
		}
	}
}

func TestNewHandlerServesOnlyItsFunction(t *testing.T) {
	h := NewHandler(FunctionRead, Deps{Store: newMemStore(), Logger: slog.New(slog.DiscardHandler)})
	for _, rt := range Routes() {
		path := strings.NewReplacer("{tournamentId}", "ttt2024", "{matchId}", "m1", "{player}", "alice").Replace(rt.Path)
		req := httptest.NewRequest(rt.Method, path, nil)
		req = req.WithContext(WithCaller(req.Context(), *alice))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		routed := rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "no such route")
		if want := rt.Function == FunctionRead; routed != want {
			t.Errorf("%s %s: served by read function = %v, want %v (status %d %s)", rt.Method, rt.Path, routed, want, rec.Code, rec.Body)
		}
	}
}

func TestNewHandlerNeedsAStore(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewHandler(read) without a store did not panic")
		}
	}()
	NewHandler(FunctionRead, Deps{})
}

func TestHello(t *testing.T) {
	e := newTestEnv(t)
	tests := []struct {
		name   string
		path   string
		caller *scores.Caller
		want   []string
	}{
		{"public", "/v1/hello", nil, []string{"Hush", "eu-central-1"}},
		{"authenticated", "/v1/helloauthenticated", alice, []string{"alice", "Hush", "eu-central-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do(t, "GET", tt.path, "", tt.caller)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200", rec.Code)
			}
			if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "text/plain") {
				t.Errorf("Content-Type = %q, want text/plain", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(rec.Body.String(), w) {
					t.Errorf("body %q does not contain %q", rec.Body, w)
				}
			}
		})
	}
}

func TestProtectedRoutesNeedACaller(t *testing.T) {
	e := newTestEnv(t)
	for _, rt := range Routes() {
		if !rt.Auth {
			continue
		}
		t.Run(rt.OperationID, func(t *testing.T) {
			path := strings.NewReplacer("{tournamentId}", "ttt2024", "{matchId}", "m1").Replace(rt.Path)
			rec := e.do(t, rt.Method, path, matchJSON("ttt2024", "m1", "Alice", "Bob", "5,4,9"), nil)
			if got := wantError(t, rec, http.StatusUnauthorized); got.Error != "unauthorized" {
				t.Errorf("error = %q, want unauthorized", got.Error)
			}
		})
	}
	if e.store.calls != 0 {
		t.Errorf("store was called %d times without a caller", e.store.calls)
	}
}

func TestHealth(t *testing.T) {
	e := newTestEnv(t)
	rec := e.do(t, "GET", "/v1/health", "", nil)
	var got HealthBody
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != 200 {
		t.Fatalf("health: status %d body %s err %v", rec.Code, rec.Body, err)
	}
	if want := (HealthBody{Status: "ok", Region: "eu-central-1", WriteRegion: "eu-central-1", WritePath: "ok"}); got != want {
		t.Errorf("health = %+v, want %+v", got, want)
	}

	e.store.fail = &scores.Error{Code: scores.CodeUnavailable, Message: "table unavailable", Err: errTable}
	rec = e.do(t, "GET", "/v1/health", "", nil)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", rec.Code)
	}
	got = HealthBody{}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("503 body %s: %v", rec.Body, err)
	}
	if want := (HealthBody{Status: "unavailable", Region: "eu-central-1", WriteRegion: "eu-central-1", WritePath: "unavailable", Error: "table unavailable"}); got != want {
		t.Errorf("health = %+v, want %+v", got, want)
	}
	if !strings.Contains(e.logs.String(), "secret-internal-detail") {
		t.Error("the cause of the failure was not logged")
	}
}

// probe is a write-region probe that fails with err, or hangs until its
// context ends when hang is set, counting its calls.
type probe struct {
	mu    sync.Mutex
	err   error
	hang  bool
	calls int
}

func (p *probe) Ping(ctx context.Context) error {
	p.mu.Lock()
	p.calls++
	hang, err := p.hang, p.err
	p.mu.Unlock()
	if hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

func TestHealthReportsTheWritePathApart(t *testing.T) {
	tests := []struct {
		name  string
		probe *probe
		want  HealthBody
	}{
		{"write region answers", &probe{}, HealthBody{Status: "ok", Region: "eu-west-1", WriteRegion: "eu-central-1", WritePath: "ok"}},
		{"write region refuses", &probe{err: errTable}, HealthBody{Status: "ok", Region: "eu-west-1", WriteRegion: "eu-central-1", WritePath: "unavailable"}},
		// The bound: a region that reads fine answers 200 in under
		// 1 s while the write region hangs.
		{"write region hangs", &probe{hang: true}, HealthBody{Status: "ok", Region: "eu-west-1", WriteRegion: "eu-central-1", WritePath: "unavailable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := t0
			var logs bytes.Buffer
			h := NewHandler(FunctionRead, Deps{
				Store: newMemStore(), Region: "eu-west-1", WriteRegion: "eu-central-1", WriteProbes: map[string]Pinger{"eu-central-1": tt.probe},
				Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Now: func() time.Time { return clock },
			})
			get := func() (int, HealthBody, time.Duration) {
				start := time.Now()
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/health", nil))
				elapsed := time.Since(start)
				var got HealthBody
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
					t.Fatalf("body %s: %v", rec.Body, err)
				}
				return rec.Code, got, elapsed
			}
			code, got, elapsed := get()
			if code != http.StatusOK || got != tt.want {
				t.Errorf("health = %d %+v, want 200 %+v", code, got, tt.want)
			}
			if elapsed >= time.Second {
				t.Errorf("health took %s, want under 1 s", elapsed)
			}
			// A second check within the cache's life does not probe again.
			clock = clock.Add(time.Second)
			if _, got, _ := get(); got != tt.want {
				t.Errorf("cached health = %+v, want %+v", got, tt.want)
			}
			if tt.probe.calls != 1 {
				t.Errorf("probe called %d times within %s, want once", tt.probe.calls, writeProbeTTL)
			}
			clock = clock.Add(writeProbeTTL)
			get()
			if tt.probe.calls != 2 {
				t.Errorf("probe called %d times after the cache expired, want twice", tt.probe.calls)
			}
			if tt.probe.err != nil && strings.Contains(got.Error, "secret") {
				t.Errorf("health echoes the probe's error: %+v", got)
			}
		})
	}
}

// slowStore hangs every write until its context ends, as a write region
// that accepts connections but never answers does.
type slowStore struct {
	*memStore
	deadline bool
}

func (s *slowStore) CreateMatch(ctx context.Context, _ scores.Match) error {
	_, s.deadline = ctx.Deadline()
	<-ctx.Done()
	return &scores.Error{Code: scores.CodeUnavailable, Message: "table unavailable", Err: ctx.Err()}
}

func TestWritesAreBounded(t *testing.T) {
	store := &slowStore{memStore: newMemStore()}
	h := NewHandler(FunctionWrite, Deps{
		Store: store, Region: "eu-west-1", WriteRegion: "eu-central-1", WriteTimeout: 20 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler),
	})
	req := httptest.NewRequest(http.MethodPost, "/v1/tournament/match", strings.NewReader(matchJSON("ttt2024", "m1", "Alice", "Bob", "5,4,9")))
	req = req.WithContext(WithCaller(req.Context(), *alice))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if got := wantError(t, rec, http.StatusServiceUnavailable); got.Error != "table unavailable" {
		t.Errorf("error = %q, want table unavailable", got.Error)
	}
	if !store.deadline {
		t.Error("the store's context had no deadline; a hanging write region would hold the client")
	}
}

func TestCreateMatch(t *testing.T) {
	e := newTestEnv(t)
	rec := e.do(t, "POST", "/v1/tournament/match", matchJSON("ttt2024", "m1", "Alice", "Bob", "6,-4,7,10"), alice)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200 (%s)", rec.Code, rec.Body)
	}
	var got scores.Match
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	stored, _ := e.store.GetMatch(t.Context(), "ttt2024", "m1")
	if got.Winner != "Alice" || got.Games != (scores.GameCount{Player1: 3, Player2: 1}) || got.RecordedBy != "alice" {
		t.Errorf("answered %+v, want Alice winning 3-1 recorded by alice", got)
	}
	if !got.RecordedAt.Equal(stored.RecordedAt) || got.Score != stored.Score {
		t.Errorf("answered %+v, stored %+v: want the stored match", got, stored)
	}

	rec = e.do(t, "POST", "/v1/tournament/match", matchJSON("ttt2024", "m1", "Alice", "Bob", "5,4,9"), bob)
	wantError(t, rec, http.StatusConflict)
	if m, _ := e.store.GetMatch(t.Context(), "ttt2024", "m1"); m.RecordedBy != "alice" {
		t.Errorf("duplicate create changed the match: %+v", m)
	}
}

func TestCreateMatchRefusesBadInput(t *testing.T) {
	valid := map[string]any{"tournament_id": "ttt2024", "match_id": "m1", "player1": "Alice", "player2": "Bob", "score": "5,4,9"}
	with := func(field string, v any) string {
		m := map[string]any{}
		for k, x := range valid {
			m[k] = x
		}
		if v == nil {
			delete(m, field)
		} else {
			m[field] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		name   string
		body   string
		status int
		field  string // a field the error must name, if any
	}{
		{"missing tournament_id", with("tournament_id", nil), 400, "tournament_id"},
		{"missing match_id", with("match_id", nil), 400, "match_id"},
		{"missing player1", with("player1", nil), 400, "player1"},
		{"missing player2", with("player2", nil), 400, "player2"},
		{"missing score", with("score", nil), 400, "score"},
		{"empty tournament_id", with("tournament_id", ""), 400, "tournament_id"},
		{"key injection in tournament_id", with("tournament_id", "TOURNAMENT#x"), 400, "tournament_id"},
		{"slash in match_id", with("match_id", "a/b"), 400, "match_id"},
		{"match_id too long", with("match_id", strings.Repeat("m", 65)), 400, "match_id"},
		{"blank player1", with("player1", "   "), 400, "player1"},
		{"control character in player1", with("player1", "Al\x00ice"), 400, "player1"},
		{"invalid UTF-8 in player1", strings.Replace(with("player1", "Alice"), "Alice", "Al\xffice", 1), 400, ""},
		{"lone surrogate escape in player1", strings.Replace(with("player1", "Alice"), "Alice", `Al\ud800ice`, 1), 400, "player1"},
		{"replacement character in player2", with("player2", "Bo\uFFFDb"), 400, "player2"},
		{"player2 too long", with("player2", strings.Repeat("é", 65)), 400, "player2"},
		{"same players", with("player2", " alice "), 400, "player2"},
		{"score 11-10", with("score", "10"), 400, "score"},
		{"score with letters", with("score", "5,x,9"), 400, "score"},
		{"score game after decided", with("score", "5,4,9,3,2"), 400, "score"},
		{"best_of 4", with("best_of", 4), 400, "best_of"},
		{"best_of mismatch", with("best_of", 7), 400, "best_of"},
		{"played_at not RFC 3339", with("played_at", "yesterday"), 400, "played_at"},
		{"best_of as a string", with("best_of", "5"), 400, "best_of"},
		{"best_of fractional", with("best_of", 5.5), 400, "best_of"},
		{"best_of huge", strings.Replace(with("best_of", 5), `"best_of":5`, `"best_of":1e400`, 1), 400, "best_of"},
		{"player1 as a number", with("player1", 123), 400, "player1"},
		{"score as an array", with("score", []int{5, 4, 9}), 400, "score"},
		{"unknown field", with("bestof", 5), 400, "bestof"},
		{"empty body", "", 400, ""},
		{"whitespace body", " \n ", 400, ""},
		{"null body", "null", 400, "tournament_id"},
		{"array body", "[]", 400, ""},
		{"string body", `"match"`, 400, ""},
		{"malformed", `{"tournament_id":}`, 400, ""},
		{"truncated", with("best_of", nil)[:30], 400, ""},
		{"trailing object", with("best_of", nil) + `{}`, 400, ""},
		{"trailing garbage", with("best_of", nil) + ` x`, 400, ""},
		{"deep nesting", `{"tournament_id":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, 400, ""},
		{"oversize", `{"player1":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			rec := e.do(t, "POST", "/v1/tournament/match", tt.body, alice)
			got := wantError(t, rec, tt.status)
			if tt.field != "" {
				if _, ok := got.Fields[tt.field]; !ok {
					t.Errorf("fields = %v, want an entry for %q", got.Fields, tt.field)
				}
			}
			if len(e.store.matches) != 0 {
				t.Errorf("bad input stored %v", e.store.matches)
			}
		})
	}
}

func TestStoreFailuresAreNotEchoed(t *testing.T) {
	tests := []struct {
		name   string
		fail   error
		status int
	}{
		{"unavailable", &scores.Error{Code: scores.CodeUnavailable, Message: "the table cannot be reached", Err: errTable}, 503},
		{"plain error", errTable, 500},
		{"internal domain error", &scores.Error{Code: scores.CodeInternal, Message: "secret-internal-detail", Err: errTable}, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.store.fail = tt.fail
			rec := e.do(t, "POST", "/v1/tournament/match", matchJSON("ttt2024", "m1", "Alice", "Bob", "5,4,9"), alice)
			wantError(t, rec, tt.status)
			if !strings.Contains(e.logs.String(), "secret-internal-detail") {
				t.Error("the cause was not logged")
			}
		})
	}
}

// TestBusyWriteSaysRetry checks the answer to a write that lost to
// contention: 429, Retry-After, and a JSON error telling the client to try
// again; never a 5xx, and never 409, which means the match exists.
func TestBusyWriteSaysRetry(t *testing.T) {
	for _, tt := range []struct{ method, path, body string }{
		{"POST", "/v1/tournament/match", matchJSON("ttt2024", "m1", "Alice", "Bob", "5,4,9")},
		{"PUT", "/v1/tournament/match", matchJSON("ttt2024", "m1", "Alice", "Bob", "5,4,9")},
		{"DELETE", "/v1/tournament/ttt2024/match/m1", ""},
	} {
		t.Run(tt.method, func(t *testing.T) {
			e := newTestEnv(t)
			e.store.fail = &scores.Error{Code: scores.CodeBusy, Message: "other writes to this tournament got in first: try again", Err: errTable}
			rec := e.do(t, tt.method, tt.path, tt.body, alice)
			wantError(t, rec, http.StatusTooManyRequests)
			if got := rec.Header().Get("Retry-After"); got != strconv.Itoa(RetryAfterSeconds) {
				t.Errorf("Retry-After = %q, want %d", got, RetryAfterSeconds)
			}
			if !strings.Contains(rec.Body.String(), "try again") {
				t.Errorf("body %s does not say to try again", rec.Body)
			}
		})
	}
}

func TestPutMatch(t *testing.T) {
	e := newTestEnv(t)
	body := matchJSON("ttt2024", "m1", "Alice", "Bob", "5,4,9")
	tests := []struct {
		name   string
		caller *scores.Caller
		score  string
		status int
		owner  string
	}{
		{"create", alice, "5,4,9", 200, "alice"},
		{"replace own", alice, "6,-4,7,10", 200, "alice"},
		{"replace another user's", bob, "-5,-4,-9", 403, "alice"},
		{"admin replaces", admin, "-5,-4,-9", 200, "carol"},
		{"a new account named like the owner", &scores.Caller{Sub: "sub-carol-2", Username: "carol"}, "5,4,9", 403, "carol"},
	}
	for _, tt := range tests {
		rec := e.do(t, "PUT", "/v1/tournament/match", strings.Replace(body, "5,4,9", tt.score, 1), tt.caller)
		if strings.Contains(rec.Body.String(), tt.caller.Sub) {
			t.Errorf("%s: the answer shows the caller's sub: %s", tt.name, rec.Body)
		}
		if tt.status != 200 {
			wantError(t, rec, tt.status)
		} else if rec.Code != 200 {
			t.Fatalf("%s: status = %d, want 200 (%s)", tt.name, rec.Code, rec.Body)
		}
		m, _ := e.store.GetMatch(t.Context(), "ttt2024", "m1")
		if m.RecordedBy != tt.owner {
			t.Errorf("%s: recorded_by = %q, want %q", tt.name, m.RecordedBy, tt.owner)
		}
		if tt.status == 200 && m.Score != tt.score {
			t.Errorf("%s: stored score %q, want %q", tt.name, m.Score, tt.score)
		}
	}
	wantError(t, e.do(t, "PUT", "/v1/tournament/match", `{"match_id":"m1"}`, alice), 400)
}

func TestGetAndDeleteMatch(t *testing.T) {
	e := newTestEnv(t)
	e.seed(t, alice, matchJSON("ttt2024", "m1", "Alice", "Bob", "5,4,9"))
	e.seed(t, alice, matchJSON("ttt2024", "m2", "Alice", "Bob", "5,4,9"))
	tests := []struct {
		name   string
		method string
		path   string
		caller *scores.Caller
		status int
	}{
		{"get", "GET", "/v1/tournament/ttt2024/match/m1", nil, 200},
		{"get missing", "GET", "/v1/tournament/ttt2024/match/nope", nil, 404},
		{"get missing tournament", "GET", "/v1/tournament/other/match/m1", nil, 404},
		{"get bad match id", "GET", "/v1/tournament/ttt2024/match/a%23b", nil, 400},
		{"get bad tournament id", "GET", "/v1/tournament/a%20b/match/m1", nil, 400},
		{"delete another user's", "DELETE", "/v1/tournament/ttt2024/match/m1", bob, 403},
		{"delete missing", "DELETE", "/v1/tournament/ttt2024/match/nope", alice, 404},
		{"delete bad id", "DELETE", "/v1/tournament/ttt2024/match/%2E%2E", alice, 400},
		{"delete own", "DELETE", "/v1/tournament/ttt2024/match/m1", alice, 204},
		{"get deleted", "GET", "/v1/tournament/ttt2024/match/m1", nil, 404},
		{"admin deletes", "DELETE", "/v1/tournament/ttt2024/match/m2", admin, 204},
	}
	for _, tt := range tests {
		rec := e.do(t, tt.method, tt.path, "", tt.caller)
		switch tt.status {
		case 200:
			var m scores.Match
			if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &m) != nil || m.MatchID != "m1" {
				t.Errorf("%s: status %d body %s, want 200 with match m1", tt.name, rec.Code, rec.Body)
			}
		case 204:
			if rec.Code != 204 || rec.Body.Len() != 0 {
				t.Errorf("%s: status %d body %q, want 204 and no body", tt.name, rec.Code, rec.Body)
			}
		default:
			t.Run(tt.name, func(t *testing.T) { wantError(t, rec, tt.status) })
		}
	}
}

func TestListResults(t *testing.T) {
	e := newTestEnv(t)
	for _, id := range []string{"m3", "m1", "m2"} {
		e.seed(t, alice, matchJSON("ttt2024", id, "Alice", "Bob", "5,4,9"))
	}
	e.seed(t, alice, matchJSON("other", "m9", "Alice", "Bob", "5,4,9"))

	// Walk the pages with limit=2: m1, m2 then m3 and no cursor.
	var ids []string
	path := "/v1/tournament/ttt2024/results?limit=2"
	for pages := 0; path != ""; pages++ {
		if pages > 3 {
			t.Fatal("pagination does not end")
		}
		rec := e.do(t, "GET", path, "", nil)
		if rec.Code != 200 {
			t.Fatalf("%s: status %d (%s)", path, rec.Code, rec.Body)
		}
		var raw map[string]json.RawMessage
		var body ResultsBody
		_ = json.Unmarshal(rec.Body.Bytes(), &raw)
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		for _, m := range body.Results {
			ids = append(ids, m.MatchID)
			if m.TournamentID != "ttt2024" || m.Player1 == "" || m.Player2 == "" || m.Score == "" {
				t.Errorf("result %+v lacks a seed field", m)
			}
		}
		path = ""
		if body.Cursor != "" {
			path = "/v1/tournament/ttt2024/results?limit=2&cursor=" + body.Cursor
		} else if _, ok := raw["cursor"]; ok {
			t.Error("last page has a cursor member")
		}
	}
	if want := []string{"m1", "m2", "m3"}; !slices.Equal(ids, want) {
		t.Errorf("results = %v, want %v", ids, want)
	}

	rec := e.do(t, "GET", "/v1/tournament/ttt2024/results", "", nil)
	var body ResultsBody
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	if len(body.Results) != 3 || body.Cursor != "" {
		t.Errorf("default limit: %d results cursor %q, want 3 and none", len(body.Results), body.Cursor)
	}

	otherCursor := func() string {
		rec := e.do(t, "GET", "/v1/player/alice/matches?limit=1", "", nil)
		var b PlayerMatchesBody
		_ = json.Unmarshal(rec.Body.Bytes(), &b)
		return b.Cursor
	}()
	errs := []struct {
		name   string
		path   string
		status int
		field  string
	}{
		{"no matches", "/v1/tournament/empty/results", 404, ""},
		{"bad tournament id", "/v1/tournament/a%23b/results", 400, "tournamentId"},
		{"limit 0", "/v1/tournament/ttt2024/results?limit=0", 400, "limit"},
		{"limit 101", "/v1/tournament/ttt2024/results?limit=101", 400, "limit"},
		{"limit not a number", "/v1/tournament/ttt2024/results?limit=ten", 400, "limit"},
		{"limit huge", "/v1/tournament/ttt2024/results?limit=99999999999999999999", 400, "limit"},
		{"cursor garbage", "/v1/tournament/ttt2024/results?cursor=%25%25", 400, ""},
		{"cursor of another list", "/v1/tournament/ttt2024/results?cursor=" + otherCursor, 400, ""},
		{"cursor too long", "/v1/tournament/ttt2024/results?cursor=" + strings.Repeat("A", 5000), 400, "cursor"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			got := wantError(t, e.do(t, "GET", tt.path, "", nil), tt.status)
			if _, ok := got.Fields[tt.field]; tt.field != "" && !ok {
				t.Errorf("fields = %v, want %q", got.Fields, tt.field)
			}
		})
	}
}

func TestStandings(t *testing.T) {
	e := newTestEnv(t)
	e.seed(t, alice, matchJSON("ttt2024", "m1", "Alice", "Bob", "5,4,9"))
	e.seed(t, alice, matchJSON("ttt2024", "m2", "Carol", "Bob", "6,-4,7,10"))
	rec := e.do(t, "GET", "/v1/tournament/ttt2024/standings", "", nil)
	var got StandingsBody
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != 200 {
		t.Fatalf("status %d body %s: %v", rec.Code, rec.Body, err)
	}
	if got.TournamentID != "ttt2024" || len(got.Standings) != 3 {
		t.Fatalf("standings = %+v, want 3 players of ttt2024", got)
	}
	if last := got.Standings[2]; last.Player != "Bob" || last.Lost != 2 {
		t.Errorf("last = %+v, want Bob with 2 losses", last)
	}
	wantError(t, e.do(t, "GET", "/v1/tournament/empty/standings", "", nil), 404)
	wantError(t, e.do(t, "GET", "/v1/tournament/"+strings.Repeat("t", 65)+"/standings", "", nil), 400)
}

func TestPlayerMatches(t *testing.T) {
	e := newTestEnv(t)
	e.seed(t, alice, matchJSON("ttt2024", "m1", "Alice", "Bob", "5,4,9"))
	e.seed(t, alice, matchJSON("open2025", "m1", "Carol", "alice", "5,4,9"))
	e.seed(t, alice, matchJSON("open2025", "m2", "Carol", "Bob", "5,4,9"))
	rec := e.do(t, "GET", "/v1/player/ALICE/matches", "", nil)
	var got PlayerMatchesBody
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != 200 {
		t.Fatalf("status %d body %s: %v", rec.Code, rec.Body, err)
	}
	var ids []string
	for _, m := range got.Matches {
		ids = append(ids, m.TournamentID+"/"+m.MatchID)
	}
	if want := []string{"open2025/m1", "ttt2024/m1"}; got.Player != "ALICE" || !slices.Equal(ids, want) {
		t.Errorf("got player %q matches %v, want ALICE %v (newest first)", got.Player, ids, want)
	}
	wantError(t, e.do(t, "GET", "/v1/player/nobody/matches", "", nil), 404)
	wantError(t, e.do(t, "GET", "/v1/player/"+strings.Repeat("x", 65)+"/matches", "", nil), 400)
	wantError(t, e.do(t, "GET", "/v1/player/%09/matches", "", nil), 400)
	wantError(t, e.do(t, "GET", "/v1/player/alice/matches?limit=-1", "", nil), 400)
}

func TestUnknownRouteIsJSON(t *testing.T) {
	e := newTestEnv(t)
	wantError(t, e.do(t, "GET", "/v1/nope", "", nil), 404)
	wantError(t, e.do(t, "PATCH", "/v1/tournament/match", "", alice), 404)
}

func TestEveryLogLineCarriesTheRequestID(t *testing.T) {
	e := newTestEnv(t)
	e.do(t, "GET", "/v1/hello", "", nil)
	e.do(t, "POST", "/v1/tournament/match", "{", alice)
	e.store.fail = errTable
	e.do(t, "GET", "/v1/health", "", nil)
	lines := strings.Split(strings.TrimSpace(e.logs.String()), "\n")
	if len(lines) < 5 {
		t.Fatalf("got %d log lines, want at least 5:\n%s", len(lines), e.logs)
	}
	ids := map[string]bool{}
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		id, _ := rec["request_id"].(string)
		if id == "" {
			t.Errorf("log line %s has no request_id", line)
		}
		ids[id] = true
	}
	if len(ids) != 3 {
		t.Errorf("got %d request IDs for 3 requests", len(ids))
	}
}

// fakeToken returns a JWS whose payload is claims, with a signature nobody
// checks: the functions trust API Gateway to have verified it.
func fakeToken(claims map[string]any) string {
	seg := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return seg(map[string]any{"kid": "k", "alg": "RS256"}) + "." + seg(claims) + ".c2ln"
}

// TestCallerFromGateway covers where the caller comes from: sub and
// username from the authorizer's claims, untouched; groups only from the
// JSON array of the one Authorization header whose claims match.
func TestCallerFromGateway(t *testing.T) {
	claims := func(groups string) map[string]any {
		c := map[string]any{"sub": "s-1", "cognito:username": "alice", "jti": "j-1", "token_use": "id"}
		if groups != "" {
			c["cognito:groups"] = groups
		}
		return c
	}
	token := func(groups ...string) string {
		p := map[string]any{"sub": "s-1", "cognito:username": "alice", "jti": "j-1", "token_use": "id", "exp": 1772389700}
		if groups != nil {
			p["cognito:groups"] = groups
		}
		return fakeToken(p)
	}
	other := fakeToken(map[string]any{"sub": "s-1", "cognito:username": "alice", "jti": "j-2", "cognito:groups": []string{"admins"}})
	tests := []struct {
		name      string
		claims    any
		auth      []string
		wantOK    bool
		wantUser  string
		wantSub   string
		wantAdmin bool
	}{
		{"admins in the token", claims("admins"), []string{token("admins")}, true, "alice", "s-1", true},
		{"players and admins", claims("[players admins]"), []string{token("players", "admins")}, true, "alice", "s-1", true},
		{"Bearer prefix", claims("admins"), []string{"Bearer " + token("admins")}, true, "alice", "s-1", true},
		{"group x,admins", claims("x,admins"), []string{token("x,admins")}, true, "alice", "s-1", false},
		{"group [admins]", claims("[admins]"), []string{token("[admins]")}, true, "alice", "s-1", false},
		{"group players,admins", claims("players,admins"), []string{token("players,admins")}, true, "alice", "s-1", false},
		{"group Admins", claims("Admins"), []string{token("Admins")}, true, "alice", "s-1", false},
		{"claim says admins, no header", claims("admins"), nil, true, "alice", "s-1", false},
		{"two Authorization headers", claims("admins"), []string{token("admins"), token("admins")}, true, "alice", "s-1", false},
		{"header of another token", claims("admins"), []string{other}, true, "alice", "s-1", false},
		{"header names another user", claims("admins"), []string{fakeToken(map[string]any{"sub": "s-2", "cognito:username": "alice", "cognito:groups": []string{"admins"}})}, true, "alice", "s-1", false},
		{"groups not an array", claims("admins"), []string{fakeToken(map[string]any{"sub": "s-1", "cognito:username": "alice", "jti": "j-1", "cognito:groups": "admins"})}, true, "alice", "s-1", false},
		{"header not a token", claims("admins"), []string{"admins"}, true, "alice", "s-1", false},
		{"identity kept as sent", map[string]any{"sub": " s-1 ", "cognito:username": " alice "}, nil, true, " alice ", " s-1 ", false},
		{"Go strings", map[string]string{"sub": "s-1", "cognito:username": "bob"}, nil, true, "bob", "s-1", false},
		{"no sub", map[string]any{"cognito:username": "alice"}, nil, false, "", "", false},
		{"no username", map[string]any{"sub": "s-1", "email": "a@example.com"}, nil, false, "", "", false},
		{"blank username", map[string]any{"sub": "s-1", "cognito:username": " "}, nil, false, "", "", false},
		{"no claims", nil, nil, false, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := loadEvent(t, "apigw-get-helloauthenticated.json")
			ev.RequestContext.Authorizer = map[string]any{"claims": tt.claims}
			delete(ev.Headers, "Authorization")
			ev.MultiValueHeaders["Authorization"] = tt.auth
			var got scores.Caller
			var ok bool
			adapter := httpadapter.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, ok = callerFromGateway(r)
				w.WriteHeader(http.StatusNoContent)
			}))
			if _, err := adapter.ProxyWithContext(t.Context(), ev); err != nil {
				t.Fatal(err)
			}
			if ok != tt.wantOK || got.Username != tt.wantUser || got.Sub != tt.wantSub || got.IsAdmin() != tt.wantAdmin {
				t.Errorf("caller = %+v (admin %v), %v; want username %q, sub %q, admin %v, %v",
					got, got.IsAdmin(), ok, tt.wantUser, tt.wantSub, tt.wantAdmin, tt.wantOK)
			}
		})
	}
}

// TestBodyLimitIs64KiB holds the handlers' body limit to 64 KiB, written out
// rather than read from MaxBodyBytes, so changing the constant fails here: a
// valid match padded with JSON whitespace to exactly 65,536 bytes is
// created, one byte more is 413.
func TestBodyLimitIs64KiB(t *testing.T) {
	const limit = 65536
	for _, tt := range []struct {
		size   int
		status int
	}{
		{limit, http.StatusOK},
		{limit + 1, http.StatusRequestEntityTooLarge},
	} {
		t.Run(strconv.Itoa(tt.size), func(t *testing.T) {
			e := newTestEnv(t)
			body := matchJSON("ttt2024", "m1", "Alice", "Bob", "5,4,9")
			body += strings.Repeat(" ", tt.size-len(body))
			if len(body) != tt.size {
				t.Fatalf("body of %d bytes, want %d", len(body), tt.size)
			}
			rec := e.do(t, "POST", "/v1/tournament/match", body, alice)
			if rec.Code != tt.status {
				t.Errorf("POST of a %d-byte body: %d %s, want %d", tt.size, rec.Code, rec.Body, tt.status)
			}
		})
	}
}
