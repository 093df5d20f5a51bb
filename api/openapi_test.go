package api

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/hush-scores/hush/scores"
)

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI())
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	// Validate also checks every example against its schema.
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("openapi.yaml is not valid: %v", err)
	}
	return doc
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	if len(doc.Security) != 0 {
		t.Errorf("document has global security %v; security belongs on the Auth routes only", doc.Security)
	}
	type op struct{ method, path, id string }
	var got, want []op
	auth := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, o := range item.Operations() {
			got = append(got, op{method, path, o.OperationID})
			auth[method+" "+path] = o.Security != nil && len(*o.Security) > 0
			if o.Security != nil && len(*o.Security) > 0 {
				if _, ok := (*o.Security)[0]["cognitoIdToken"]; !ok {
					t.Errorf("%s %s: security %v, want cognitoIdToken", method, path, *o.Security)
				}
			}
		}
	}
	for _, rt := range Routes() {
		want = append(want, op{rt.Method, rt.Path, rt.OperationID})
		if a, ok := auth[rt.Method+" "+rt.Path]; ok && a != rt.Auth {
			t.Errorf("%s %s: security in openapi.yaml = %v, want %v as in Routes", rt.Method, rt.Path, a, rt.Auth)
		}
	}
	cmp := func(a, b op) int { return strings.Compare(a.method+" "+a.path, b.method+" "+b.path) }
	slices.SortFunc(got, cmp)
	slices.SortFunc(want, cmp)
	if !slices.Equal(got, want) {
		t.Errorf("operations in openapi.yaml:\n%v\nwant, from Routes:\n%v", got, want)
	}
	if s := doc.Components.SecuritySchemes["cognitoIdToken"]; s == nil || s.Value.Type != "apiKey" || s.Value.In != "header" || s.Value.Name != "Authorization" {
		t.Errorf("security scheme cognitoIdToken = %+v, want apiKey in header Authorization", s)
	}
}

// TestOpenAPIDescribesRealAnswers sends real requests through the handler
// and validates each request and answer against the document, so its schemas
// cannot drift from what the handlers send.
// errBusy is the store's answer to a write that lost to contention.
var errBusy = &scores.Error{Code: scores.CodeBusy, Message: "other writes to this tournament got in first: try again"}

func TestOpenAPIDescribesRealAnswers(t *testing.T) {
	doc := loadOpenAPI(t)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t)
	m1 := `{"tournament_id":"ttt2024","match_id":"m1","player1":"Alice","player2":"Bob","score":"6,-4,7,10","best_of":5,"played_at":"2026-03-01T18:30:00Z"}`
	m2 := matchJSON("ttt2024", "m2", "Carol", "Bob", "5,4,9")
	steps := []struct {
		method, path, body string
		caller             *scores.Caller
		status             int
		fail               error
	}{
		{"GET", "/v1/hello", "", nil, 200, nil},
		{"GET", "/v1/helloauthenticated", "", alice, 200, nil},
		{"GET", "/v1/helloauthenticated", "", nil, 401, nil},
		{"GET", "/v1/health", "", nil, 200, nil},
		{"GET", "/v1/health", "", nil, 503, errTable},
		{"POST", "/v1/tournament/match", m1, alice, 200, nil},
		{"POST", "/v1/tournament/match", m1, alice, 409, nil},
		{"POST", "/v1/tournament/match", m2, alice, 503, &scores.Error{Code: scores.CodeUnavailable, Message: "table unavailable"}},
		{"POST", "/v1/tournament/match", m2, alice, 500, errTable},
		{"POST", "/v1/tournament/match", m2, alice, 429, errBusy},
		{"PUT", "/v1/tournament/match", m2, bob, 429, errBusy},
		{"PUT", "/v1/tournament/match", m2, bob, 200, nil},
		{"PUT", "/v1/tournament/match", m2, alice, 403, nil},
		{"GET", "/v1/tournament/ttt2024/results?limit=1", "", nil, 200, nil},
		{"GET", "/v1/tournament/ttt2024/results", "", nil, 200, nil},
		{"GET", "/v1/tournament/ttt2024/results?limit=500", "", nil, 400, nil},
		{"GET", "/v1/tournament/nothing/results", "", nil, 404, nil},
		{"GET", "/v1/tournament/ttt2024/standings", "", nil, 200, nil},
		{"GET", "/v1/tournament/nothing/standings", "", nil, 404, nil},
		{"GET", "/v1/tournament/ttt2024/match/m1", "", nil, 200, nil},
		{"GET", "/v1/tournament/ttt2024/match/m9", "", nil, 404, nil},
		{"GET", "/v1/player/bob/matches?limit=1", "", nil, 200, nil},
		{"GET", "/v1/player/nobody/matches", "", nil, 404, nil},
		{"DELETE", "/v1/tournament/ttt2024/match/m1", "", bob, 403, nil},
		{"DELETE", "/v1/tournament/ttt2024/match/m1", "", alice, 429, errBusy},
		{"DELETE", "/v1/tournament/ttt2024/match/m1", "", alice, 204, nil},
		{"DELETE", "/v1/tournament/ttt2024/match/m1", "", alice, 404, nil},
	}
	ctx := context.Background()
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	for _, st := range steps {
		name := st.method + " " + st.path
		e.store.fail = st.fail
		rec := e.do(t, st.method, st.path, st.body, st.caller)
		if rec.Code != st.status {
			t.Errorf("%s: status = %d, want %d (%s)", name, rec.Code, st.status, rec.Body)
			continue
		}
		req := httptest.NewRequest(st.method, "https://abc123defg.execute-api.eu-central-1.amazonaws.com/dev"+st.path, strings.NewReader(st.body))
		if st.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "an-id-token")
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("%s: no route in openapi.yaml: %v", name, err)
			continue
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
		if st.status < 400 && st.status != 409 && st.status != 403 {
			if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
				t.Errorf("%s: request does not fit openapi.yaml: %v", name, err)
			}
		}
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in,
			Status:                 rec.Code,
			Header:                 rec.Header(),
			Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
			Options:                &openapi3filter.Options{IncludeResponseStatus: true},
		}
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			t.Errorf("%s: answer %d %s does not fit openapi.yaml: %v", name, rec.Code, rec.Body, err)
		}
	}
}
