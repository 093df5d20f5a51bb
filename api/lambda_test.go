package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// loadEvent reads an API Gateway REST proxy event from testdata.
func loadEvent(t *testing.T, name string) events.APIGatewayProxyRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

func TestLambdaHandlerWithGatewayEvents(t *testing.T) {
	store := newMemStore()
	var logs bytes.Buffer
	handle := NewLambdaHandler("", Deps{
		Store:  store,
		Region: "eu-central-1",
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		Now:    func() time.Time { return t0 },
	})
	oversize := func(ev *events.APIGatewayProxyRequest) {
		ev.Body = `{"tournament_id":"` + strings.Repeat("t", MaxBodyBytes) + `"}`
	}
	base64Body := func(ev *events.APIGatewayProxyRequest) {
		ev.Body = base64.StdEncoding.EncodeToString([]byte(strings.Replace(ev.Body, `"m1"`, `"m2"`, 1)))
		ev.IsBase64Encoded = true
	}
	steps := []struct {
		name    string
		fixture string
		change  func(*events.APIGatewayProxyRequest)
		status  int
		want    string // in the body
	}{
		{"hello", "apigw-get-hello.json", nil, 200, "Hush in eu-central-1"},
		{"hello authenticated", "apigw-get-helloauthenticated.json", nil, 200, "Hello alice"},
		{"create", "apigw-post-match.json", nil, 200, `"recorded_by":"alice"`},
		{"duplicate create", "apigw-post-match.json", nil, 409, `"error"`},
		{"create base64 body", "apigw-post-match.json", base64Body, 200, `"match_id":"m2"`},
		{"create without claims", "apigw-post-match-no-claims.json", nil, 401, `{"error":"unauthorized"}`},
		{"create oversize", "apigw-post-match.json", oversize, 413, `"error"`},
		{"replace another user's", "apigw-put-match-other-user.json", nil, 403, `"error"`},
		{"delete another user's", "apigw-delete-match-other-user.json", nil, 403, `"error"`},
		{"admin replaces", "apigw-put-match-admin.json", nil, 200, `"recorded_by":"carol"`},
		{"results", "apigw-get-results.json", nil, 200, `"score":"5,4,9"`},
		{"player with odd characters", "apigw-get-player-matches-odd-name.json", nil, 404, `Zoë 50%/a?#`},
		{"slash inside a match ID", "apigw-get-match-slash-id.json", nil, 400, `"matchId"`},
	}
	for _, st := range steps {
		ev := loadEvent(t, st.fixture)
		if st.change != nil {
			st.change(&ev)
		}
		resp, err := handle(t.Context(), ev)
		if err != nil {
			t.Fatalf("%s: handler error %v", st.name, err)
		}
		if resp.StatusCode != st.status {
			t.Errorf("%s: status = %d, want %d (body %s)", st.name, resp.StatusCode, st.status, resp.Body)
			continue
		}
		if !strings.Contains(resp.Body, st.want) {
			t.Errorf("%s: body %s does not contain %s", st.name, resp.Body, st.want)
		}
		if st.status >= 400 {
			t.Run(st.name, func(t *testing.T) {
				errorBody(t, st.status, resp.StatusCode, http.Header(resp.MultiValueHeaders), []byte(resp.Body))
			})
		}
		if !strings.Contains(logs.String(), `"request_id":"`+ev.RequestContext.RequestID+`"`) {
			t.Errorf("%s: no log line carries the gateway request ID %s", st.name, ev.RequestContext.RequestID)
		}
	}
}

func TestEscapedPath(t *testing.T) {
	tests := []struct {
		name     string
		resource string
		path     string
		params   map[string]string
		want     string
	}{
		{"no parameters", "/v1/hello", "/v1/hello", nil, "/v1/hello"},
		{"trailing slash routes to the resource", "/v1/hello", "/v1/hello/", nil, "/v1/hello"},
		{"plain", "/v1/tournament/{tournamentId}/results", "/v1/tournament/t1/results", map[string]string{"tournamentId": "t1"}, "/v1/tournament/t1/results"},
		{"encoded slash kept in its segment", "/v1/tournament/{tournamentId}/match/{matchId}", "/v1/tournament/t/match/a%2Fb", map[string]string{"tournamentId": "t", "matchId": "a%2Fb"}, "/v1/tournament/t/match/a%2Fb"},
		{"percent question hash space", "/v1/player/{player}/matches", "", map[string]string{"player": "50%25%20%3F%23"}, "/v1/player/50%25%20%3F%23/matches"},
		{"space decoded once", "/v1/player/{player}/matches", "", map[string]string{"player": "Ann%20Lee"}, "/v1/player/Ann%20Lee/matches"},
		{"invalid escape kept literally", "/v1/player/{player}/matches", "", map[string]string{"player": "50%"}, "/v1/player/50%25/matches"},
		{"dots", "/v1/tournament/{tournamentId}/results", "", map[string]string{"tournamentId": ".."}, "/v1/tournament/%2E%2E/results"},
		{"greedy", "/{proxy+}", "/a%20b/c", map[string]string{"proxy": "a%20b/c"}, "/a%20b/c"},
		{"no resource", "", "/v1/player/a%20b/matches", nil, "/v1/player/a%20b/matches"},
	}
	for _, tt := range tests {
		got := escapedPath(events.APIGatewayProxyRequest{Resource: tt.resource, Path: tt.path, PathParameters: tt.params})
		if got != tt.want {
			t.Errorf("%s: escapedPath = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestSlashAloneAsPathParameter covers a parameter that decodes to exactly
// "/": ServeMux cannot match it, API Gateway does, and the answer must be the
// handler's 400 for the field, not a 404 for the route.
func TestSlashAloneAsPathParameter(t *testing.T) {
	h := NewLambdaHandler(FunctionRead, Deps{Store: newMemStore(), Region: "eu-central-1", Logger: slog.New(slog.DiscardHandler)})
	tests := []struct {
		name     string
		resource string
		params   map[string]string
		field    string
	}{
		{"tournament", "/v1/tournament/{tournamentId}/results", map[string]string{"tournamentId": "%2F"}, "tournamentId"},
		{"match", "/v1/tournament/{tournamentId}/match/{matchId}", map[string]string{"tournamentId": "t1", "matchId": "%2F"}, "matchId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := h(context.Background(), events.APIGatewayProxyRequest{
				HTTPMethod: "GET", Resource: tt.resource, PathParameters: tt.params,
				RequestContext: events.APIGatewayProxyRequestContext{RequestID: "r1", DomainName: "example.com"},
			})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, `"`+tt.field+`"`) {
				t.Errorf("got %d %s, want 400 naming %s", resp.StatusCode, resp.Body, tt.field)
			}
		})
	}
}
