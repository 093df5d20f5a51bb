// Package apitour takes the API through every route its functions serve,
// in an order that makes each store path run: a create, the reads of every
// read route (the index query of a player's matches included), health with
// its write-path probe, a replace and a delete. Tests use it to see which
// AWS calls each function really makes, and that each function's policy
// allows all of them.
package apitour

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/scores"
)

// Step is one request of the tour and what it got.
type Step struct {
	Function api.Function
	Method   string
	Path     string
	Status   int
	Body     string
}

func (s Step) String() string {
	return fmt.Sprintf("%s %s %s: %d %s", s.Function, s.Method, s.Path, s.Status, strings.TrimSpace(s.Body))
}

// Caller is the user the tour writes as.
var Caller = scores.Caller{Sub: "sub-tour", Username: "tour"}

// Run sends the tour's requests to the handlers of each function, in
// order, and returns every step; it stops at nothing, so a refused step is
// followed by the others. tournament names a tournament no one else
// writes. Every route of api.Routes is visited at least once, which
// TestRunVisitsEveryRoute checks.
func Run(ctx context.Context, handlers map[api.Function]http.Handler, tournament string) []Step {
	match := func(p2, score string) string {
		return fmt.Sprintf(`{"tournament_id":%q,"match_id":"m1","player1":"Ann Lee","player2":%q,"score":%q}`, tournament, p2, score)
	}
	t := url.PathEscape(tournament)
	steps := []Step{
		{Function: api.FunctionHello, Method: http.MethodGet, Path: "/v1/hello"},
		{Function: api.FunctionHello, Method: http.MethodGet, Path: "/v1/helloauthenticated"},
		{Function: api.FunctionWrite, Method: http.MethodPost, Path: "/v1/tournament/match", Body: match("Bo Chen", "9,7,5")},
		{Function: api.FunctionRead, Method: http.MethodGet, Path: "/v1/health"},
		{Function: api.FunctionRead, Method: http.MethodGet, Path: "/v1/tournament/" + t + "/match/m1"},
		{Function: api.FunctionRead, Method: http.MethodGet, Path: "/v1/tournament/" + t + "/results"},
		{Function: api.FunctionRead, Method: http.MethodGet, Path: "/v1/tournament/" + t + "/standings"},
		{Function: api.FunctionRead, Method: http.MethodGet, Path: "/v1/player/" + url.PathEscape("Ann Lee") + "/matches"},
		{Function: api.FunctionWrite, Method: http.MethodPut, Path: "/v1/tournament/match", Body: match("Cy Diaz", "9,-9,5,3")},
		{Function: api.FunctionWrite, Method: http.MethodDelete, Path: "/v1/tournament/" + t + "/match/m1"},
	}
	for i, s := range steps {
		h, ok := handlers[s.Function]
		if !ok {
			steps[i].Status, steps[i].Body = 0, "no handler for function "+string(s.Function)
			continue
		}
		var body *strings.Reader
		if s.Body != "" {
			body = strings.NewReader(s.Body)
		} else {
			body = strings.NewReader("")
		}
		req := httptest.NewRequestWithContext(api.WithCaller(ctx, Caller), s.Method, s.Path, body)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		steps[i].Status, steps[i].Body = rec.Code, rec.Body.String()
	}
	return steps
}
